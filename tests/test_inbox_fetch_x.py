"""X inbox fetch: ``XAdapter.fetch_inbox`` (GET /2/users/:id/mentions) against answers recorded in
tests/fixtures/x (users_mentions*.json, built from X's documented payload; see the README there).
respx answers for https://api.x.com; nothing reaches the internet."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import respx

import socialdesk.networks.x as x_module
from socialdesk.networks.base import NetworkError
from socialdesk.networks.x import XAdapter

FIXTURES = Path(__file__).parent / "fixtures" / "x"
API = "https://api.x.com"
TOKEN = "x-user-token-7f3a9c2e"  # made up, as every credential here
CREDS = {"access_token": TOKEN}
NOW = 1748779080.0  # two minutes before rate_limited_429.json's reset
USER_ID = "2244994945"
MENTIONS = f"/2/users/{USER_ID}/mentions"
NEXT_TOKEN = "7140dibdnow9c7btw4b2mk4qc8bp7cxmm4jmgjf2exlxd"
NEWEST = "1930000000000000006"
ALL_IDS = ["1930000000000000001", "1930000000000000002", "1930000000000000004", "1930000000000000005", NEWEST]


def recorded(name: str, **headers: str) -> httpx.Response:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return httpx.Response(data["status"], headers={**data["headers"], **headers}, json=data["body"])


def timeline(request: httpx.Request) -> httpx.Response:
    """The recorded pages, chosen the way X would by ``since_id`` and ``pagination_token``."""
    params = request.url.params
    since = params.get("since_id")
    if params.get("pagination_token") == NEXT_TOKEN:
        return recorded("users_mentions_page2")
    if since == NEWEST:
        return recorded("users_mentions_since")
    if since == "1930000000000000007":
        return recorded("users_mentions_empty")
    return recorded("users_mentions")


@pytest.fixture
def x():
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.get("/2/users/me", name="me").mock(return_value=recorded("users_me"))
        mock.get(MENTIONS, name="mentions").mock(side_effect=timeline)
        mock.get("/2/dm_events", name="dm_events").mock(return_value=recorded("dm_events_empty"))  # test_inbox_dm.py
        yield mock


@pytest.fixture
def adapter() -> XAdapter:
    return XAdapter(clock=lambda: NOW)


def fetch(adapter, cursor, limit=100):
    return adapter.fetch_inbox(base_url=API, credentials=CREDS, cursor=cursor, limit=limit)


def _params(call) -> dict[str, str]:
    return dict(call.request.url.params)


def test_the_first_sync_reads_every_page_and_returns_entries_oldest_first(x, adapter):
    page = fetch(adapter, None)

    assert [e.remote_id for e in page.entries] == ALL_IDS
    assert page.cursor == NEWEST
    assert [e.kind for e in page.entries] == ["reply", "mention", "mention", "reply", "quote"]
    calls = x["mentions"].calls
    assert len(calls) == 2
    first, second = _params(calls[0]), _params(calls[1])
    assert first["expansions"] == "author_id,referenced_tweets.id"
    assert first["user.fields"] == "username,name,public_metrics"
    assert first["tweet.fields"] == "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,lang"
    assert first["max_results"] == "100" and "since_id" not in first and "pagination_token" not in first
    assert second["pagination_token"] == NEXT_TOKEN
    assert calls[0].request.headers["authorization"] == f"Bearer {TOKEN}"

    by_id = {e.remote_id: e for e in page.entries}
    reply = by_id["1930000000000000005"]
    assert reply.text == "@XDevelopers Is there a table for 4 & a high chair on Friday?"  # &amp; unescaped
    assert reply.in_reply_to == "1929000000000000004" and reply.thread_root == "1929000000000000001"
    assert reply.author.remote_id == "1500000000000000002" and reply.author.handle == "cafe_lumen"
    assert reply.author.display_name == "Café Lumen" and reply.author.followers == 87
    assert reply.author.url == "https://x.com/cafe_lumen"
    assert reply.url == "https://x.com/cafe_lumen/status/1930000000000000005"
    assert reply.created_at == datetime(2025, 6, 2, 9, 10, tzinfo=UTC)
    mention = by_id["1930000000000000004"]
    assert mention.text == "Shout-out to @XDevelopers: the <API> docs\nare great"
    assert mention.in_reply_to is None and mention.thread_root == mention.remote_id
    assert mention.author.display_name == "Harbor & Vine" and mention.author.followers == 1520
    quote = by_id[NEWEST]
    assert quote.kind == "quote" and quote.in_reply_to is None and quote.thread_root == NEWEST
    spanish = by_id["1930000000000000002"]
    assert spanish.lang == "es" and spanish.author.handle == "mesa_sol" and spanish.author.followers == 0
    other_thread = by_id["1930000000000000001"]
    assert other_thread.in_reply_to == "1930000000000000000" and other_thread.thread_root == "1930000000000000000"
    created = [e.created_at for e in page.entries]
    assert created == sorted(created)


def test_the_cursor_round_trip_returns_only_what_is_new(x, adapter):
    first = fetch(adapter, None)
    newer = fetch(adapter, first.cursor)
    assert _params(x["mentions"].calls.last)["since_id"] == NEWEST
    assert [e.remote_id for e in newer.entries] == ["1930000000000000007"]
    assert newer.entries[0].kind == "mention" and newer.entries[0].text == "@XDevelopers gracias!"
    assert newer.cursor == "1930000000000000007"

    nothing = fetch(adapter, newer.cursor)
    assert _params(x["mentions"].calls.last)["since_id"] == "1930000000000000007"
    assert nothing.entries == () and nothing.cursor == newer.cursor


def test_a_small_first_sync_is_the_newest_few(x, adapter):
    page = fetch(adapter, None, limit=2)
    assert [e.remote_id for e in page.entries] == ["1930000000000000005", NEWEST]
    assert page.cursor == NEWEST
    assert len(x["mentions"].calls) == 1  # the first page already held enough
    assert _params(x["mentions"].calls.last)["max_results"] == "5"  # X's smallest page


def test_an_old_cursor_pages_down_to_it_without_loss(x, adapter):
    page = fetch(adapter, "1929999999999999999")
    assert [e.remote_id for e in page.entries] == ALL_IDS
    assert page.cursor == NEWEST
    calls = x["mentions"].calls
    assert len(calls) == 2 and all(_params(c)["since_id"] == "1929999999999999999" for c in calls)
    # An entry at or before the cursor never comes back, even if X listed it.
    again = fetch(adapter, "1930000000000000002")
    assert [e.remote_id for e in again.entries] == ALL_IDS[2:]


def test_more_than_the_cap_returns_the_oldest_and_the_next_call_continues(x, adapter, monkeypatch):
    monkeypatch.setattr(x_module, "MAX_INBOX_ENTRIES", 3)
    page = fetch(adapter, "1929999999999999999")
    assert [e.remote_id for e in page.entries] == ALL_IDS[:3]
    assert page.cursor == ALL_IDS[2]
    rest = fetch(adapter, page.cursor)
    assert [e.remote_id for e in rest.entries] == ALL_IDS[3:]  # the recorded pages, filtered by the cursor
    assert rest.cursor == NEWEST


def test_rate_limiting_is_a_network_error_with_retry_after(x, adapter):
    x["mentions"].mock(side_effect=None, return_value=recorded("rate_limited_429"))
    with pytest.raises(NetworkError) as caught:
        fetch(adapter, None)
    assert caught.value.status == 429 and caught.value.retry_after == 120  # reset 12:00:00, now 11:58:00


def test_a_revoked_token_is_a_credential_error(x, adapter):
    x["mentions"].mock(side_effect=None, return_value=recorded("unauthorized_401"))
    with pytest.raises(NetworkError) as caught:
        fetch(adapter, "1930000000000000002")
    assert caught.value.status == 401 and caught.value.bad_credentials
    assert TOKEN not in str(caught.value)


def test_a_cursor_that_is_not_a_post_id_is_refused_before_asking(x, adapter):
    with pytest.raises(NetworkError) as caught:
        fetch(adapter, "2025-06-01T00:00:00Z|at://x")
    assert caught.value.permanent
    assert not x["mentions"].called
