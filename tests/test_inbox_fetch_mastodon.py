"""Mastodon inbox fetch: ``MastodonAdapter.fetch_inbox`` against a real mastodon-mock server
(``mastodon_peer`` in conftest.py). Bob writes to Alice; Alice's adapter reads her mentions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialdesk.networks.base import NetworkError
from socialdesk.networks.mastodon import MastodonAdapter
from test_channels import fault

ALICE = {"access_token": "alice_token"}  # seeded accounts of mastodon-mock (not real credentials)


@pytest.fixture
def adapter():
    return MastodonAdapter()


@pytest.fixture
def fetch(adapter, mastodon_peer):
    def fetch(cursor, limit=100):
        return adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials=ALICE, cursor=cursor, limit=limit)
    return fetch


@pytest.fixture
def cursor_now(mastodon_peer, fetch):
    """Alice's cursor as things stand (the peer lives for the whole session: earlier tests wrote too),
    after one mention so that there is a cursor at all (without one, fetch returns only the newest)."""
    mastodon_peer.client("bob").status_post("@alice baseline")
    cursor = fetch(None, limit=1).cursor
    assert cursor is not None
    return cursor


def test_mentions_replies_and_direct_messages_come_oldest_first_as_plain_text(mastodon_peer, fetch, cursor_now):
    alice, bob = mastodon_peer.client("alice"), mastodon_peer.client("bob")
    bob_me = bob.account_verify_credentials()
    own = alice.status_post("Our spring menu is out")
    mention = bob.status_post("Hey @alice, Tea & <cake> at 5?\nSecond line", language="en")
    reply = bob.status_post("@alice looks great", in_reply_to_id=own["id"])
    dm = bob.status_post("@alice can I book a table?", visibility="direct")

    page = fetch(cursor_now)

    assert [e.remote_id for e in page.entries] == [str(mention["id"]), str(reply["id"]), str(dm["id"])]
    assert [e.kind for e in page.entries] == ["mention", "reply", "dm"]
    first, answer, direct = page.entries
    # The instance's HTML (<p>, <br>, &amp; &lt;) comes out as the plain text that was posted.
    assert "<" in mention["content"] and "&amp;" in mention["content"]
    assert first.text == "Hey @alice, Tea & <cake> at 5? Second line"
    assert answer.text == "@alice looks great"
    assert first.author.remote_id == str(bob_me["id"])
    assert first.author.handle == "bob" and first.author.display_name == bob_me["display_name"]
    assert first.author.url == bob_me["url"] and first.author.followers == bob_me["followers_count"]
    assert first.url == mention["url"] and first.lang == "en"
    assert first.in_reply_to is None and first.thread_root == first.remote_id
    assert answer.in_reply_to == str(own["id"]) and answer.thread_root == str(own["id"])
    # A direct message belongs to the conversation of its participants (see tests/test_inbox_dm.py).
    alice_id = str(alice.account_verify_credentials()["id"])
    assert direct.thread_root == "dm:" + ",".join(sorted({str(bob_me["id"]), alice_id}, key=lambda i: (len(i), i)))
    assert all(e.created_at.tzinfo is not None for e in page.entries)
    assert first.created_at <= answer.created_at <= direct.created_at <= datetime.now(UTC)

    # The cursor round trip: nothing again, then only what is new.
    again = fetch(page.cursor)
    assert again.entries == () and again.cursor == page.cursor
    later = bob.status_post("@alice one more thing")
    newer = fetch(page.cursor)
    assert [e.remote_id for e in newer.entries] == [str(later["id"])]
    assert fetch(newer.cursor).entries == ()


def test_more_mentions_than_a_page_are_paged_without_loss_or_repeats(mastodon_peer, fetch, cursor_now):
    bob = mastodon_peer.client("bob")
    posted = [str(bob.status_post(f"@alice note {i}")["id"]) for i in range(8)]

    page = fetch(cursor_now, limit=3)  # three pages of 3, 3 and 2
    assert [e.remote_id for e in page.entries] == posted
    assert [e.text for e in page.entries] == [f"@alice note {i}" for i in range(8)]
    assert fetch(page.cursor, limit=3).entries == ()

    # The first sync (no cursor) is the newest ``limit``, oldest first, and continues from there.
    first = fetch(None, limit=5)
    assert [e.remote_id for e in first.entries] == posted[-5:]
    assert fetch(first.cursor, limit=2).entries == ()
    more = [str(bob.status_post(f"@alice later {i}")["id"]) for i in range(5)]
    assert [e.remote_id for e in fetch(first.cursor, limit=2).entries] == more


def test_the_first_sync_pages_back_for_a_limit_larger_than_one_request(mastodon_peer, fetch, cursor_now):
    bob = mastodon_peer.client("bob")
    posted = [str(bob.status_post(f"@alice bulk {i}")["id"]) for i in range(45)]
    first = fetch(None, limit=42)  # Mastodon answers at most 40 a request
    assert [e.remote_id for e in first.entries] == posted[-42:]
    assert [e.remote_id for e in fetch(cursor_now, limit=40).entries] == posted


def test_other_notifications_are_not_in_the_inbox(mastodon_peer, fetch, cursor_now):
    alice, bob = mastodon_peer.client("alice"), mastodon_peer.client("bob")
    own = alice.status_post("Favourite me")
    bob.status_favourite(own["id"])
    bob.status_reblog(own["id"])
    assert fetch(cursor_now).entries == ()


def test_rate_limiting_is_a_network_error_with_retry_after(mastodon_peer, fetch):
    with fault(mastodon_peer, match={"path": "/api/v1/notifications"},
               effect={"type": "status", "status": 429, "headers": {"Retry-After": "42"},
                       "body": {"error": "Too many requests"}}):
        with pytest.raises(NetworkError) as limited:
            fetch(None)
    assert limited.value.status == 429 and limited.value.retry_after == 42


def test_a_revoked_token_is_a_credential_error(mastodon_peer, adapter):
    with pytest.raises(NetworkError) as refused:
        adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials={"access_token": "revoked-token-xyz"},
                            cursor=None)
    assert refused.value.status == 401 and refused.value.bad_credentials
    assert "revoked-token-xyz" not in str(refused.value)


def test_more_than_the_cap_returns_the_oldest_and_the_next_call_continues(mastodon_peer, fetch, cursor_now,
                                                                          monkeypatch):
    import socialdesk.networks.mastodon as mastodon_module

    bob = mastodon_peer.client("bob")
    posted = [str(bob.status_post(f"@alice capped {i}")["id"]) for i in range(5)]
    monkeypatch.setattr(mastodon_module, "MAX_INBOX_ENTRIES", 3)
    page = fetch(cursor_now, limit=2)
    assert [e.remote_id for e in page.entries] == posted[:3]
    rest = fetch(page.cursor, limit=2)
    assert [e.remote_id for e in rest.entries] == posted[3:]
    assert fetch(rest.cursor, limit=2).entries == ()
