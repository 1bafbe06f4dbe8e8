"""Pydantic shapes of members, roles and invitations."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.validation import Name


class Grant(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    client_id: int = Field(ge=1, le=2**31 - 1)
    role: Role


class InvitationIn(BaseModel):
    email: EmailStr
    name: Name
    agency_role: AgencyRole = AgencyRole.MEMBER
    grants: list[Grant] = Field(default=[], description="Client roles the person gets on accepting")


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    agency_role: AgencyRole
    grants: list[Grant]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class InvitationCreated(InvitationOut):
    accept_url: str = Field(description="Send this link to the person; it is shown only once")


class AcceptInvitation(BaseModel):
    name: Name | None = None
    password: str = Field(min_length=1)


class MemberRole(BaseModel):
    role: Role


class MemberOut(BaseModel):
    user_id: int
    name: str
    email: str
    role: Role
    agency_role: AgencyRole


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    agency_role: AgencyRole
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    roles: list[Grant] = []


class UserUpdate(BaseModel):
    agency_role: AgencyRole | None = None
    is_active: bool | None = None
