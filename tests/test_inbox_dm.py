"""Direct messages in the inbox: Mastodon conversations (a real mastodon-mock server, ``mastodon_peer``)
and X DM events (answers recorded in tests/fixtures/x/dm_events*.json, built from X's documented
payloads; respx answers for https://api.x.com). Each message once, grouped in one conversation per
set of participants (Mastodon) or per dm_conversation_id (X), the account's own messages left out."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import select

from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import Conversation, InboxItem
from socialdesk.networks.base import NetworkError
from socialdesk.networks.mastodon import MastodonAdapter
from socialdesk.vault.service import Vault
from test_channels import _client, _connect

ALICE = {"access_token": "alice_token"}  # seeded accounts of mastodon-mock (not real credentials)


def _participants(*clients) -> str:
    ids = sorted({str(c.account_verify_credentials()["id"]) for c in clients}, key=lambda i: (len(i), i))
    return "dm:" + ",".join(ids)


@pytest.fixture
def mastodon_channel(owner_client, mastodon_peer, session):
    """Alice's account connected as a client's channel, synced once (the cursors start from now)."""
    from socialdesk.channels.models import Channel

    cid = _client(owner_client)
    response = _connect(owner_client, cid, mastodon_peer.base_url)
    assert response.status_code == 201, response.text
    first = owner_client.post(f"/api/clients/{cid}/channels/{response.json()['id']}/sync").json()
    assert first["error"] == ""
    session.expire_all()
    return session.get(Channel, response.json()["id"])


def _sync(session, settings, channel, adapter=None):
    session.expire_all()
    state = inbox.sync_channel(session=session, vault=Vault.from_settings(settings), channel=channel, adapter=adapter)
    session.commit()
    return state


def _items(session, channel) -> list[InboxItem]:
    return list(session.scalars(select(InboxItem).where(InboxItem.channel_id == channel.id).order_by(InboxItem.id)))


def test_mastodon_direct_messages_arrive_once_in_one_conversation_without_our_own(
        mastodon_peer, mastodon_channel, session, settings):
    alice, bob = mastodon_peer.client("alice"), mastodon_peer.client("bob")
    before = {i.remote_id for i in _items(session, mastodon_channel)}
    first = bob.status_post("@alice is there a table for two tonight?", visibility="direct")
    ours = alice.status_post("@bob yes, at 8?", visibility="direct", in_reply_to_id=first["id"])
    second = bob.status_post("@alice perfect & thanks <3", visibility="direct", in_reply_to_id=ours["id"])

    state = _sync(session, settings, mastodon_channel)

    assert state.error == ""
    new = [i for i in _items(session, mastodon_channel) if i.remote_id not in before]
    assert [i.remote_id for i in new] == [str(first["id"]), str(second["id"])]  # not alice's own answer
    assert {i.kind for i in new} == {"dm"} and new[1].text == "@alice perfect & thanks <3"
    conversation = session.get(Conversation, new[0].conversation_id)
    assert new[1].conversation_id == conversation.id  # the first sync may have brought earlier ones of theirs
    assert conversation.root_remote_id == _participants(alice, bob)
    # The conversation's last status came through the conversations list too: its id is kept for replying.
    assert new[1].extra.get("conversation_id") and new[1].extra.get("visibility") == "direct"
    cursor = json.loads(state.cursor)
    assert set(cursor) == {"notifications", "conversations"} and cursor["conversations"] == str(second["id"])
    assert "2 new" in state.last_report

    again = _sync(session, settings, mastodon_channel)
    assert again.items_total == state.items_total and again.cursor == state.cursor
    assert "0 new" in again.last_report


def test_a_group_message_is_its_own_conversation(mastodon_peer, mastodon_channel, session, settings):
    alice, bob, carol = (mastodon_peer.client(n) for n in ("alice", "bob", "carol"))
    pair = bob.status_post("@alice just us", visibility="direct")
    group = bob.status_post("@alice @carol all three of us", visibility="direct")
    _sync(session, settings, mastodon_channel)
    by_id = {i.remote_id: i for i in _items(session, mastodon_channel)}
    roots = {rid: session.get(Conversation, by_id[rid].conversation_id).root_remote_id
             for rid in (str(pair["id"]), str(group["id"]))}
    assert roots == {str(pair["id"]): _participants(alice, bob), str(group["id"]): _participants(alice, bob, carol)}


@pytest.fixture
def private_mentions_dropped(mastodon_peer):
    """Alice's instance drops notifications of private mentions (Mastodon 4.3's notification policy)."""
    def policy(value):
        response = httpx.patch(f"{mastodon_peer.base_url}/api/v2/notifications/policy", timeout=5,
                               headers={"Authorization": "Bearer alice_token"}, json={"for_private_mentions": value})
        response.raise_for_status()
    policy("drop")
    try:
        yield
    finally:
        policy("accept")


def test_a_message_the_notification_policy_held_back_still_arrives_through_conversations(
        mastodon_peer, mastodon_channel, session, settings, private_mentions_dropped):
    alice, bob = mastodon_peer.client("alice"), mastodon_peer.client("bob")
    held = bob.status_post("@alice a private question about my order", visibility="direct")
    mentions = alice.notifications(types=["mention"], limit=40)
    assert str(held["id"]) not in {str((n.get("status") or {}).get("id")) for n in mentions}  # no notification

    _sync(session, settings, mastodon_channel)

    item = next(i for i in _items(session, mastodon_channel) if i.remote_id == str(held["id"]))
    assert item.kind == "dm" and item.text == "@alice a private question about my order"
    assert session.get(Conversation, item.conversation_id).root_remote_id == _participants(alice, bob)


def test_a_plain_cursor_from_before_goes_on_with_mentions_and_starts_conversations(mastodon_peer):
    adapter = MastodonAdapter()
    bob = mastodon_peer.client("bob")
    bob.status_post("@alice a baseline")
    old = json.loads(adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials=ALICE, cursor=None,
                                         limit=1).cursor)["notifications"]
    mention = bob.status_post("@alice after the upgrade")
    page = adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials=ALICE, cursor=old)  # the plain id
    assert [e.remote_id for e in page.entries] == [str(mention["id"])]
    parts = json.loads(page.cursor)
    assert int(parts["notifications"]) > int(old) and "conversations" in parts
    dm = bob.status_post("@alice and now a message", visibility="direct")
    later = adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials=ALICE, cursor=page.cursor)
    assert [e.remote_id for e in later.entries] == [str(dm["id"])]
    assert later.entries[0].extra.get("conversation_id")  # read from the conversations list as well


def test_the_later_of_two_cursors_is_taken_part_by_part(mastodon_peer):
    adapter = MastodonAdapter()
    older = '{"notifications":"90","conversations":"200"}'
    assert json.loads(adapter.later_cursor(older, '{"notifications":"120","conversations":"150"}')) == \
        {"notifications": "120", "conversations": "200"}
    assert json.loads(adapter.later_cursor("100", '{"notifications":"99"}')) == {"notifications": "100"}
    assert json.loads(adapter.later_cursor("9", '{"notifications":"10"}')) == {"notifications": "10"}  # as numbers
    with pytest.raises(ValueError):
        adapter.later_cursor('{"since": 3}', "10")
    with pytest.raises(NetworkError) as refused:
        adapter.fetch_inbox(base_url=mastodon_peer.base_url, credentials=ALICE, cursor='{"mentions": 5}')
    assert refused.value.permanent and "not a Mastodon inbox cursor" in refused.value.message

