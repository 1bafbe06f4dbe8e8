"""`socialdesk users ...`: accounts, invitations and the owner account for headless set-up."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.clients.cli import find as find_client
from socialdesk.clients.models import Client
from socialdesk.config import get_settings
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.cli import console, operator_session, print_table
from socialdesk.kit.errors import InvalidInput
from socialdesk.team import service as team_service
from socialdesk.team.schemas import Grant, InvitationIn

app = typer.Typer(help="People: accounts, roles and invitations.", no_args_is_help=True)


def _grant(session: Session, spec: str) -> Grant:
    """Parse 'Client name=role' into a grant."""
    client_name, sep, role = spec.rpartition("=")
    roles = ", ".join(r.value for r in Role)
    if not sep or not client_name.strip():
        raise InvalidInput.on("--client", f"{spec!r} must look like 'Client name=role' (role one of {roles})")
    if role.strip() not in set(Role):
        raise InvalidInput.on("--client", f"unknown role {role.strip()!r} in {spec!r}; use one of {roles}")
    return Grant(client_id=find_client(session, client_name.strip()).id, role=Role(role.strip()))


def _inviter(session: Session) -> int | None:
    """The owner (or else the first director) signs invitations made at the terminal."""
    directors = [AgencyRole.OWNER, AgencyRole.DIRECTOR]
    return session.scalar(select(User.id).where(User.agency_role.in_(directors)).order_by(User.agency_role.desc(), User.id))


@app.command("list")
def list_users() -> None:
    """List accounts with their agency role and client roles."""
    with operator_session() as session:
        names = dict(session.execute(select(Client.id, Client.name)).all())
        rows = [
            (
                user.email,
                user.name + ("" if user.is_active else " (deactivated)"),
                user.agency_role,
                "\n".join(f"{names[cid]}={role}" for cid, role in team_service.user_grants(session=session, user_id=user.id))
                or ("every client" if user.agency_role != AgencyRole.MEMBER else "-"),
            )
            for user in team_service.list_users(session=session)
        ]
    if not rows:
        console.print("No accounts yet. Create the owner with `socialdesk users create-owner` or sign up in the web app.")
        return
    print_table(None, ["E-mail", "Name", "Agency role", "Client roles"], rows)


@app.command("invite")
def invite(
    email: str = typer.Argument(..., help="The person's e-mail address."),
    name: str = typer.Option(..., help="The person's name."),
    director: bool = typer.Option(False, "--director", help="Invite as an agency director (sees every client)."),
    client: list[str] = typer.Option([], "--client", help="'Client name=role', repeatable; role one of: " + ", ".join(Role)),
) -> None:
    """Invite someone and print the one-time link to accept."""
    settings = get_settings()
    with operator_session() as session:
        grants = [_grant(session, spec) for spec in client]
        data = InvitationIn(
            email=email, name=name, agency_role=AgencyRole.DIRECTOR if director else AgencyRole.MEMBER, grants=grants
        )
        invitation, link = team_service.invite(session=session, settings=settings, invited_by=_inviter(session), data=data)
    console.print(f"Invited {escape(invitation.email)}; the link works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC:")
    typer.echo(link)


@app.command("create-owner")
def create_owner(
    email: str = typer.Option(..., help="The owner's e-mail address."),
    name: str = typer.Option(..., help="The owner's name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
) -> None:
    """Create the first account, the agency owner (for headless set-up)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with operator_session() as session:
        user = auth_service.create_owner(session=session, email=email, name=name, password=password)
    console.print(f"Created the owner account {escape(user.email)}. Sign in at {escape(get_settings().base_url)}.")
