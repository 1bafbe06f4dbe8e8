"""`socialdesk demo`: a realistic agency on an empty database, refused on a used one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from test_cli import cli, failed, ok  # noqa: F401 (cli is a fixture)

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client, LogEntry
from socialdesk.demo import service as demo_service
from socialdesk.demo.data import DEFAULT_PASSWORD, PEOPLE
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.errors import Conflict, InvalidInput

PRIYA = next(p for p in PEOPLE if p.name == "Priya Raman")


@pytest.fixture
def demo_db(database):
    """The test database filled by the demo service."""
    with database.session() as session:
        demo_service.seed(session=session)
    return database


def test_demo_command_fills_an_empty_database_then_refuses(cli, database):
    out = ok(cli("demo"))
    assert "Created 6 clients and 11 accounts" in out
    assert PRIYA.email in out and f"Password for the new accounts: {DEFAULT_PASSWORD}" in out

    out = failed(cli("demo"))
    assert out.startswith("Error: the database already has 6 clients") and "--force" in out

    out = ok(cli("demo", "--force"))  # nothing missing: nothing added
    assert "Created 0 clients (kept 6 existing) and 0 accounts" in out
    with database.session() as session:
        assert session.scalar(select(func.count(Client.id))) == 6
        assert session.scalar(select(func.count(User.id))) == len(PEOPLE)


def test_demo_clients_have_full_brand_profiles(demo_db):
    with demo_db.session() as session:
        clients = list(session.scalars(select(Client)))
        assert len(clients) >= 5
        assert len({c.timezone for c in clients}) >= 4
        for client in clients:
            assert client.voice_description and client.tone_words and client.words_to_avoid, client.name
            assert client.demographics and client.business_goals and client.outside_hours_message, client.name
            assert len(client.personas) >= 2 and all(p.platforms and p.cares_about for p in client.personas), client.name
            assert len(client.kpi_targets) >= 3, client.name
            assert client.office_hours and client.contacts, client.name
            log = clients_service.list_log(session=session, client_id=client.id)
            assert len(log) >= 3 and all(entry.author is not None for entry in log), client.name
            assert len({entry.kind for entry in log}) >= 3, client.name
        harbor = clients_service.get_by_name(session=session, name="Harbor & Vine")
        assert harbor.timezone == "America/Los_Angeles"
        assert [(s.weekday, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in harbor.office_hours] == [
            (day, "11:00", "15:00") for day in range(4)
        ]


def test_demo_team_members_see_different_clients(demo_db):
    with demo_db.session() as session:
        all_ids = {c.id for c in session.scalars(select(Client))}
        users = list(session.scalars(select(User)))
        assert sum(u.agency_role == AgencyRole.OWNER for u in users) == 1
        visible = {}
        for user in users:
            principal = auth_service.principal_for(session=session, user=user)
            visible[user.email] = {c.id for c in clients_service.list_visible(session=session, principal=principal)}
            if user.agency_role == AgencyRole.MEMBER:
                assert principal.client_roles, user.email
        members = [u.email for u in users if u.agency_role == AgencyRole.MEMBER]
        assert len(members) >= 8
        partial = [email for email in members if visible[email] and visible[email] < all_ids]
        assert len(partial) >= 5
        assert len({frozenset(visible[email]) for email in partial}) >= 3  # not everyone sees the same clients
        roles = {role for u in users for _, role in auth_service.principal_for(session=session, user=u).client_roles.items()}
        assert {Role.MANAGER, Role.COMMUNITY_MANAGER, Role.CONTENT_CREATOR, Role.ANALYST, Role.CLIENT_APPROVER} <= roles
        entries = session.scalar(select(func.count(LogEntry.id)))
        assert entries >= 18


def test_demo_service_refuses_a_database_with_clients_and_checks_the_password(database):
    with database.session() as session:
        with pytest.raises(InvalidInput, match="password"):
            demo_service.seed(session=session, password="short")
    with database.session() as session:
        demo_service.seed(session=session, password="another demo password")
    with database.session() as session:
        with pytest.raises(Conflict, match="already has 6 clients"):
            demo_service.seed(session=session)


def test_demo_user_signs_in(demo_db, client):
    response = client.post("/api/auth/login", json={"email": PRIYA.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    me = response.json()
    assert me["name"] == "Priya Raman" and len(me["client_roles"]) == len(PRIYA.roles)
    names = sorted(c["name"] for c in client.get("/api/clients").json())
    assert names == sorted(PRIYA.roles)
