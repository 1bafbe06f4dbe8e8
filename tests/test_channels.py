"""Channels: connecting a Mastodon account against a real peer (mastodon-mock served by uvicorn,
see ``mastodon_peer`` in conftest.py), health checks with the peer's fault injection, the vault,
validation, access rules and the Channels page.

Connecting verifies the credential first: a refused or unreachable one answers 422 naming the
field, and leaves no channel row and no secret behind.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import httpx
import pytest

from conftest import signup_owner
from live import free_port
from sqlalchemy import text

from socialdesk.kit.authz import Role
from socialdesk.networks.base import NetworkError
from socialdesk.networks.mastodon import MastodonAdapter
from test_pages import Browser, add_person, make_client, sign_in

TOKEN = "alice_token"  # a seeded account of mastodon-mock (not a real credential)


@contextmanager
def fault(peer, **rule):
    """A mastodon-mock fault rule (POST /api/v1/_mock/faults), removed afterwards."""
    response = httpx.post(f"{peer.base_url}/api/v1/_mock/faults", json=rule, timeout=5)
    response.raise_for_status()
    try:
        yield
    finally:
        httpx.delete(f"{peer.base_url}/api/v1/_mock/faults/{response.json()['id']}", timeout=5)


def _client(api, name="Acme Bikes") -> int:
    response = api.post("/api/clients", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _connect(api, cid: int, base_url: str, token: str = TOKEN, **extra):
    return api.post(f"/api/clients/{cid}/channels",
                    json={"network": "mastodon", "base_url": base_url, "access_token": token, **extra})


def _rows(session, table: str) -> list:
    session.commit()  # see what the app committed
    return session.execute(text(f"SELECT * FROM {table}")).all()


def test_connect_with_a_valid_token_verifies_and_stores_the_token_encrypted(owner_client, session, mastodon_peer):
    cid = _client(owner_client)
    alice = httpx.get(f"{mastodon_peer.base_url}/api/v1/accounts/verify_credentials",
                      headers={"Authorization": f"Bearer {TOKEN}"}).json()
    response = _connect(owner_client, cid, mastodon_peer.base_url + "/")
    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["status"] == "ok" and channel["last_error"] == "" and channel["last_checked_at"]
    assert channel["account_id"] == alice["id"] and channel["handle"] == "alice"
    assert channel["max_characters"] == 500  # the instance's configuration.statuses
    assert channel["base_url"] == mastodon_peer.base_url  # trailing slash dropped
    assert channel["display_name"] == "Alice"
    # The token is in the vault, encrypted, under channel:{id} for this client; never in an answer.
    secrets = _rows(session, "stored_secrets")
    assert [(s.name, s.client_id) for s in secrets] == [(f"channel:{channel['id']}", cid)]
    assert TOKEN not in secrets[0].ciphertext
    assert "access_token" not in channel and TOKEN not in response.text
    for url in (f"/api/clients/{cid}/channels", f"/api/clients/{cid}/channels/{channel['id']}"):
        answer = owner_client.get(url)
        assert answer.status_code == 200 and TOKEN not in answer.text
        assert "alice" in answer.text


def test_max_characters_comes_from_the_instance(owner_client, mastodon_peer):
    instance = httpx.get(f"{mastodon_peer.base_url}/api/v2/instance").json()
    instance["configuration"]["statuses"]["max_characters"] = 1234
    cid = _client(owner_client)
    with fault(mastodon_peer, match={"methods": ["GET"], "path_regex": "^/api/v2/instance/?$"},
               effect={"type": "status", "status": 200, "body": instance}):
        response = _connect(owner_client, cid, mastodon_peer.base_url)
    assert response.status_code == 201, response.text
    assert response.json()["max_characters"] == 1234


def test_a_refused_token_names_the_field_and_stores_nothing(owner_client, session, mastodon_peer):
    cid = _client(owner_client)
    response = _connect(owner_client, cid, mastodon_peer.base_url, token="not-a-valid-token")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["field"] == "access_token"
    assert "401" in body["detail"] and "not-a-valid-token" not in response.text
    assert _rows(session, "channels") == [] and _rows(session, "stored_secrets") == []


def test_an_unreachable_instance_names_the_url_and_stores_nothing(owner_client, session):
    cid = _client(owner_client)
    started = time.monotonic()
    for url in (f"http://127.0.0.1:{free_port()}", "http://no-such-host.invalid"):
        response = _connect(owner_client, cid, url)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "base_url"
        assert "could not reach" in response.json()["detail"] and TOKEN not in response.text
    assert time.monotonic() - started < 15
    assert _rows(session, "channels") == [] and _rows(session, "stored_secrets") == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_private_and_loopback_instances_are_refused_unless_allowed(settings, database, mastodon_peer, host):
    from fastapi.testclient import TestClient

    from socialdesk.web.app import create_app

    strict = settings.model_copy(update={"allow_private_urls": False})
    with TestClient(create_app(strict, database)) as api:
        signup_owner(api)
        cid = _client(api)
        port = mastodon_peer.base_url.rsplit(":", 1)[1]
        response = _connect(api, cid, f"http://{host}:{port}")
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "base_url"
        assert "private or loopback" in response.json()["detail"]
        assert api.get(f"/api/clients/{cid}/channels").json() == []


def test_check_records_the_networks_message_and_recovers(owner_client, mastodon_peer):
    cid = _client(owner_client)
    channel_id = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    check = f"/api/clients/{cid}/channels/{channel_id}/check"
    with fault(mastodon_peer, match={"path": "/api/v1/accounts/verify_credentials"},
               effect={"type": "status", "status": 401, "body": {"error": "The access token is invalid"}}):
        response = owner_client.post(check)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "error"
    assert response.json()["last_error"] == "401 The access token is invalid"
    assert TOKEN not in response.text
    with fault(mastodon_peer, match={"path": "/api/v1/accounts/verify_credentials"},
               effect={"type": "ratelimit"}):
        limited = owner_client.post(check).json()
    assert limited["status"] == "error" and limited["last_error"].startswith("429")
    healthy = owner_client.post(check).json()
    assert healthy["status"] == "ok" and healthy["last_error"] == ""


def test_a_hung_instance_times_out_as_a_network_error(mastodon_peer):
    with fault(mastodon_peer, match={"path": "/api/v1/accounts/verify_credentials"},
               effect={"type": "latency", "delay_ms": 2000}, count=1):
        started = time.monotonic()
        with pytest.raises(NetworkError) as caught:
            MastodonAdapter(timeout=0.5).verify(base_url=mastodon_peer.base_url, credentials={"access_token": TOKEN})
    assert time.monotonic() - started < 1.8
    assert caught.value.status is None and "could not reach" in caught.value.message
    assert TOKEN not in caught.value.message


def test_disconnect_removes_the_channel_and_its_secret(owner_client, session, mastodon_peer):
    cid = _client(owner_client)
    keep = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    gone = _connect(owner_client, cid, mastodon_peer.base_url, token="bob_token").json()["id"]
    assert owner_client.delete(f"/api/clients/{cid}/channels/{gone}").status_code == 204
    assert owner_client.get(f"/api/clients/{cid}/channels/{gone}").status_code == 404
    assert [s.name for s in _rows(session, "stored_secrets")] == [f"channel:{keep}"]
    assert [c["id"] for c in owner_client.get(f"/api/clients/{cid}/channels").json()] == [keep]


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"network": "mastodon", "base_url": "ftp://example.social", "access_token": "t"}, "base_url", "http"),
        ({"network": "mastodon", "base_url": "javascript:alert(1)", "access_token": "t"}, "base_url", "http"),
        ({"network": "mastodon", "base_url": "https://", "access_token": "t"}, "base_url", "server address"),
        ({"network": "mastodon", "base_url": "https://example.social", "access_token": "  "}, "access_token", "at least 1"),
        ({"network": "mastodon", "base_url": "https://example.social"}, "access_token", "required"),
        ({"network": "myspace", "access_token": "t"}, "network", "mastodon"),
        ({"access_token": "t"}, "network", "mastodon"),
        ("not an object", "network", "mastodon"),
        ({"network": "bluesky", "handle": "not a handle", "app_password": "p"}, "handle", "domain-style"),
    ],
)
def test_validation_names_the_field(owner_client, session, body, field, words):
    cid = _client(owner_client)
    response = owner_client.post(f"/api/clients/{cid}/channels", json=body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e["field"].split(".")[-1] == field and words in e["message"] for e in errors), errors
    assert _rows(session, "channels") == [] and _rows(session, "stored_secrets") == []


def test_community_manager_may_view_not_manage_and_outsider_gets_404(client, world):
    cm, outsider = world["community_manager"], world["outsider"]
    base = f"/api/clients/{world.a_id}/channels"
    one = f"{base}/{world.channel_id}"
    body = {"network": "mastodon", "base_url": "http://127.0.0.1:9", "access_token": "t"}
    assert client.get(base, headers=cm.headers).status_code == 200
    assert client.get(one, headers=cm.headers).json()["id"] == world.channel_id
    assert client.post(base, json=body, headers=cm.headers).status_code == 403
    assert client.post(f"{one}/check", headers=cm.headers).status_code == 403
    assert client.delete(one, headers=cm.headers).status_code == 403
    for method, url, kw in [("GET", base, {}), ("GET", one, {}), ("POST", base, {"json": body}),
                            ("POST", f"{one}/check", {}), ("DELETE", one, {})]:
        response = client.request(method, url, headers=outsider.headers, **kw)
        assert response.status_code == 404, (method, url, response.status_code)
        assert "Alpha" not in response.text
    # The outsider manages B, yet A's channel id under B is not found either.
    assert client.get(f"/api/clients/{world.b_id}/channels/{world.channel_id}", headers=outsider.headers).status_code == 404
    assert client.get(one, headers=cm.headers).status_code == 200  # still there


# --- the Channels page ---------------------------------------------------------------------------


@pytest.fixture
def owner(owner_client) -> Browser:
    token = owner_client.headers.pop("x-csrf-token")
    return Browser(owner_client, token)


def _forms_have_csrf(page: str, token: str) -> None:
    import re

    forms = re.findall(r"<form\b.*?</form>", page, re.S)
    assert forms and all(f'name="csrf_token" value="{token}"' in f for f in forms)
    assert "style=" not in page and "<script>" not in page and "onclick" not in page


def test_channels_page_connects_checks_and_disconnects(owner, session, mastodon_peer):
    cid = make_client(owner)
    page = owner.get(f"/clients/{cid}/channels")
    assert page.status_code == 200 and "No channels connected yet" in page.text
    assert f'href="/clients/{cid}/channels"' in page.text
    _forms_have_csrf(page.text, owner.token)

    bad = owner.post(f"/clients/{cid}/channels",
                     {"network": "mastodon", "base_url": mastodon_peer.base_url, "access_token": "wrong-token-123"})
    assert bad.status_code == 422 and "access token" in bad.text and "401" in bad.text
    assert "wrong-token-123" not in bad.text and mastodon_peer.base_url in bad.text  # the URL is kept, the token not
    invalid = owner.post(f"/clients/{cid}/channels", {"network": "mastodon", "base_url": "ftp://x", "access_token": "t"})
    assert invalid.status_code == 422 and "base url: must start with http:// or https://" in invalid.text

    done = owner.post(f"/clients/{cid}/channels",
                      {"network": "mastodon", "base_url": mastodon_peer.base_url, "access_token": TOKEN})
    assert done.status_code == 200 and done.url.path == f"/clients/{cid}/channels"
    assert "Healthy" in done.text and "alice" in done.text and "500 characters" in done.text
    assert TOKEN not in done.text
    _forms_have_csrf(done.text, owner.token)
    channel_id = owner.http.get(f"/api/clients/{cid}/channels").json()[0]["id"]

    with fault(mastodon_peer, match={"path": "/api/v1/accounts/verify_credentials"},
               effect={"type": "status", "status": 401, "body": {"error": "The access token is invalid"}}):
        checked = owner.post(f"/clients/{cid}/channels/{channel_id}/check", {})
    assert checked.status_code == 200 and "401 The access token is invalid" in checked.text and "Error" in checked.text

    gone = owner.post(f"/clients/{cid}/channels/{channel_id}/delete", {})
    assert gone.status_code == 200 and "No channels connected yet" in gone.text
    assert _rows(session, "stored_secrets") == []


def test_channels_fed_by_imports_are_listed_and_an_imported_account_can_be_removed(owner, session):
    """An account imported from CSV (a network socialdesk cannot connect) and the inbox's Reviews channel show
    under "Fed by imports", escaped; removing the account removes its snapshots, the Reviews channel stays."""
    cid = make_client(owner)
    accounts = "date,network,channel,followers\n2025-06-01,instagram,<b>harbor</b>,1200\n"
    imported = owner.http.post(f"/api/clients/{cid}/analytics/import/accounts", content=accounts.encode(),
                               headers={"content-type": "text/csv", "x-csrf-token": owner.token})
    assert imported.status_code == 200, imported.text
    reviews = "source,author,rating,text,created_at\ngoogle,Ann,2,Cold soup,2025-06-02\n"
    reviewed = owner.http.post(f"/api/clients/{cid}/inbox/reviews", content=reviews.encode(),
                               headers={"content-type": "text/csv", "x-csrf-token": owner.token})
    assert reviewed.status_code in (200, 201), reviewed.text
    page = owner.get(f"/clients/{cid}/channels")
    assert page.status_code == 200 and "Fed by imports" in page.text and "No channels connected yet" in page.text
    section = page.text[page.text.index("Fed by imports"):]
    assert "&lt;b&gt;harbor&lt;/b&gt;" in section and "<b>harbor" not in page.text
    assert "Reviews" in section and "kept while the inbox holds its reviews" in section
    _forms_have_csrf(page.text, owner.token)
    account = session.scalar(text("SELECT id FROM channels WHERE client_id = :c AND network = 'instagram'"), {"c": cid})
    gone = owner.post(f"/clients/{cid}/channels/{account}/delete", {})
    assert gone.status_code == 200 and "&lt;b&gt;harbor" not in gone.text and "Fed by imports" in gone.text
    session.rollback()  # end this session's read (SQLite keeps its snapshot until then)
    assert session.scalar(text("SELECT count(*) FROM account_snapshots WHERE channel_id = :a"),
                          {"a": account}) == 0


def test_channels_page_is_read_only_for_a_community_manager_and_hidden_from_approvers(owner, app, session):
    cid = make_client(owner)
    add_person(session, "cm@agency.example.com", Role.COMMUNITY_MANAGER, cid)
    add_person(session, "approver@client.example.com", Role.CLIENT_APPROVER, cid)
    session.commit()
    cm = sign_in(app, "cm@agency.example.com")
    page = cm.get(f"/clients/{cid}/channels")
    assert page.status_code == 200 and "Connect a channel" not in page.text
    assert cm.post(f"/clients/{cid}/channels", {"network": "mastodon", "base_url": "http://127.0.0.1:9",
                                                "access_token": "t"}).status_code == 403
    approver = sign_in(app, "approver@client.example.com")
    assert f'href="/clients/{cid}/channels"' not in approver.get(f"/clients/{cid}").text
    assert approver.get(f"/clients/{cid}/channels").status_code == 403


def test_update_credential_accepts_only_a_working_token_of_the_same_account(owner_client, database, settings,
                                                                            mastodon_peer):
    from socialdesk.channels import service as channels_service
    from socialdesk.channels.schemas import MastodonChannelIn
    from socialdesk.kit.errors import InvalidInput
    from socialdesk.vault.service import Vault

    cid = _client(owner_client)
    channel_id = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    vault = Vault.from_settings(settings)

    def update(token: str):
        data = MastodonChannelIn(network="mastodon", base_url=mastodon_peer.base_url, access_token=token)
        with database.session() as s:
            channels_service.update_credential(session=s, vault=vault, client_id=cid, channel_id=channel_id, data=data)

    for token, words in (("bob_token", "another account"), ("nope-nope", "401")):
        with pytest.raises(InvalidInput) as caught:
            update(token)
        assert caught.value.errors[0].field == "access_token" and words in caught.value.message
    update(TOKEN)
    with database.session() as s:
        channel = channels_service.get(session=s, client_id=cid, channel_id=channel_id)
        assert channels_service.credentials(session=s, vault=vault, channel=channel) == {"access_token": TOKEN}
        assert channel.status == "ok"
