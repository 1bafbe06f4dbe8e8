"""Pydantic shapes for sign-up, sign-in and API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.validation import Name


class SignupIn(BaseModel):
    email: EmailStr
    name: Name
    password: str = Field(min_length=1, description="At least 10 characters")


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1)


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    agency_role: AgencyRole
    read_only: bool
    client_roles: dict[int, Role]
    csrf_token: str | None = Field(default=None, description="Send as X-CSRF-Token with cookie-authenticated changes")


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


class ApiTokenIn(BaseModel):
    name: Name
    read_only: bool = False


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    read_only: bool
    created_at: datetime
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The secret; shown once, store it now")
