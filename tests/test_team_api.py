"""The team: invitations, per-client roles, what each role sees, the overview, the owner's standing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from socialdesk.auth.models import User
from socialdesk.db import utcnow
from socialdesk.team.models import Invitation, Membership
from world import PASSWORD


def _invite(client, world, by="owner", **fields):
    body = {"email": "nina@example.com", "name": "Nina New", "grants": [{"client_id": world.a_id, "role": "analyst"}]}
    body.update(fields)
    return client.post("/api/invitations", json=body, headers=world[by].headers)


def _token(response) -> str:
    return response.json()["accept_url"].rsplit("/", 1)[-1]


def test_only_directors_may_invite(client, world):
    for who in ("manager", "community_manager", "client_approver", "outsider", "manager_read_only"):
        assert _invite(client, world, by=who).status_code == 403, who
    assert client.get("/api/invitations", headers=world["manager"].headers).status_code == 403
    response = _invite(client, world, by="director")
    assert response.status_code == 201, response.text
    assert response.json()["accept_url"].startswith("http://testserver/invite/")
    listed = client.get("/api/invitations", headers=world["owner"].headers).json()
    assert "nina@example.com" in [i["email"] for i in listed]


def test_accepting_creates_the_account_with_the_per_client_roles(client, app, world, session):
    grants = [{"client_id": world.a_id, "role": "community_manager"}, {"client_id": world.b_id, "role": "client_approver"}]
    token = _token(_invite(client, world, grants=grants))
    with TestClient(app) as newcomer:
        accepted = newcomer.post(f"/api/invitations/accept/{token}", json={"password": PASSWORD, "name": "Nina N."})
        assert accepted.status_code == 201, accepted.text
        me = newcomer.get("/api/auth/me").json()
    assert me["email"] == "nina@example.com" and me["name"] == "Nina N." and me["agency_role"] == "member"
    assert me["client_roles"] == {str(world.a_id): "community_manager", str(world.b_id): "client_approver"}
    user = session.scalar(select(User).where(User.email == "nina@example.com"))
    assert user.password_hash.startswith("$argon2id$")
    with TestClient(app) as again:
        assert again.post("/api/auth/login", json={"email": "nina@example.com", "password": PASSWORD}).status_code == 200


def test_an_invitation_link_works_once(client, app, world):
    token = _token(_invite(client, world))
    with TestClient(app) as first:
        assert first.post(f"/api/invitations/accept/{token}", json={"password": PASSWORD}).status_code == 201
    with TestClient(app) as second:
        reused = second.post(f"/api/invitations/accept/{token}", json={"password": "another password"})
    assert reused.status_code == 404
    assert "already used" in reused.json()["detail"]
    assert "nina@example.com" not in [i["email"] for i in client.get("/api/invitations", headers=world["owner"].headers).json()]


def test_an_expired_invitation_is_refused_with_a_clear_message(client, app, world, database):
    created = _invite(client, world)
    with database.session() as s:
        s.execute(update(Invitation).where(Invitation.id == created.json()["id"])
                  .values(expires_at=utcnow() - timedelta(minutes=1)))
    with TestClient(app) as late:
        response = late.post(f"/api/invitations/accept/{_token(created)}", json={"password": PASSWORD})
    assert response.status_code == 422
    assert "expired" in response.json()["detail"]
    with database.session() as s:
        assert s.scalar(select(User).where(User.email == "nina@example.com")) is None


def test_accepting_with_a_short_password_creates_nothing_and_keeps_the_link(client, app, world, database):
    token = _token(_invite(client, world))
    with TestClient(app) as newcomer:
        short = newcomer.post(f"/api/invitations/accept/{token}", json={"password": "short"})
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
        assert newcomer.post(f"/api/invitations/accept/{token}", json={"password": PASSWORD}).status_code == 201


def test_a_member_invited_without_client_roles_is_refused(client, world):
    response = _invite(client, world, grants=[])
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["grants"]
    # A director needs no client role: they see every client.
    assert _invite(client, world, grants=[], agency_role="director").status_code == 201


def test_invitation_validation_names_the_field(client, world):
    twice = [{"client_id": world.a_id, "role": "analyst"}, {"client_id": world.a_id, "role": "manager"}]
    assert [e["field"] for e in _invite(client, world, grants=twice).json()["errors"]] == ["grants.1.client_id"]
    missing = [{"client_id": 987654, "role": "analyst"}]
    assert [e["field"] for e in _invite(client, world, grants=missing).json()["errors"]] == ["grants.0.client_id"]
    assert [e["field"] for e in _invite(client, world, agency_role="owner").json()["errors"]] == ["agency_role"]
    existing = _invite(client, world, email=world["analyst"].email)
    assert existing.status_code == 409 and existing.json()["errors"][0]["field"] == "email"


def test_a_second_invitation_for_a_pending_address_is_refused_until_the_first_is_revoked(client, world):
    first = _invite(client, world)
    again = _invite(client, world)
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "email"
    assert client.delete(f"/api/invitations/{first.json()['id']}", headers=world["owner"].headers).status_code == 204
    assert _invite(client, world).status_code == 201


def test_revoking_an_invitation_makes_the_link_invalid(client, app, world):
    created = _invite(client, world)
    assert client.delete(f"/api/invitations/{created.json()['id']}", headers=world["owner"].headers).status_code == 204
    with TestClient(app) as newcomer:
        assert newcomer.post(f"/api/invitations/accept/{_token(created)}", json={"password": PASSWORD}).status_code == 404


def test_set_and_remove_a_role_on_a_client(client, world, session):
    owner, analyst = world["owner"], world["analyst"]
    assert client.get(f"/api/clients/{world.b_id}", headers=analyst.headers).status_code == 404
    put = client.put(f"/api/clients/{world.b_id}/team/{analyst.id}", json={"role": "manager"}, headers=owner.headers)
    assert put.status_code == 204
    assert client.get(f"/api/clients/{world.b_id}/profile", headers=analyst.headers).status_code == 200
    team_b = client.get(f"/api/clients/{world.b_id}/team", headers=owner.headers).json()
    assert {"user_id": analyst.id, "role": "manager"}.items() <= next(m for m in team_b if m["user_id"] == analyst.id).items()
    # Changing the role replaces it (one role per client).
    client.put(f"/api/clients/{world.b_id}/team/{analyst.id}", json={"role": "client_approver"}, headers=owner.headers)
    assert client.get(f"/api/clients/{world.b_id}/profile", headers=analyst.headers).status_code == 403
    rows = session.scalars(select(Membership).where(Membership.user_id == analyst.id)).all()
    assert sorted((m.client_id, m.role) for m in rows) == sorted([(world.a_id, "analyst"), (world.b_id, "client_approver")])
    assert client.delete(f"/api/clients/{world.b_id}/team/{analyst.id}", headers=owner.headers).status_code == 204
    assert client.get(f"/api/clients/{world.b_id}", headers=analyst.headers).status_code == 404
    assert client.get(f"/api/clients/{world.a_id}", headers=analyst.headers).status_code == 200
    assert client.delete(f"/api/clients/{world.b_id}/team/{analyst.id}", headers=owner.headers).status_code == 404


def test_set_role_validates_the_role_and_the_user(client, world):
    owner = world["owner"]
    bad = client.put(f"/api/clients/{world.a_id}/team/{world['analyst'].id}", json={"role": "boss"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "role"
    assert client.put(f"/api/clients/{world.a_id}/team/999999", json={"role": "analyst"}, headers=owner.headers).status_code == 404
    assert client.put(f"/api/clients/{world.a_id}/team/{world['analyst'].id}", json={"role": "analyst"},
                      headers=world["manager"].headers).status_code == 403


def test_roles_are_per_client(client, world):
    cm = world["community_manager"]
    assert client.get(f"/api/clients/{world.a_id}", headers=cm.headers).status_code == 200
    assert client.get(f"/api/clients/{world.a_id}/profile", headers=cm.headers).status_code == 200
    for suffix in ("", "/profile", "/personas", "/log", "/team", "/office-hours", "/kpi-targets", "/contacts"):
        response = client.get(f"/api/clients/{world.b_id}{suffix}", headers=cm.headers)
        assert response.status_code == 404, suffix
        assert world.b_name not in response.text
    assert client.post(f"/api/clients/{world.b_id}/log", json={"kind": "note", "occurred_on": "2025-01-01", "title": "x"},
                       headers=cm.headers).status_code == 404


def test_client_approver_sees_the_client_but_not_its_internals(client, world):
    approver = world["client_approver"]
    summary = client.get(f"/api/clients/{world.a_id}", headers=approver.headers)
    assert summary.status_code == 200 and summary.json()["name"] == world.a_name
    assert "voice_description" not in summary.json()
    for suffix in ("/profile", "/personas", "/log", "/team", "/kpi-targets", "/contacts", "/office-hours",
                   f"/personas/{world.persona_id}"):
        assert client.get(f"/api/clients/{world.a_id}{suffix}", headers=approver.headers).status_code == 403, suffix


def test_overview_hides_kpi_targets_and_team_from_approvers(client, world):
    approver_rows = client.get("/api/overview", headers=world["client_approver"].headers).json()
    assert [r["client"]["name"] for r in approver_rows] == [world.a_name]
    assert approver_rows[0]["kpi_targets"] == [] and approver_rows[0]["members"] == []
    assert "Alpha secret growth plan" not in str(approver_rows)
    analyst_rows = client.get("/api/overview", headers=world["analyst"].headers).json()
    assert [k["id"] for k in analyst_rows[0]["kpi_targets"]] == [world.kpi_id]
    members = {m["user_id"]: m["role"] for m in analyst_rows[0]["members"]}
    assert members[world["manager"].id] == "manager"
    assert members[world["client_approver"].id] == "client_approver"
    assert members[world["owner"].id] == members[world["director"].id] == "director"
    assert world["outsider"].id not in members


def test_directors_see_all_clients_and_are_listed_on_every_team(client, world):
    for who in ("owner", "director"):
        names = [r["client"]["name"] for r in client.get("/api/overview", headers=world[who].headers).json()]
        assert sorted(names) == sorted([world.a_name, world.b_name])
        assert client.get(f"/api/clients/{world.b_id}/profile", headers=world[who].headers).status_code == 200
    team_b = {m["user_id"]: m["role"] for m in client.get(f"/api/clients/{world.b_id}/team",
                                                          headers=world["outsider"].headers).json()}
    assert team_b == {world["outsider"].id: "manager", world["owner"].id: "director", world["director"].id: "director"}


def test_owner_cannot_be_demoted_or_deactivated(client, world):
    owner_id = world["owner"].id
    for who in ("owner", "director"):
        for change in ({"agency_role": "member"}, {"agency_role": "director"}, {"is_active": False}):
            response = client.patch(f"/api/users/{owner_id}", json=change, headers=world[who].headers)
            assert response.status_code == 403, (who, change, response.text)
    assert client.get("/api/auth/me", headers=world["owner"].headers).json()["agency_role"] == "owner"


def test_there_is_one_owner_and_nobody_deactivates_themselves(client, world):
    director = world["director"]
    promote = client.patch(f"/api/users/{world['manager'].id}", json={"agency_role": "owner"}, headers=world["owner"].headers)
    assert promote.status_code == 422 and promote.json()["errors"][0]["field"] == "agency_role"
    self_off = client.patch(f"/api/users/{director.id}", json={"is_active": False}, headers=director.headers)
    assert self_off.status_code == 422 and self_off.json()["errors"][0]["field"] == "is_active"


def test_directors_change_agency_roles_and_deactivate_people(client, world):
    owner, manager = world["owner"], world["manager"]
    assert client.get("/api/users", headers=manager.headers).status_code == 403
    promoted = client.patch(f"/api/users/{manager.id}", json={"agency_role": "director"}, headers=owner.headers)
    assert promoted.status_code == 200 and promoted.json()["agency_role"] == "director"
    assert promoted.json()["roles"] == [{"client_id": world.a_id, "role": "manager"}]
    assert client.get(f"/api/clients/{world.b_id}", headers=manager.headers).status_code == 200
    off = client.patch(f"/api/users/{manager.id}", json={"is_active": False}, headers=owner.headers)
    assert off.json()["is_active"] is False
    assert client.get("/api/clients", headers=manager.headers).status_code == 401
    listed = {u["id"]: u for u in client.get("/api/users", headers=owner.headers).json()}
    assert listed[manager.id]["is_active"] is False
    assert world["manager"].id not in {m["user_id"] for m in
                                        client.get(f"/api/clients/{world.a_id}/team", headers=owner.headers).json()}
