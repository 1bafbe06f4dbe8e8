"""The inbox: ingesting fetched pages (no item twice, conversations by thread, a done conversation
reopens when the person writes again), sync cursors and errors, listing with filters, triage, and
who may see it. The network side (fetch_inbox against real peers) is in tests/test_inbox_fetch_*.py;
here a scripted network hands pages to the sync so every edge (duplicates, a cursor going
backwards, garbage, an error mid-way) can be produced on demand."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from socialdesk.channels.models import Channel
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import InboxItem
from socialdesk.networks.base import Author, InboxEntry, InboxPage, NetworkError
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault
from test_channels import _client

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def entry(n: int, *, root: int | None = None, kind: str = "mention", author: str = "pat", text: str | None = None):
    return InboxEntry(remote_id=f"r{n}", kind=kind, author=Author(remote_id=f"id-{author}", handle=f"{author}@x.example",
                                                                  display_name=author.title(), followers=120),
                      text=text if text is not None else f"message {n}", created_at=T0 + timedelta(minutes=n),
                      in_reply_to=f"r{root}" if root else None, thread_root=f"r{root}" if root else None)


class ScriptedNetwork:
    """Hands out the pages it was given, one per fetch, and records the cursors it was asked from."""

    def __init__(self, *pages):
        self.pages = list(pages)
        self.asked: list[str | None] = []

    def fetch_inbox(self, *, base_url, credentials, cursor, limit=100):
        self.asked.append(cursor)
        page = self.pages.pop(0) if self.pages else InboxPage((), None)
        if isinstance(page, Exception):
            raise page
        return page


@pytest.fixture
def channel(owner_client, session, settings):
    cid = _client(owner_client)
    row = Channel(client_id=cid, network="mastodon", handle="acme", base_url="https://m.example", account_id="1",
                  status="ok")
    session.add(row)
    session.flush()
    vault_service.put(session=session, vault=Vault.from_settings(settings), name=row.secret_name,
                      value=json.dumps({"access_token": "t"}), client_id=cid)
    session.commit()
    return row


def _sync(session, settings, channel, network):
    session.expire_all()  # see what the app committed meanwhile
    state = inbox.sync_channel(session=session, vault=Vault.from_settings(settings), channel=channel, adapter=network)
    session.commit()
    return state


def test_sync_ingests_each_item_once_and_groups_threads(session, settings, channel, owner_client):
    network = ScriptedNetwork(
        InboxPage((entry(1), entry(2, root=1, kind="reply"), entry(3, author="sam")), "c3"),
        InboxPage((entry(3, author="sam"), entry(4, root=1, kind="reply")), "c4"),  # r3 again
        InboxPage((), "c4"),
    )
    state = _sync(session, settings, channel, network)
    assert network.asked == [None, "c3", "c4"] and state.cursor == "c4" and state.error == ""
    assert state.items_total == 4
    assert session.scalar(select(func.count()).select_from(InboxItem)) == 4
    listed = owner_client.get(f"/api/clients/{channel.client_id}/inbox").json()
    assert [c["item_count"] for c in listed] == [3, 1]  # the thread of r1 is the newest activity (r4)
    assert listed[0]["latest"]["remote_id"] == "r4" and listed[1]["latest"]["author_handle"] == "sam@x.example"
    detail = owner_client.get(f"/api/clients/{channel.client_id}/inbox/{listed[0]['id']}").json()
    assert [i["remote_id"] for i in detail["items"]] == ["r1", "r2", "r4"]
    again = _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(1), entry(2, root=1)), "c2")))
    assert again.items_total == 4  # an old cursor handing back old items adds nothing


def test_a_network_error_keeps_what_was_ingested_and_is_shown_on_the_channel(session, settings, channel,
                                                                                owner_client):
    network = ScriptedNetwork(InboxPage((entry(1),), "c1"),
                              NetworkError("429 Too many requests", status=429, retry_after=60))
    state = _sync(session, settings, channel, network)
    assert state.items_total == 1 and state.cursor == "c1" and "429" in state.error
    shown = owner_client.get(f"/api/clients/{channel.client_id}/channels/{channel.id}/sync").json()
    assert "429" in shown["error"] and shown["cursor"] == "c1"
    state = _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(2),), "c2")))
    assert state.error == "" and state.items_total == 2 and state.synced_at is not None


def test_garbage_from_the_network_is_reported_not_fatal(session, settings, channel):
    state = _sync(session, settings, channel, ScriptedNetwork(ValueError("not JSON")))
    assert "unexpected" in state.error and state.items_total == 0


def test_done_conversations_reopen_and_triage_is_checked(session, settings, channel, owner_client):
    _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(1),), "c1")))
    cid = channel.client_id
    conv = owner_client.get(f"/api/clients/{cid}/inbox").json()[0]
    done = owner_client.patch(f"/api/clients/{cid}/inbox/{conv['id']}", json={"status": "done", "tags": ["praise"]})
    assert done.status_code == 200 and done.json()["status"] == "done"
    bad_tag = owner_client.patch(f"/api/clients/{cid}/inbox/{conv['id']}", json={"tags": ["gossip"]})
    assert bad_tag.status_code == 422 and bad_tag.json()["errors"][0]["field"].startswith("tags")
    stranger = owner_client.patch(f"/api/clients/{cid}/inbox/{conv['id']}", json={"assignee_id": 999_999})
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "assignee_id"
    note = owner_client.post(f"/api/clients/{cid}/inbox/{conv['id']}/notes", json={"text": "called them <b>back</b>"})
    assert note.status_code == 201
    _sync(session, settings, channel, ScriptedNetwork(InboxPage((entry(2, root=1, kind="reply"),), "c2")))
    reopened = owner_client.get(f"/api/clients/{cid}/inbox/{conv['id']}").json()
    assert reopened["status"] == "open" and reopened["tags"] == ["praise"]
    assert [n["text"] for n in reopened["notes"]] == ["called them <b>back</b>"]
    tagged = owner_client.get("/api/inbox", params={"tag": "praise"}).json()
    assert [c["id"] for c in tagged] == [conv["id"]]
    assert owner_client.get("/api/inbox", params={"status": "new"}).json() == []


def test_listing_filters_by_sentiment_and_by_when_the_conversation_began(session, settings, channel, owner_client):
    """GET /api/inbox and /api/clients/{id}/inbox: ``sentiment``, ``older_than`` and ``newer_than`` (ISO 8601
    times, ``older_than`` excluded, ``newer_than`` included), alone and together; a bad value is a 422 naming it."""
    _sync(session, settings, channel, ScriptedNetwork(InboxPage((
        entry(1, text="I love it, wonderful and great service, thank you!"),
        entry(60, author="sam", text="Terrible, awful, the worst experience ever. I hate it."),
        entry(120, author="kim", text="Is the shop open on Sunday?"),
        entry(130, root=1, kind="reply", text="Thanks again, great!"),  # activity later: the start counts
    ), "c1")))
    cid = channel.client_id
    listed = owner_client.get(f"/api/clients/{cid}/inbox").json()
    began = {c["latest"]["author_handle"].split("@")[0]: c for c in listed}
    assert {k: c["sentiment"] for k, c in began.items()} == {"pat": "positive", "sam": "negative", "kim": "neutral"}
    ids = {k: c["id"] for k, c in began.items()}
    checks = [
        ({"sentiment": "negative"}, ["sam"]),
        ({"sentiment": "positive"}, ["pat"]),
        ({"older_than": (T0 + timedelta(minutes=60)).isoformat()}, ["pat"]),  # sam began at that instant
        ({"older_than": "2026-11-20T10:00:01Z"}, ["pat", "sam"]),
        ({"older_than": "2026-11-20T11:00:01+01:00"}, ["pat", "sam"]),  # the same instant in another zone
        ({"newer_than": (T0 + timedelta(minutes=60)).isoformat()}, ["kim", "sam"]),
        ({"newer_than": "2026-11-20T10:00:01Z", "older_than": "2026-11-20T12:00:00Z"}, ["kim"]),
        ({"newer_than": T0.isoformat(), "older_than": "2026-11-20T11:00:00Z"}, ["pat", "sam"]),
        ({"sentiment": "negative", "older_than": T0.isoformat()}, []),
        ({"sentiment": "neutral", "newer_than": "2026-11-20T10:30:00Z"}, ["kim"]),
    ]
    for url in (f"/api/clients/{cid}/inbox", "/api/inbox"):
        for params, expected in checks:
            answer = owner_client.get(url, params=params)
            assert answer.status_code == 200, (url, params, answer.text)
            assert [c["id"] for c in answer.json()] == [ids[k] for k in expected], (url, params)
        for name, value in (("sentiment", "angry"), ("older_than", "yesterday"), ("newer_than", "2026-13-01")):
            refused = owner_client.get(url, params={name: value})
            assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == name, (url, name)
            assert name in refused.json()["detail"]


def test_client_approvers_never_see_the_inbox(client, world):
    a = world.a_id
    approver, cm = world["client_approver"], world["community_manager"]
    assert client.get(f"/api/clients/{a}/inbox", headers=approver.headers).status_code == 403
    assert client.get("/api/inbox", headers=approver.headers).json() == []
    assert client.get(f"/api/clients/{a}/inbox", headers=cm.headers).status_code == 200
    assert client.get(f"/api/clients/{a}/inbox", headers=world["outsider"].headers).status_code == 404


def test_sync_from_a_real_mastodon_server_through_the_api(owner_client, mastodon_peer):
    """bob mentions the client's account (alice) on mastodon-mock; "sync now" brings it in once."""
    import uuid

    from test_channels import _connect

    cid = _client(owner_client)
    ch = _connect(owner_client, cid, mastodon_peer.base_url).json()["id"]
    first = owner_client.post(f"/api/clients/{cid}/channels/{ch}/sync").json()
    assert first["error"] == ""
    tag = uuid.uuid4().hex[:8]
    mastodon_peer.client("bob").status_post(f"@alice is the <b>order</b> {tag} shipped? & when")
    second = owner_client.post(f"/api/clients/{cid}/channels/{ch}/sync").json()
    assert second["error"] == "" and second["items_total"] == first["items_total"] + 1
    third = owner_client.post(f"/api/clients/{cid}/channels/{ch}/sync").json()
    assert third["items_total"] == second["items_total"]  # nothing twice
    latest = owner_client.get(f"/api/clients/{cid}/inbox").json()[0]["latest"]
    assert tag in latest["text"] and "<b>order</b>" in latest["text"] and "& when" in latest["text"]
    assert latest["author_handle"].startswith("bob") and latest["kind"] == "mention"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_on_postgresql_a_sync_commits_without_waiting_for_the_disk_and_only_that_sync(database, settings, channel):
    """Items and their cursor commit together, so a commit lost in a crash is fetched again: the sync's
    transaction (and only it) turns synchronous_commit off."""
    with database.session() as s:
        inbox.sync_channel(session=s, vault=Vault.from_settings(settings), channel=s.get(Channel, channel.id),
                           adapter=ScriptedNetwork(InboxPage((entry(1),), "c1")))
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "off"
    with database.session() as s:
        assert s.execute(text("SHOW synchronous_commit")).scalar() == "on"
        assert s.scalar(select(func.count()).select_from(InboxItem)) == 1
