"""The fast inbox paths answer exactly what the plain ones do: the listing (no client condition for a
director, NOT IN for few others, one query per client merged) against the plain IN-list query for every
filter and client set, with ``before`` paging; latest items by index probe; items stored as rows by ingest."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from socialdesk.auth.models import User
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.inbox import service as inbox
from socialdesk.inbox.models import LONG_RUNNING, Conversation, InboxItem
from socialdesk.inbox.schemas import tag_mask
from socialdesk.networks.base import Author, InboxEntry

T0 = datetime(2026, 6, 1, tzinfo=UTC)
CLIENTS = 8


def plain(session, client_ids, *, before=None, limit=50, **filters):
    """The listing as one plain query over the IN-list (the shape before the speed-ups)."""
    query = select(Conversation).where(Conversation.client_id.in_(client_ids))
    for key, value in filters.items():
        if key == "tag":
            query = query.where(Conversation.tag_mask.op("&")(tag_mask([value])) != 0)
        elif key == "unassigned":
            query = query.where(Conversation.assignee_id.is_(None))
        elif key == "older_than":
            query = query.where(Conversation.first_item_at < value)
        elif key == "newer_than":
            query = query.where(Conversation.first_item_at >= value)
        elif key == "urgent":
            query = query.where(Conversation.urgent.is_(value))
        else:
            query = query.where(getattr(Conversation, key) == value)
    if before is not None:
        query = query.where(Conversation.last_activity_at < before)
    return [c.id for c in session.scalars(query.order_by(Conversation.last_activity_at.desc(),
                                                         Conversation.id.desc()).limit(limit))]


@pytest.fixture
def inbox_world(session):
    """CLIENTS clients (the last without conversations), 2 channels each, ~900 conversations with ties
    in last activity, statuses, assignees, tags, sentiment, urgency and ages; a few items each."""
    rng = random.Random(7)
    conn = session.connection()
    conn.execute(Client.__table__.insert(), [{"name": f"Speed {i}", "name_key": f"speed {i}"} for i in range(CLIENTS)])
    clients = list(session.scalars(select(Client.id).where(Client.name_key.like("speed %")).order_by(Client.id)))
    conn.execute(User.__table__.insert(), [{"email": f"s{i}@x.example", "name": f"S {i}", "password_hash": "x"}
                                           for i in range(3)])
    users = list(session.scalars(select(User.id).where(User.email.like("s_@x.example"))))
    conn.execute(Channel.__table__.insert(), [{"client_id": c, "network": "mastodon", "handle": f"h{c}{k}",
                                               "base_url": "https://m.example"} for c in clients for k in range(2)])
    channels = {c: list(session.scalars(select(Channel.id).where(Channel.client_id == c))) for c in clients}
    rows = []
    for n in range(900):
        client = rng.choice(clients[:-1])
        first = T0 + timedelta(hours=rng.randrange(2000))
        last = first + timedelta(hours=rng.choice([0, 0, 1, 30, 71, 73, 24 * 20]))  # many ties, a few long running
        tags = [t for t in ("question", "complaint", "lead", "troll") if rng.random() < 0.2]
        rows.append({"client_id": client, "channel_id": rng.choice(channels[client]), "network": "mastodon",
                     "root_remote_id": f"root{n}", "status": rng.choice(["new", "open", "waiting", "done"]),
                     "assignee_id": rng.choice([None, None, *users]), "tags": tags, "tag_mask": tag_mask(tags),
                     "first_item_at": first, "last_activity_at": last, "item_count": 0,
                     "long_running": last - first > LONG_RUNNING,
                     "sentiment": rng.choice(["positive", "neutral", "negative", None]),
                     "urgent": rng.random() < 0.1, "escalation_level": 0, "breached": False})
    conn.execute(Conversation.__table__.insert(), rows)
    ids = list(session.scalars(select(Conversation.id, ).order_by(Conversation.id)))
    items = [{"client_id": 0, "channel_id": 0, "conversation_id": cid, "remote_id": f"i{cid}-{k}", "kind": "reply",
              "created_at": T0} for cid in ids for k in range(rng.randint(1, 3))]
    owner = {c.id: (c.client_id, c.channel_id) for c in session.scalars(select(Conversation))}
    for item in items:
        item["client_id"], item["channel_id"] = owner[item["conversation_id"]]
    conn.execute(InboxItem.__table__.insert(), items)
    session.flush()
    return {"clients": clients, "users": users, "channels": channels}


def test_the_fast_listing_returns_what_the_plain_query_returns(session, inbox_world):
    clients, users = inbox_world["clients"], inbox_world["users"]
    client_sets = {"all": clients, "all but the empty one": clients[:-1], "most": clients[:6], "few": clients[:2],
                   "one": clients[:1], "empty one and another": [clients[-1], clients[3]]}
    cases = [{}, {"status": "open"}, {"status": "waiting"}, {"assignee_id": users[0]}, {"unassigned": True},
             {"tag": "troll"}, {"tag": "question"}, {"sentiment": "negative"}, {"urgent": True}, {"urgent": False},
             {"older_than": T0 + timedelta(days=40)}, {"older_than": T0 + timedelta(days=80)},
             {"older_than": T0 + timedelta(days=15), "status": "open"}, {"newer_than": T0 + timedelta(days=60)},
             {"channel_id": inbox_world["channels"][clients[0]][1]}, {"status": "new", "unassigned": True},
             {"sentiment": "negative", "urgent": True, "tag": "complaint"}]
    checked = 0
    for label, ids in client_sets.items():
        for filters in cases:
            for limit in (50, 7):
                expected = plain(session, ids, limit=limit, **filters)
                got = [c.id for c in inbox.list_conversations(session=session, client_ids=ids, limit=limit, **filters)]
                assert got == expected, (label, filters, limit)
                if expected:  # the next page, from the last row's activity
                    before = session.get(Conversation, expected[-1]).last_activity_at
                    assert ([c.id for c in inbox.list_conversations(session=session, client_ids=ids, limit=limit,
                                                                    before=before, **filters)]
                            == plain(session, ids, limit=limit, before=before, **filters)), (label, filters, "before")
                checked += bool(expected)
    assert checked > 100  # the cases find rows: the comparison is not of empty lists
    assert inbox.list_conversations(session=session, client_ids=[]) == []


def test_latest_items_are_each_conversations_newest(session, inbox_world):
    conversations = inbox.list_conversations(session=session, client_ids=inbox_world["clients"], limit=60)
    latest = inbox.latest_items(session, conversations)
    newest = dict(session.execute(select(InboxItem.conversation_id, func.max(InboxItem.id))
                                  .where(InboxItem.conversation_id.in_([c.id for c in conversations]))
                                  .group_by(InboxItem.conversation_id)).all())
    assert {cid: item.id for cid, item in latest.items()} == newest and len(newest) == 60
    assert inbox.latest_items(session, []) == {}


def test_ingested_items_show_in_a_conversation_loaded_before(session, inbox_world):
    channel = session.get(Channel, inbox_world["channels"][inbox_world["clients"][0]][0])
    who = Author(remote_id="p1", handle="pat@m.example", followers=3)
    first = InboxEntry(remote_id="n1", kind="mention", author=who, text="hello, great shop", created_at=T0)
    assert inbox.ingest(session=session, channel=channel, entries=[first]) == 1
    conversation = session.scalar(select(Conversation).where(Conversation.channel_id == channel.id,
                                                             Conversation.root_remote_id == "n1"))
    assert [i.remote_id for i in conversation.items] == ["n1"]  # the collection is now loaded
    reply = InboxEntry(remote_id="n2", kind="reply", author=who, text="still waiting :(", in_reply_to="n1",
                       thread_root="n1", created_at=T0 + timedelta(minutes=5))
    assert inbox.ingest(session=session, channel=channel, entries=[reply, first]) == 1
    assert [i.remote_id for i in conversation.items] == ["n1", "n2"] and conversation.item_count == 2
    stored = session.scalar(select(InboxItem).where(InboxItem.remote_id == "n2"))
    assert stored.sentiment == "negative" and stored.ingested_at is not None and stored.extra == {}


def test_ingest_and_replies_mark_a_conversation_active_long_after_it_began(session, inbox_world):
    channel = session.get(Channel, inbox_world["channels"][inbox_world["clients"][1]][0])
    who = Author(remote_id="p2", handle="sam@m.example", followers=3)
    entries = [InboxEntry(remote_id="l1", kind="mention", author=who, text="hi", created_at=T0),
               InboxEntry(remote_id="l2", kind="reply", author=who, text="again", in_reply_to="l1", thread_root="l1",
                          created_at=T0 + LONG_RUNNING)]  # exactly the bound: not yet
    inbox.ingest(session=session, channel=channel, entries=entries)
    conversation = session.scalar(select(Conversation).where(Conversation.root_remote_id == "l1"))
    assert conversation.long_running is False
    later = InboxEntry(remote_id="l3", kind="reply", author=who, text="hello?", in_reply_to="l1", thread_root="l1",
                       created_at=T0 + LONG_RUNNING + timedelta(minutes=1))
    inbox.ingest(session=session, channel=channel, entries=[later])
    session.expire_all()
    assert session.get(Conversation, conversation.id).long_running is True
    # and it is found by "older than" from its own index, ahead of those that went quiet earlier
    found = inbox.list_conversations(session=session, client_ids=[channel.client_id],
                                     older_than=T0 + timedelta(hours=1))
    assert found[0].id == conversation.id
    # a conversation born long running in one batch (a history import)
    old = [InboxEntry(remote_id="h1", kind="mention", author=who, text="x", created_at=T0),
           InboxEntry(remote_id="h2", kind="reply", author=who, text="y", in_reply_to="h1", thread_root="h1",
                      created_at=T0 + timedelta(days=9))]
    inbox.ingest(session=session, channel=channel, entries=old)
    assert session.scalar(select(Conversation.long_running).where(Conversation.root_remote_id == "h1")) is True
