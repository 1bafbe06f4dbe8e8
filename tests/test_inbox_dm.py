"""Direct messages in the inbox: Mastodon conversations (a real mastodon-mock server, ``mastodon_peer``)
and X DM events (answers recorded in tests/fixtures/x/dm_events*.json, built from X's documented
payloads; respx answers for https://api.x.com). Each message once, grouped in one conversation per
set of participants (Mastodon) or per dm_conversation_id (X), the account's own messages left out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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



# --- X: GET /2/dm_events (recorded payloads) -----------------------------------------------------

X_DM_TOKEN = "18LAA581J5II7LA00C00ZZZZ"
ONE_TO_ONE = "1500000000000000002-2244994945"
GROUP = "1931000000000000900"


@pytest.fixture
def x_api():
    """X's mentions (tests/test_inbox_fetch_x.py) and direct messages, answered from the recordings."""
    import respx

    from test_inbox_fetch_x import API, MENTIONS, recorded, timeline

    def dm_events(request):
        if request.url.params.get("pagination_token") == X_DM_TOKEN:
            return recorded("dm_events_page2")
        return recorded(getattr(mock, "dm_page", "dm_events"))  # a test sets ``x_api.dm_page`` for later answers

    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.get("/2/users/me").mock(return_value=recorded("users_me"))
        mock.get(MENTIONS, name="mentions").mock(side_effect=timeline)
        mock.get("/2/dm_events", name="dm_events").mock(side_effect=dm_events)
        yield mock


def _x_fetch(cursor, limit=100):
    from socialdesk.networks.x import XAdapter
    from test_inbox_fetch_x import API, CREDS, NOW

    return XAdapter(clock=lambda: NOW).fetch_inbox(base_url=API, credentials=CREDS, cursor=cursor, limit=limit)


def test_x_direct_messages_come_with_mentions_grouped_by_conversation_without_our_own(x_api):
    page = _x_fetch(None)

    dms = [e for e in page.entries if e.kind == "dm"]
    assert [e.remote_id for e in dms] == ["1931000000000000001", "1931000000000000003", "1931000000000000004"]
    hello, again, group = dms
    assert hello.text == "Hello, are you open on Sunday? & for brunch?"  # DM text is not HTML-escaped
    assert hello.author.handle == "cafe_lumen" and hello.author.display_name == "Café Lumen"
    assert hello.author.followers == 87 and hello.author.url == "https://x.com/cafe_lumen"
    assert hello.thread_root == again.thread_root == f"dm:{ONE_TO_ONE}" and group.thread_root == f"dm:{GROUP}"
    assert hello.extra == {"dm_conversation_id": ONE_TO_ONE} and hello.url == f"https://x.com/messages/{ONE_TO_ONE}"
    assert group.author.handle == "mesa_sol" and group.created_at == datetime(2025, 6, 2, 10, 20, tzinfo=UTC)
    assert len([e for e in page.entries if e.kind != "dm"]) == 5  # the mentions are all still there
    created = [e.created_at for e in page.entries]
    assert created == sorted(created)
    calls = x_api["dm_events"].calls
    assert len(calls) == 2 and calls[1].request.url.params["pagination_token"] == X_DM_TOKEN
    first = dict(calls[0].request.url.params)
    assert first["event_types"] == "MessageCreate" and first["expansions"] == "sender_id"
    assert "dm_conversation_id" in first["dm_event.fields"] and "sender_id" in first["dm_event.fields"]
    assert json.loads(page.cursor) == {"mentions": "1930000000000000006", "dm_events": "1931000000000000005"}

    # Next time: X has no since_id for DMs, so the newest page is read down to the cursor.
    nothing_new = _x_fetch(page.cursor)
    assert [e for e in nothing_new.entries if e.kind == "dm"] == [] and len(x_api["dm_events"].calls) == 3
    x_api.dm_page = "dm_events_newer"
    newer = _x_fetch(nothing_new.cursor)
    assert [(e.remote_id, e.text) for e in newer.entries if e.kind == "dm"] == [
        ("1931000000000000006", "Gracias, hasta el sábado")]
    assert json.loads(newer.cursor)["dm_events"] == "1931000000000000006"
    assert len(x_api["dm_events"].calls) == 4  # the first page reached the cursor


def test_x_refusing_direct_messages_keeps_their_cursor_says_why_and_mentions_still_come(x_api):
    x_api["dm_events"].mock(side_effect=None, return_value=__import__("test_inbox_fetch_x").recorded(
        "dm_events_forbidden_403"))
    cursor = '{"mentions":"1930000000000000006","dm_events":"1931000000000000005"}'
    page = _x_fetch(cursor)
    assert [e.remote_id for e in page.entries] == ["1930000000000000007"]  # the new mention
    assert json.loads(page.cursor) == {"mentions": "1930000000000000007", "dm_events": "1931000000000000005"}
    assert len(page.notes) == 1 and "403" in page.notes[0] and "dm.read" in page.notes[0]


def test_x_messages_that_cannot_be_read_are_skipped_and_named(x_api):
    from test_inbox_fetch_x import FIXTURES

    data = json.loads((FIXTURES / "dm_events_page2.json").read_text())
    body = data["body"]
    body["data"] = [{"text": "no id at all"}, {**body["data"][1], "id": "1930999999999999999", "created_at": "soon"},
                    {**body["data"][1], "id": "1931000000000000000", "dm_conversation_id": None}, *body["data"]]
    x_api["dm_events"].mock(side_effect=None, return_value=httpx.Response(200, json=body))
    page = _x_fetch("1930000000000000006")  # a plain cursor: only mentions were known
    assert [e.remote_id for e in page.entries if e.kind == "dm"] == ["1931000000000000001"]
    assert set(page.skipped) == {"direct message 1 of a page: no id",
                                 "direct message 1930999999999999999: no readable date",
                                 "direct message 1931000000000000000: no readable conversation"}


def test_x_cursors_are_ordered_part_by_part_and_a_foreign_one_is_refused(x_api):
    from socialdesk.networks.x import XAdapter

    adapter = XAdapter()
    assert adapter.later_cursor("20", "19") == "20"
    assert json.loads(adapter.later_cursor('{"mentions":"20","dm_events":"5"}', '{"mentions":"19","dm_events":"7"}')) \
        == {"mentions": "20", "dm_events": "7"}
    with pytest.raises(NetworkError) as refused:
        _x_fetch('{"notifications":"3"}')
    assert refused.value.permanent and not x_api["mentions"].called


def test_x_direct_messages_through_the_sync_land_in_one_conversation_each(x_api, session, settings, owner_client):
    from socialdesk.channels.models import Channel
    from socialdesk.networks.x import XAdapter
    from socialdesk.vault import service as vault_service
    from test_inbox_fetch_x import API, NOW, TOKEN

    cid = _client(owner_client)
    row = Channel(client_id=cid, network="x", handle="XDevelopers", base_url=API, account_id="2244994945", status="ok")
    session.add(row)
    session.flush()
    vault_service.put(session=session, vault=Vault.from_settings(settings), name=row.secret_name,
                      value=json.dumps({"access_token": TOKEN}), client_id=cid)
    session.commit()
    state = _sync(session, settings, row, XAdapter(clock=lambda: NOW))
    assert state.error == "" and state.items_total == 9 and "9 new" in state.last_report  # 6 mentions, 3 messages
    dms = [i for i in _items(session, row) if i.kind == "dm"]
    roots = {i.remote_id: session.get(Conversation, i.conversation_id).root_remote_id for i in dms}
    assert roots == {"1931000000000000001": f"dm:{ONE_TO_ONE}", "1931000000000000003": f"dm:{ONE_TO_ONE}",
                     "1931000000000000004": f"dm:{GROUP}"}
