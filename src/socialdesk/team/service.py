"""Team members, their per-client roles, and invitations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.kit.errors import Conflict, Forbidden, InvalidInput, NotFound
from socialdesk.team.models import Invitation, InvitationGrant, Membership
from socialdesk.team.schemas import InvitationIn


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def list_members(*, session: Session, client_id: int) -> list[tuple[User, Role]]:
    """Everyone with a role on the client, and the agency directors (who see every client)."""
    clients_service.get(session=session, client_id=client_id)
    rows = session.execute(
        select(User, Membership.role).join(Membership, Membership.user_id == User.id).where(Membership.client_id == client_id)
    ).all()
    members = [(user, Role(role)) for user, role in rows if user.is_active]
    listed = {user.id for user, _ in members}
    directors = session.scalars(
        select(User).where(User.agency_role.in_([AgencyRole.OWNER, AgencyRole.DIRECTOR]), User.is_active.is_(True))
    )
    members += [(user, Role.DIRECTOR) for user in directors if user.id not in listed]
    return sorted(members, key=lambda pair: (list(Role).index(pair[1]), pair[0].name.casefold()))


def set_role(*, session: Session, client_id: int, user_id: int, role: Role) -> Membership:
    """Give ``user_id`` the ``role`` on the client (replacing any role they had there)."""
    clients_service.get(session=session, client_id=client_id)
    auth_service.get(session=session, user_id=user_id)
    membership = session.scalar(
        select(Membership).where(Membership.client_id == client_id, Membership.user_id == user_id)
    )
    if membership is None:
        membership = Membership(client_id=client_id, user_id=user_id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    return membership


def remove_member(*, session: Session, client_id: int, user_id: int) -> None:
    membership = session.scalar(
        select(Membership).where(Membership.client_id == client_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(f"user {user_id} has no role on this client")
    session.delete(membership)
    session.flush()


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def user_grants(*, session: Session, user_id: int) -> list[tuple[int, Role]]:
    return [
        (client_id, Role(role))
        for client_id, role in session.execute(
            select(Membership.client_id, Membership.role).where(Membership.user_id == user_id).order_by(Membership.client_id)
        )
    ]


def update_user(
    *, session: Session, actor: Principal, user_id: int, agency_role: AgencyRole | None, is_active: bool | None
) -> User:
    user = auth_service.get(session=session, user_id=user_id)
    if user.agency_role == AgencyRole.OWNER and (agency_role not in (None, AgencyRole.OWNER) or is_active is False):
        raise Forbidden("the owner account cannot be demoted or deactivated")
    if agency_role == AgencyRole.OWNER and user.agency_role != AgencyRole.OWNER:
        raise InvalidInput.on("agency_role", "there is one owner; choose 'director' or 'member'")
    if user.id == actor.user_id and is_active is False:
        raise InvalidInput.on("is_active", "you cannot deactivate your own account")
    if agency_role is not None:
        user.agency_role = agency_role
    if is_active is not None:
        user.is_active = is_active
    session.flush()
    return user


# --- invitations --------------------------------------------------------------------------


def invite(*, session: Session, settings: Settings, invited_by: int, data: InvitationIn) -> tuple[Invitation, str]:
    """Record an invitation; returns it and the one-time link to accept it."""
    if data.agency_role == AgencyRole.OWNER:
        raise InvalidInput.on("agency_role", "there is one owner; invite as 'director' or 'member'")
    email = auth_service.normalize_email(data.email)
    if auth_service.get_by_email(session=session, email=email) is not None:
        raise Conflict(f"{email} already has an account; give them a role on the client instead", field="email")
    pending = session.scalar(
        select(Invitation).where(
            Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.expires_at >= utcnow()
        )
    )
    if pending is not None:
        raise Conflict(f"an invitation for {email} is already pending; revoke it to send a new link", field="email")
    seen: set[int] = set()
    for index, grant in enumerate(data.grants):
        if session.get(Client, grant.client_id) is None:
            raise InvalidInput.on(f"grants.{index}.client_id", f"client {grant.client_id} does not exist")
        if grant.client_id in seen:
            raise InvalidInput.on(f"grants.{index}.client_id", "one role per client; this client is listed twice")
        seen.add(grant.client_id)
    if data.agency_role == AgencyRole.MEMBER and not data.grants:
        raise InvalidInput.on("grants", "a member needs a role on at least one client (or invite them as director)")
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        name=data.name,
        agency_role=data.agency_role,
        token_hash=_digest(raw),
        invited_by_id=invited_by,
        expires_at=utcnow() + timedelta(days=settings.invitation_days),
        grants=[InvitationGrant(client_id=g.client_id, role=g.role) for g in data.grants],
    )
    session.add(invitation)
    session.flush()
    return invitation, f"{settings.base_url.rstrip('/')}/invite/{raw}"


def list_invitations(*, session: Session) -> list[Invitation]:
    return list(
        session.scalars(select(Invitation).where(Invitation.accepted_at.is_(None)).order_by(Invitation.created_at.desc()))
    )


def revoke_invitation(*, session: Session, invitation_id: int) -> None:
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound(f"open invitation {invitation_id} not found")
    session.delete(invitation)
    session.flush()


def pending_invitation(*, session: Session, token: str) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if invitation is None or invitation.accepted_at is not None:
        raise NotFound("this invitation link is not valid (or was already used); ask for a new one")
    if invitation.expires_at < utcnow():
        raise InvalidInput.on("token", "this invitation has expired; ask a director for a new one")
    return invitation


def accept_invitation(*, session: Session, token: str, password: str, name: str | None = None) -> User:
    """Create the invited person's account with the roles the invitation grants."""
    invitation = pending_invitation(session=session, token=token)
    user = auth_service.create_user(
        session=session,
        email=invitation.email,
        name=name or invitation.name,
        password=password,
        agency_role=AgencyRole(invitation.agency_role),
    )
    for grant in invitation.grants:
        session.add(Membership(user_id=user.id, client_id=grant.client_id, role=grant.role))
    invitation.accepted_at = utcnow()
    session.flush()
    return user


def delete_expired_invitations(*, session: Session) -> int:
    expired = list(
        session.scalars(select(Invitation).where(Invitation.accepted_at.is_(None), Invitation.expires_at < utcnow()))
    )
    for invitation in expired:
        session.delete(invitation)
    session.flush()
    return len(expired)


# --- the agency overview ------------------------------------------------------------------


def overview(*, session: Session, principal: Principal) -> list[dict]:
    """Each visible client with its KPI targets and who works on it."""
    from socialdesk.clients.permissions import BRAND_VIEW

    rows = []
    for client in clients_service.list_visible(session=session, principal=principal):
        if not principal.can(BRAND_VIEW, client.id):  # client approvers see the client, not its internals
            rows.append({"client": client, "kpi_targets": [], "members": []})
            continue
        members = list_members(session=session, client_id=client.id)
        rows.append(
            {
                "client": client,
                "kpi_targets": list(client.kpi_targets),
                "members": [{"user_id": u.id, "name": u.name, "role": r} for u, r in members],
            }
        )
    return rows
