"""The outside-office-hours reply: when someone writes while the client is closed, answer once with
the client's message, through the same reply code as a person (``automatic=True``).

A **closed window** is the span between two office periods (the client's OfficeHoursSlot rows, in
its time zone; periods a minute or less apart count as one, since a slot ends at 23:59 at the
latest). Each author gets at most one automatic reply per window: the AutoReplySent row (unique per
channel, author and window start) is written and committed before the reply is sent, so a second
worker, or a second sync of the same items, finds it and sends nothing.

Never answered automatically: our own account, quotes (they talk about us, not to us), direct
messages where the network cannot keep the answer private, conversations tagged spam, items
written before the current window began (a late first sync must not answer last week), and
clients without office hours or without a message.

An automatic reply is not an answer from a person: it does not stop the response clock
(``sla.record_response`` is not called), and the conversation stays ``new``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.inbox import replies, sla
from socialdesk.inbox.models import AutoReplySent, Conversation, InboxItem, InboxReply
from socialdesk.inbox.schemas import Tag
from socialdesk.kit.errors import InvalidInput
from socialdesk.publishing.timing import resolve_local
from socialdesk.vault.service import Vault

log = logging.getLogger("socialdesk.inbox")

ANSWERED_KINDS = frozenset({"mention", "reply", "dm"})
JOIN_GAP = timedelta(minutes=1)  # Monday 18:00-23:59 and Tuesday 00:00-08:00 are one period
LOOK_AROUND_DAYS = 8  # a weekly schedule repeats within this many days either side


@dataclass(frozen=True)
class Window:
    """A closed span in UTC: from the end of one office period to the start of the next."""

    start: datetime
    end: datetime


def office_periods(client: Client, around: datetime) -> list[tuple[datetime, datetime]]:
    """The client's office periods (UTC, merged) from LOOK_AROUND_DAYS before ``around`` to as many after."""
    day0 = around.astimezone(ZoneInfo(client.timezone)).date()
    spans = []
    for offset in range(-LOOK_AROUND_DAYS, LOOK_AROUND_DAYS + 1):
        day = day0 + timedelta(days=offset)
        for slot in client.office_hours:
            if slot.weekday == day.weekday():
                start = resolve_local(datetime.combine(day, slot.start), client.timezone).at
                end = resolve_local(datetime.combine(day, slot.end), client.timezone).at
                if end > start:
                    spans.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + JOIN_GAP:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def closed_window(client: Client, at: datetime) -> Window | None:
    """The closed window ``at`` falls in; None inside office hours or when the client has none."""
    periods = office_periods(client, at)
    if not periods or any(start <= at < end for start, end in periods):
        return None
    before = [end for _, end in periods if end <= at]
    after = [start for start, _ in periods if start > at]
    start = before[-1] if before else periods[0][0] - timedelta(days=LOOK_AROUND_DAYS)
    end = after[0] if after else periods[-1][1] + timedelta(days=LOOK_AROUND_DAYS)
    return Window(start, end)


def ingested_since(session: Session, channel: Channel, since: datetime) -> list[InboxItem]:
    """The channel's items stored at or after ``since`` (what one sync brought in)."""
    return list(session.scalars(select(InboxItem).where(InboxItem.channel_id == channel.id,
                                                        InboxItem.ingested_at >= since)
                                .order_by(InboxItem.created_at, InboxItem.id)))


def _eligible(session: Session, channel: Channel, item: InboxItem, window: Window, adapter) -> bool:
    if item.kind not in ANSWERED_KINDS or not (item.author_remote_id or item.author_handle):
        return False
    if channel.account_id and item.author_remote_id == channel.account_id:
        return False  # our own post in the thread
    if channel.handle and item.author_handle.lower().lstrip("@") == channel.handle.lower().lstrip("@"):
        return False
    if item.kind == "dm" and not getattr(adapter, "private_replies", False):
        return False
    if not window.start <= item.created_at < window.end:
        return False
    conversation = session.get(Conversation, item.conversation_id)
    return Tag.SPAM not in (conversation.tags or [])


def after_ingest(session: Session, channel: Channel, items: Iterable[InboxItem | Conversation], *, vault: Vault,
                 adapter=None, now: datetime | None = None) -> list[InboxReply]:
    """Answer what just arrived, if the client is closed now and wants it; returns the replies made.

    ``items`` may be items or conversations (then each one's items). Commits: each guard row before
    its reply is sent."""
    wanted: list[InboxItem] = []
    for thing in items:
        wanted.extend(thing.items if isinstance(thing, Conversation) else [thing])
    if not wanted:
        return []
    rules = sla.settings_for(session, channel.client_id)
    client = session.get(Client, channel.client_id)
    message = (rules.auto_reply_message or client.outside_hours_message or "").strip()
    if not rules.auto_reply or not message:
        return []
    window = closed_window(client, now or utcnow())
    if window is None:
        return []  # open: people answer
    adapter = adapter or channels_service.adapter_for(channel.network)
    made = []
    for item in sorted(wanted, key=lambda i: (i.created_at, i.id)):
        if not _eligible(session, channel, item, window, adapter):
            continue
        conversation = session.get(Conversation, item.conversation_id)
        try:
            replies.draft(session=session, conversation=conversation, text=message, item_id=item.id,
                          automatic=True, adapter=adapter)
        except InvalidInput as exc:
            log.warning("no automatic reply on channel %s: %s", channel.id, exc.message)
            return made  # the same message fails for every item
        guard = AutoReplySent(client_id=channel.client_id, channel_id=channel.id,
                              author_remote_id=(item.author_remote_id or item.author_handle)[:300],
                              window_start=window.start)
        try:
            with session.begin_nested():
                session.add(guard)
        except IntegrityError:
            continue  # this author was answered in this window already (maybe by another worker)
        session.commit()
        reply = replies.send(session=session, vault=vault, conversation=conversation, text=message, author_id=None,
                             item_id=item.id, automatic=True, adapter=adapter)
        guard.reply_id = reply.id
        session.commit()
        made.append(reply)
    return made
