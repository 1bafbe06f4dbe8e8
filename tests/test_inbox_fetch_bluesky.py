"""Bluesky inbox fetch: ``BlueskyAdapter.fetch_inbox`` against a whole local network (``bluesky_peer``
in conftest.py: PLC, PDS and AppView). Another account mentions, replies to and quotes ours; the
AppView indexes it (``process_all``); our adapter reads the notifications. No mocks, except a 429
answered by respx in front of the real PDS."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx
from atproto import Client, models

import socialdesk.networks.bluesky as bluesky_module
from socialdesk.networks.base import NetworkError, OutgoingPost
from socialdesk.networks.bluesky import BlueskyAdapter
from socialdesk.publishing.timing import new_marker
from test_bluesky import _name

pytestmark = pytest.mark.bluesky


@pytest.fixture(scope="module")
def ours(bluesky_peer):
    return bluesky_peer.create_account(_name("ours"), display_name="Harbor Bistro")


@pytest.fixture(scope="module")
def them(bluesky_peer):
    return bluesky_peer.create_account(_name("them"), display_name="Tess Guest")


@pytest.fixture(scope="module")
def adapter():
    return BlueskyAdapter()


def _creds(account) -> dict[str, str]:
    return {"handle": account.handle, "app_password": account.app_password}


def _post(text: str, **extra) -> OutgoingPost:
    return OutgoingPost(text=text, marker=new_marker(), not_before=datetime.now(UTC), **extra)


@pytest.fixture
def fetch(bluesky_peer, adapter, ours):
    def fetch(cursor, limit=100):
        return adapter.fetch_inbox(base_url=bluesky_peer.pds_url, credentials=_creds(ours), cursor=cursor,
                                   limit=limit)
    return fetch


@pytest.fixture
def start(bluesky_peer, fetch, write, ours):
    """Our cursor as things stand, after one mention so that there is one (without a cursor, fetch
    returns only the newest ``limit``)."""
    write(f"@{ours.handle} baseline")
    bluesky_peer.process_all()
    page = fetch(None, limit=1)
    assert page.cursor is not None
    return page


@pytest.fixture
def write(bluesky_peer, adapter, them):
    """Publish as the other account (the adapter builds the mention facets)."""
    def write(text: str, **extra):
        return adapter.publish(base_url=bluesky_peer.pds_url, credentials=_creds(them), post=_post(text, **extra))
    return write


def test_mentions_replies_and_quotes_come_oldest_first_and_the_cursor_round_trips(
        bluesky_peer, adapter, ours, them, fetch, write, start):
    url = bluesky_peer.pds_url
    own = adapter.publish(base_url=url, credentials=_creds(ours), post=_post("Spring menu is out"))

    mention = write(f"Dinner at @{ours.handle} tonight? Tea & <cake>", langs=("en",))
    reply = write("Looks delicious", reply_to=own.remote_id)
    them_client = Client(base_url=url)
    them_client.login(them.handle, them.app_password)
    quote = them_client.send_post("This one 👇", embed=models.AppBskyEmbedRecord.Main(
        record=models.ComAtprotoRepoStrongRef.Main(uri=own.remote_id, cid=own.extra["cid"])))
    liked = them_client.like(own.remote_id, own.extra["cid"])  # a like is no inbox entry
    assert liked.uri
    bluesky_peer.process_all()

    page = fetch(start.cursor)
    assert [e.remote_id for e in page.entries] == [mention.remote_id, reply.remote_id, quote.uri]
    assert [e.kind for e in page.entries] == ["mention", "reply", "quote"]
    first, answer, quoted = page.entries
    assert first.text == f"Dinner at @{ours.handle} tonight? Tea & <cake>" and first.lang == "en"
    assert first.author.remote_id == them.did and first.author.handle == them.handle
    assert first.author.display_name == "Tess Guest"
    assert first.author.url == f"https://bsky.app/profile/{them.handle}"
    assert first.url == f"https://bsky.app/profile/{them.handle}/post/{mention.remote_id.rsplit('/', 1)[1]}"
    assert first.in_reply_to is None and first.thread_root == mention.remote_id
    assert answer.text == "Looks delicious"
    assert answer.in_reply_to == own.remote_id and answer.thread_root == own.remote_id
    assert quoted.text == "This one 👇" and quoted.thread_root == quote.uri
    created = [e.created_at for e in page.entries]
    assert created == sorted(created) and all(c.tzinfo is not None for c in created)
    assert page.cursor and page.cursor.endswith(f"|{quote.uri}")

    # Again with the cursor: nothing; a new mention after that: only it.
    again = fetch(page.cursor)
    assert again.entries == () and again.cursor == page.cursor
    later = write(f"@{ours.handle} one more thing")
    bluesky_peer.process_all()
    newer = fetch(page.cursor)
    assert [e.remote_id for e in newer.entries] == [later.remote_id]
    assert newer.entries[0].kind == "mention"
    assert fetch(newer.cursor).entries == ()


def test_several_pages_are_read_without_loss_or_repeats(bluesky_peer, fetch, write, ours, start, monkeypatch):
    posted = [write(f"@{ours.handle} note {i}").remote_id for i in range(7)]
    bluesky_peer.process_all()
    monkeypatch.setattr(bluesky_module, "NOTIFICATION_PAGE", 2)  # four requests for the seven

    page = fetch(start.cursor)
    assert [e.remote_id for e in page.entries] == posted
    assert [e.text for e in page.entries] == [f"@{ours.handle} note {i}" for i in range(7)]
    assert fetch(page.cursor).entries == ()

    # The first sync (no cursor) is the newest ``limit``, oldest first.
    first = fetch(None, limit=3)
    assert [e.remote_id for e in first.entries] == posted[-3:]
    assert first.cursor == page.cursor


def test_more_than_the_cap_returns_the_oldest_and_the_next_call_continues(
        bluesky_peer, fetch, write, ours, start, monkeypatch):
    posted = [write(f"@{ours.handle} capped {i}").remote_id for i in range(5)]
    bluesky_peer.process_all()
    monkeypatch.setattr(bluesky_module, "MAX_INBOX_ENTRIES", 3)
    page = fetch(start.cursor)
    assert [e.remote_id for e in page.entries] == posted[:3]
    rest = fetch(page.cursor)
    assert [e.remote_id for e in rest.entries] == posted[3:]
    assert fetch(rest.cursor).entries == ()


def test_rate_limiting_is_a_network_error_with_retry_after(bluesky_peer, ours):
    adapter = BlueskyAdapter()
    with respx.mock(assert_all_called=False) as mock:
        mock.get(url__regex=r".*/xrpc/app\.bsky\.notification\.listNotifications.*").mock(
            return_value=httpx.Response(429, headers={"retry-after": "37"},
                                        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}))
        mock.route().pass_through()  # signing in reaches the real PDS
        with pytest.raises(NetworkError) as limited:
            adapter.fetch_inbox(base_url=bluesky_peer.pds_url, credentials=_creds(ours), cursor=None)
    assert limited.value.status == 429 and limited.value.retry_after == 37


def test_a_wrong_app_password_is_a_credential_error(bluesky_peer, adapter, ours):
    wrong = "wrong-app-pass-word"
    with pytest.raises(NetworkError) as refused:
        adapter.fetch_inbox(base_url=bluesky_peer.pds_url, credentials={"handle": ours.handle, "app_password": wrong},
                            cursor=None)
    assert refused.value.status == 401 and wrong not in str(refused.value)


def test_a_cursor_of_another_shape_is_refused(bluesky_peer, fetch):
    with pytest.raises(NetworkError) as refused:
        fetch("1930000000000000006")
    assert refused.value.permanent
