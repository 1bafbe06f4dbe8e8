"""Web pages for the team: who works on a client, every account, invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.clients import service as clients_service
from socialdesk.clients.views import client_page, see_other
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.kit.errors import InvalidInput
from socialdesk.team import service as team_service
from socialdesk.team.permissions import TEAM_MANAGE, TEAM_VIEW, USERS_MANAGE, USERS_VIEW
from socialdesk.team.schemas import AcceptInvitation, InvitationIn, MemberRole, UserUpdate
from socialdesk.web.deps import RowId, get_db, public, require
from socialdesk.web.forms import collect_errors, form_data, form_fields, validate
from socialdesk.web.session import begin_browser_session
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Form = Annotated[FormData, Depends(form_data)]

ROLE_CHOICES = [(r.value, r.label) for r in Role]
AGENCY_CHOICES = [(r.value, r.value.capitalize()) for r in AgencyRole if r is not AgencyRole.OWNER]


# --- who works on a client ------------------------------------------------------------------


def _client_team(request: Request, session: Session, client_id: int, values: dict, errors: dict, status: int = 200):
    members = team_service.list_members(session=session, client_id=client_id)
    member_ids = {user.id for user, _ in members}
    candidates = [u for u in team_service.list_users(session=session) if u.is_active and u.id not in member_ids]
    ctx = {"members": members, "candidates": candidates, "roles": ROLE_CHOICES, "values": values, "errors": errors}
    return client_page(request, session, client_id, "team/client_team.html", ctx, status)


@router.get("/clients/{client_id}/team", dependencies=[Depends(require(TEAM_VIEW))])
def client_team(client_id: int, request: Request, session: DB):
    """Who works on this client and in which role."""
    return _client_team(request, session, client_id, {"role": Role.COMMUNITY_MANAGER.value}, {})


@router.post("/clients/{client_id}/team", dependencies=[Depends(require(TEAM_MANAGE))])
def set_member_role(client_id: int, request: Request, session: DB, form: Form):
    """Give a person a role on this client (replacing the one they had)."""
    values = {"user_id": form.get("user_id", ""), "role": form.get("role", "")}
    with collect_errors(session) as errors:
        if not str(values["user_id"]).isdigit():
            raise InvalidInput.on("user_id", "choose a person")
        data = validate(MemberRole, values)
        team_service.set_role(session=session, client_id=client_id, user_id=int(values["user_id"]), role=data.role)
        return see_other(f"/clients/{client_id}/team")
    return _client_team(request, session, client_id, values, errors, 422)


@router.post("/clients/{client_id}/team/{user_id}/remove", dependencies=[Depends(require(TEAM_MANAGE))])
def remove_member(client_id: int, user_id: RowId, session: DB):
    """Take away a person's role on this client."""
    team_service.remove_member(session=session, client_id=client_id, user_id=user_id)
    return see_other(f"/clients/{client_id}/team")


# --- all accounts and invitations -------------------------------------------------------------


def _team_page(request: Request, session: Session, values: dict, errors: dict, status: int = 200, **extra):
    principal: Principal = request.state.principal
    clients = clients_service.list_visible(session=session, principal=principal, include_archived=True)
    names = {c.id: c.name for c in clients}
    users = [
        (user, [(names.get(cid, f"client {cid}"), role) for cid, role in team_service.user_grants(session=session, user_id=user.id)])
        for user in team_service.list_users(session=session)
    ]
    ctx = {
        "users": users,
        "clients": [c for c in clients if not c.archived],
        "client_names": names,
        "invitations": team_service.list_invitations(session=session),
        "roles": ROLE_CHOICES,
        "agency_roles": AGENCY_CHOICES,
        "may_manage": principal.can(USERS_MANAGE),
        "values": values,
        "errors": errors,
        "granted": {g["client_id"]: g["role"] for g in values.get("grants", [])},
        **extra,
    }
    return render(request, "team/users.html", ctx, status)


@router.get("/team", dependencies=[Depends(require(USERS_VIEW))])
def team(request: Request, session: DB):
    """Every account, pending invitations and the invite form."""
    return _team_page(request, session, {"agency_role": AgencyRole.MEMBER.value}, {})


@router.post("/team/invitations")
def invite(request: Request, session: DB, form: Form, principal: Principal = Depends(require(USERS_MANAGE))):
    """Invite a person; the page then shows the one-time link to send them."""
    values = form_fields(form, InvitationIn)
    values["grants"] = [
        {"client_id": int(key.removeprefix("role-")), "role": role}
        for key, role in form.multi_items()
        if key.startswith("role-") and key.removeprefix("role-").isdigit() and role
    ]
    with collect_errors(session) as errors:
        data = validate(InvitationIn, values)
        invitation, url = team_service.invite(
            session=session, settings=request.app.state.settings, invited_by=principal.user_id, data=data
        )
        # The link is shown once, so it is rendered here rather than after a redirect.
        return _team_page(request, session, {"agency_role": AgencyRole.MEMBER.value}, {}, 201, invited=invitation, accept_url=url)
    return _team_page(request, session, values, errors, 422)


@router.post("/team/invitations/{invitation_id}/revoke", dependencies=[Depends(require(USERS_MANAGE))])
def revoke_invitation(invitation_id: RowId, session: DB):
    """Cancel a pending invitation."""
    team_service.revoke_invitation(session=session, invitation_id=invitation_id)
    return see_other("/team")


@router.post("/team/users/{user_id}")
def update_user(user_id: RowId, request: Request, session: DB, form: Form, principal: Principal = Depends(require(USERS_MANAGE))):
    """Change a person's agency role or (de)activate them."""
    values = form_fields(form, UserUpdate, checkboxes=("is_active",))
    with collect_errors(session) as errors:
        data = validate(UserUpdate, values)
        team_service.update_user(
            session=session, actor=principal, user_id=user_id, agency_role=data.agency_role, is_active=data.is_active
        )
        return see_other("/team")
    return _team_page(request, session, {"agency_role": AgencyRole.MEMBER.value}, {}, 422, user_errors=errors)


# --- accepting an invitation ------------------------------------------------------------------


@router.get("/invite/{token}", dependencies=[Depends(public)])
def accept_form(token: str, request: Request, session: DB):
    """The page an invited person opens to choose a password."""
    invitation = team_service.pending_invitation(session=session, token=token)
    return render(request, "team/accept.html", {"invitation": invitation, "values": {"name": invitation.name}, "errors": {}})


@router.post("/invite/{token}", dependencies=[Depends(public)])
def accept(token: str, request: Request, session: DB, form: Form):
    """Create the invited person's account, sign them in and open the overview."""
    invitation = team_service.pending_invitation(session=session, token=token)
    values = form_fields(form, AcceptInvitation)
    with collect_errors(session) as errors:
        data = validate(AcceptInvitation, values)
        if data.password != form.get("password_again"):
            raise InvalidInput.on("password_again", "does not match the password")
        user = team_service.accept_invitation(session=session, token=token, password=data.password, name=data.name)
        response = see_other("/")
        begin_browser_session(request, response, session, user)
        return response
    values.pop("password", None)
    return render(request, "team/accept.html", {"invitation": invitation, "values": values, "errors": errors}, 422)

