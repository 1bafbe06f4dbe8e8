"""Sign-up, sign-in, sessions, the login rate limit, API tokens, password hashing and CSRF."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import PASSWORD, signup_owner
from socialdesk.auth.models import ApiToken, User, WebSession
from socialdesk.web.app import create_app
from socialdesk.web.deps import SESSION_COOKIE

OWNER_EMAIL = "olivia@agency.example.com"


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_signup_creates_the_owner_and_signs_in(client, session):
    me = signup_owner(client)
    assert me["agency_role"] == "owner"
    assert me["email"] == OWNER_EMAIL
    assert client.get("/api/auth/me").json()["id"] == me["id"]
    users = session.scalars(select(User)).all()
    assert [(u.email, u.agency_role) for u in users] == [(OWNER_EMAIL, "owner")]


def test_second_signup_is_refused_with_409(client, app, session):
    signup_owner(client)
    with TestClient(app) as other:
        response = other.post("/api/auth/signup", json={"email": "eve@example.com", "name": "Eve", "password": PASSWORD})
    assert response.status_code == 409
    assert "owner" in response.json()["detail"]
    assert session.scalar(select(User).where(User.email == "eve@example.com")) is None


def test_signup_with_a_short_password_names_the_password_field(client, session):
    response = client.post("/api/auth/signup", json={"email": "a@example.com", "name": "A", "password": "short"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]
    assert "10" in response.json()["errors"][0]["message"]
    assert session.scalars(select(User)).all() == []


def test_signup_with_a_bad_email_names_the_email_field(client):
    response = client.post("/api/auth/signup", json={"email": "not-an-email", "name": "A", "password": PASSWORD})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]


def test_password_hashes_are_argon2id(client, session):
    signup_owner(client)
    user = session.scalar(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_sets_a_session_cookie_and_wrong_password_is_401(client, app):
    signup_owner(client)
    with TestClient(app) as fresh:
        bad = fresh.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": "wrong password!"})
        assert bad.status_code == 401
        assert SESSION_COOKIE not in fresh.cookies
        assert fresh.get("/api/auth/me").status_code == 401
        ok = fresh.post("/api/auth/login", json={"email": OWNER_EMAIL.upper(), "password": PASSWORD})
        assert ok.status_code == 200, ok.text
        assert SESSION_COOKIE in ok.cookies
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert fresh.get("/api/auth/me").json()["email"] == OWNER_EMAIL


def test_login_of_an_unknown_address_is_401(client):
    signup_owner(client)
    assert client.post("/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}).status_code == 401


def test_login_rate_limit_after_five_failures_holds_across_clients(client, app, settings, database):
    signup_owner(client)
    with TestClient(app) as attacker:
        for _ in range(settings.login_max_failures):
            assert attacker.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": "guess guess!"}).status_code == 401
        limited = attacker.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": PASSWORD})
    assert limited.status_code == 429
    retry = int(limited.headers["retry-after"])
    assert 0 < retry <= settings.login_window_seconds
    # The count lives in the database: a new client (even a new app) is still refused.
    with TestClient(create_app(settings, database)) as later:
        again = later.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": PASSWORD})
    assert again.status_code == 429
    assert "Retry-After" in again.headers


def test_logout_ends_the_session_on_the_server(client, app, session):
    signup_owner(client)
    cookie = client.cookies[SESSION_COOKIE]
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401
    with TestClient(app) as replay:
        replay.cookies.set(SESSION_COOKIE, cookie)
        assert replay.get("/api/auth/me").status_code == 401
    assert session.scalars(select(WebSession)).all() == []


def test_a_tampered_session_cookie_is_refused(client, app):
    signup_owner(client)
    cookie = client.cookies[SESSION_COOKIE]
    raw, _, signature = cookie.rpartition(".")
    forged_sig = ("A" if signature[0] != "A" else "B") + signature[1:]
    with TestClient(app) as other:
        other.cookies.set(SESSION_COOKIE, f"{raw}.{forged_sig}")
        assert other.get("/api/auth/me").status_code == 401
        other.cookies.set(SESSION_COOKIE, "x" + cookie)
        assert other.get("/api/auth/me").status_code == 401
        other.cookies.set(SESSION_COOKIE, cookie)
        assert other.get("/api/auth/me").status_code == 200


def test_api_token_is_shown_once_and_only_its_sha256_is_stored(owner_client, app, session):
    created = owner_client.post("/api/auth/tokens", json={"name": "reporting"})
    assert created.status_code == 201, created.text
    raw = created.json()["token"]
    assert raw.startswith("sdk_") and len(raw) > 30
    row = session.scalar(select(ApiToken).where(ApiToken.id == created.json()["id"]))
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert all(raw not in str(value) for value in (row.token_hash, row.prefix, row.name))
    listed = owner_client.get("/api/auth/tokens").json()
    assert [t["id"] for t in listed] == [row.id]
    assert "token" not in listed[0] and raw not in owner_client.get("/api/auth/tokens").text
    with TestClient(app) as script:
        me = script.get("/api/auth/me", headers=_bearer(raw))
        assert me.status_code == 200 and me.json()["agency_role"] == "owner"
        assert script.post("/api/clients", json={"name": "Via Token"}, headers=_bearer(raw)).status_code == 201


def test_read_only_token_reads_but_cannot_write(owner_client, app):
    raw = owner_client.post("/api/auth/tokens", json={"name": "dashboard", "read_only": True}).json()["token"]
    with TestClient(app) as script:
        assert script.get("/api/clients", headers=_bearer(raw)).status_code == 200
        refused = script.post("/api/clients", json={"name": "Nope"}, headers=_bearer(raw))
        assert refused.status_code == 403
        assert "read-only" in refused.json()["detail"]
        assert script.post("/api/auth/tokens", json={"name": "escalate"}, headers=_bearer(raw)).status_code == 403
    assert owner_client.get("/api/clients").json() == []


def test_revoked_token_is_401(owner_client, app):
    created = owner_client.post("/api/auth/tokens", json={"name": "temp"}).json()
    assert owner_client.delete(f"/api/auth/tokens/{created['id']}").status_code == 204
    with TestClient(app) as script:
        response = script.get("/api/auth/me", headers=_bearer(created["token"]))
    assert response.status_code == 401
    assert owner_client.get("/api/auth/tokens").json() == []
    assert owner_client.delete(f"/api/auth/tokens/{created['id']}").status_code == 404


def test_an_unknown_bearer_token_is_401_even_with_a_valid_cookie(owner_client):
    assert owner_client.get("/api/auth/me").status_code == 200
    assert owner_client.get("/api/auth/me", headers=_bearer("sdk_made_up")).status_code == 401


def test_a_token_never_grants_more_than_its_user(client, world):
    cm = world["community_manager"]
    response = client.post("/api/auth/tokens", json={"name": "cm script"}, headers=cm.headers)
    assert response.status_code == 201
    token = response.json()["token"]
    refused = client.post("/api/clients", json={"name": "Sneaky"}, headers=_bearer(token))
    assert refused.status_code == 403
    assert client.patch(f"/api/clients/{world.a_id}", json={"industry": "x"}, headers=_bearer(token)).status_code == 403
    assert client.get(f"/api/clients/{world.b_id}", headers=_bearer(token)).status_code == 404
    assert client.get(f"/api/clients/{world.a_id}/log", headers=_bearer(token)).status_code == 200


def test_a_token_of_a_deactivated_user_stops_working(client, world):
    analyst = world["analyst"]
    assert client.get("/api/auth/me", headers=analyst.headers).status_code == 200
    r = client.patch(f"/api/users/{analyst.id}", json={"is_active": False}, headers=world["owner"].headers)
    assert r.status_code == 200, r.text
    assert client.get("/api/auth/me", headers=analyst.headers).status_code == 401


def test_a_token_of_another_user_cannot_be_revoked(client, world):
    victim = world["analyst"]
    r = client.delete(f"/api/auth/tokens/{victim.token_id}", headers=world["manager"].headers)
    assert r.status_code == 404
    assert client.get("/api/auth/me", headers=victim.headers).status_code == 200


def test_cookie_post_without_csrf_header_is_403_and_with_it_succeeds(owner_client):
    token = owner_client.headers.pop("x-csrf-token")
    refused = owner_client.post("/api/clients", json={"name": "No Csrf"})
    assert refused.status_code == 403
    assert "security token" in refused.json()["detail"]
    wrong = owner_client.post("/api/clients", json={"name": "No Csrf"}, headers={"x-csrf-token": token + "x"})
    assert wrong.status_code == 403
    assert owner_client.get("/api/clients").json() == []
    ok = owner_client.post("/api/clients", json={"name": "With Csrf"}, headers={"x-csrf-token": token})
    assert ok.status_code == 201, ok.text


def test_bearer_request_needs_no_csrf_token(owner_client, app):
    raw = owner_client.post("/api/auth/tokens", json={"name": "ci"}).json()["token"]
    owner_client.headers.pop("x-csrf-token")
    # Even from a client that also carries the session cookie, the token alone authorizes.
    response = owner_client.post("/api/clients", json={"name": "Bearer Co"}, headers=_bearer(raw))
    assert response.status_code == 201, response.text


def test_change_password_checks_the_current_one_and_signs_out_other_sessions(owner_client, app):
    with TestClient(app) as other:
        assert other.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": PASSWORD}).status_code == 200
        wrong = owner_client.post("/api/auth/password", json={"current_password": "nope nope nope", "new_password": "x" * 12})
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "current_password"
        short = owner_client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
        assert short.json()["errors"][0]["field"] == "new_password"
        ok = owner_client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a new long passphrase"})
        assert ok.status_code == 204
        assert owner_client.get("/api/auth/me").status_code == 200  # the caller got a fresh session
        assert other.get("/api/auth/me").status_code == 401
        other.cookies.clear()  # a stale session cookie would make the sign-in need a CSRF token
        assert other.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": PASSWORD}).status_code == 401
        assert other.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": "a new long passphrase"}).status_code == 200


def test_sign_in_with_odd_input_is_a_client_error_not_a_server_error(client):
    signup_owner(client)
    client.cookies.clear()
    for email in ("nul\u0000@example.com", "x" * 400 + "@example.com"):
        assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code in (401, 422)
    assert client.post("/api/auth/login", json={"email": OWNER_EMAIL, "password": "a\u0000b" * 10}).status_code == 401


def test_concurrent_requests_with_one_token_never_fail_on_its_last_use(owner_client, app, session, monkeypatch):
    """A script firing requests in parallel: recording the token's use must not break any of them
    (on SQLite a read transaction cannot take the write lock once another request has committed)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from live import serve
    from socialdesk.auth import service as auth_service

    raw = owner_client.post("/api/auth/tokens", json={"name": "parallel"}).json()["token"]
    monkeypatch.setattr(auth_service, "TOKEN_TOUCH_SECONDS", 0)  # try to stamp on every request
    with serve(app) as base, httpx.Client(base_url=base, headers=_bearer(raw), timeout=30) as http:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: http.get("/api/auth/me").status_code, range(120)))
    assert codes == [200] * 120
    session.expire_all()
    assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "parallel")) is not None
