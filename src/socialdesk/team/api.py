"""JSON routes for the team: members per client, accounts, invitations, the agency overview."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.api import me_out
from socialdesk.auth.schemas import MeOut
from socialdesk.clients.permissions import OVERVIEW_VIEW
from socialdesk.clients.schemas import ClientSummary, KpiTargetOut
from socialdesk.kit.authz import Principal
from socialdesk.team import service as team_service
from socialdesk.team.permissions import TEAM_MANAGE, TEAM_VIEW, USERS_MANAGE, USERS_VIEW
from socialdesk.team.schemas import (
    AcceptInvitation,
    Grant,
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    MemberOut,
    MemberRole,
    UserOut,
    UserUpdate,
)
from socialdesk.web.deps import RowId, get_db, public, require
from socialdesk.web.session import begin_browser_session
from pydantic import BaseModel

router = APIRouter(tags=["team"])
DB = Annotated[Session, Depends(get_db)]


class OverviewMember(BaseModel):
    user_id: int
    name: str
    role: str


class OverviewRow(BaseModel):
    client: ClientSummary
    kpi_targets: list[KpiTargetOut]
    members: list[OverviewMember]


@router.get("/api/overview", response_model=list[OverviewRow])
def overview(session: DB, principal: Principal = Depends(require(OVERVIEW_VIEW))):
    """The clients you work on, their KPI targets and who works on each."""
    return team_service.overview(session=session, principal=principal)


@router.get("/api/clients/{client_id}/team", response_model=list[MemberOut], dependencies=[Depends(require(TEAM_VIEW))])
def list_members(client_id: RowId, session: DB):
    return [
        MemberOut(user_id=u.id, name=u.name, email=u.email, role=r, agency_role=u.agency_role)
        for u, r in team_service.list_members(session=session, client_id=client_id)
    ]


@router.put("/api/clients/{client_id}/team/{user_id}", status_code=204, dependencies=[Depends(require(TEAM_MANAGE))])
def set_member_role(client_id: RowId, user_id: RowId, data: MemberRole, session: DB):
    """Give a person a role on this client (replacing the one they had)."""
    team_service.set_role(session=session, client_id=client_id, user_id=user_id, role=data.role)


@router.delete("/api/clients/{client_id}/team/{user_id}", status_code=204, dependencies=[Depends(require(TEAM_MANAGE))])
def remove_member(client_id: RowId, user_id: RowId, session: DB):
    team_service.remove_member(session=session, client_id=client_id, user_id=user_id)


def _user_out(session: Session, user) -> UserOut:
    out = UserOut.model_validate(user)
    out.roles = [Grant(client_id=c, role=r) for c, r in team_service.user_grants(session=session, user_id=user.id)]
    return out


@router.get("/api/users", response_model=list[UserOut], dependencies=[Depends(require(USERS_VIEW))])
def list_users(session: DB):
    return [_user_out(session, u) for u in team_service.list_users(session=session)]


@router.patch("/api/users/{user_id}", response_model=UserOut)
def update_user(user_id: RowId, data: UserUpdate, session: DB, principal: Principal = Depends(require(USERS_MANAGE))):
    """Change a person's agency role or deactivate them."""
    user = team_service.update_user(
        session=session, actor=principal, user_id=user_id, agency_role=data.agency_role, is_active=data.is_active
    )
    return _user_out(session, user)


@router.get("/api/invitations", response_model=list[InvitationOut], dependencies=[Depends(require(USERS_VIEW))])
def list_invitations(session: DB):
    return team_service.list_invitations(session=session)


@router.post("/api/invitations", response_model=InvitationCreated, status_code=201)
def invite(data: InvitationIn, request: Request, session: DB, principal: Principal = Depends(require(USERS_MANAGE))):
    """Invite a person with an agency role and client roles; returns the link to send them."""
    invitation, url = team_service.invite(
        session=session, settings=request.app.state.settings, invited_by=principal.user_id, data=data
    )
    return InvitationCreated(**InvitationOut.model_validate(invitation).model_dump(), accept_url=url)


@router.delete("/api/invitations/{invitation_id}", status_code=204, dependencies=[Depends(require(USERS_MANAGE))])
def revoke_invitation(invitation_id: RowId, session: DB):
    team_service.revoke_invitation(session=session, invitation_id=invitation_id)


@router.post("/api/invitations/accept/{token}", response_model=MeOut, status_code=201, dependencies=[Depends(public)])
def accept_invitation(token: str, data: AcceptInvitation, request: Request, response: Response, session: DB):
    """Accept an invitation: creates your account with the roles it grants, and signs you in."""
    user = team_service.accept_invitation(session=session, token=token, password=data.password, name=data.name)
    begin_browser_session(request, response, session, user)
    return me_out(auth_service.principal_for(session=session, user=user), request)
