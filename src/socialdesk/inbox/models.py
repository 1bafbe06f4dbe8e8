"""The unified inbox: what people say to and about a client's accounts, grouped in conversations.

Items come from the networks (text, names and links are untrusted: escaped wherever shown). An item
is unique per (channel, remote id), so a sync that sees it again changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from socialdesk.db import Base, UTCDateTime, utcnow


# A conversation active this long after its first item is "long running": kept in small indexes of their
# own, which the "older than" listing reads (inbox.service.list_conversations, migration 0013).
LONG_RUNNING = timedelta(days=3)


def is_long_running(conversation) -> bool:
    """Whether the last activity is more than LONG_RUNNING after the first item: whoever moves
    ``last_activity_at`` sets ``long_running`` from this."""
    return conversation.last_activity_at - conversation.first_item_at > LONG_RUNNING


_LISTING_FILTERS = ("status", "assignee_id", "tag_mask", "sentiment", "urgent", "first_item_at")


class Conversation(Base):
    __tablename__ = "inbox_conversations"
    __table_args__ = (
        UniqueConstraint("channel_id", "root_remote_id"),
        # The listing reads newest activity first; its filters trail in the key so a filtered page is
        # found in the index without visiting the rows (migration 0006).
        Index("ix_inbox_conversations_activity", "last_activity_at", "id", "client_id", "channel_id",
              *_LISTING_FILTERS),
        Index("ix_inbox_conversations_client_activity", "client_id", "last_activity_at", "id", "channel_id",
              *_LISTING_FILTERS),
        Index("ix_inbox_conversations_assignee_activity", "assignee_id", "last_activity_at", "id", "client_id",
              "channel_id", *(c for c in _LISTING_FILTERS if c != "assignee_id")),
        Index("ix_inbox_conversations_channel_activity", "channel_id", "last_activity_at", "id", "client_id",
              *_LISTING_FILTERS),
        # The few conversations still active long after they began, for the "older than" filter (0013).
        Index("ix_inbox_conversations_long_activity", "last_activity_at", "id", "client_id", "channel_id",
              *_LISTING_FILTERS, sqlite_where=text("long_running = 1"), postgresql_where=text("long_running")),
        Index("ix_inbox_conversations_long_client_activity", "client_id", "last_activity_at", "id", "channel_id",
              *_LISTING_FILTERS, sqlite_where=text("long_running = 1"), postgresql_where=text("long_running")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # client_id, channel_id and assignee_id begin a listing index each (no index of their own: 0012).
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    root_remote_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="new")  # new | open | waiting | done
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    first_item_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    # Active more than LONG_RUNNING after it began (inbox.service keeps it with last_activity_at).
    long_running: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who started it (their history with this client is looked up by this id).
    author_remote_id: Mapped[str] = mapped_column(String(300), default="")
    author_handle: Mapped[str] = mapped_column(String(320), default="")
    # Tags as bits of Tag's order (filterable in SQL); ``tags`` stays the readable list.
    tag_mask: Mapped[int] = mapped_column(Integer, default=0)
    # Sentiment of the latest item from the public: positive | neutral | negative (None: not scored).
    sentiment: Mapped[str | None] = mapped_column(String(10))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Response-time promise: the clock runs from ``awaiting_since`` (the oldest unanswered item)
    # until we answer; ``due_at`` is the target, ``breach_at`` the limit, both in the client's clock.
    awaiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breach_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)  # 0 none, 1 assignee, 2 manager, 3 director
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    first_response_seconds: Mapped[int | None] = mapped_column(Integer)  # counted in the client's clock
    first_responder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[InboxItem]] = relationship(back_populates="conversation", order_by="InboxItem.created_at")


class InboxItem(Base):
    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("channel_id", "remote_id"),
        Index("ix_inbox_items_conversation_latest", "conversation_id", "id"),  # a conversation's newest item
        Index("ix_inbox_items_author", "client_id", "author_remote_id", "created_at"),  # a person's history
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # client_id begins the author index, conversation_id the newest-item index (no index of their own: 0012).
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # mention | reply | quote | dm | review
    author_remote_id: Mapped[str] = mapped_column(String(300), default="")
    author_handle: Mapped[str] = mapped_column(String(320), default="")
    author_name: Mapped[str] = mapped_column(String(300), default="")
    author_url: Mapped[str] = mapped_column(String(1000), default="")
    author_followers: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    lang: Mapped[str | None] = mapped_column(String(20))
    sentiment_score: Mapped[float | None] = mapped_column(Float)  # VADER compound, -1..1
    sentiment: Mapped[str | None] = mapped_column(String(10))  # positive | neutral | negative
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # what replying needs (Bluesky cid, X conversation id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the network says it was written
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="items")


class InboxNote(Base):
    """An internal note on a conversation (never sent to the network)."""

    __tablename__ = "inbox_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list] = mapped_column(JSON, default=list)  # user ids @-mentioned in the note
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncState(Base):
    """Where a channel's inbox sync stands: its cursor, and its last error (shown on the channel)."""

    __tablename__ = "inbox_sync_state"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    cursor: Mapped[str | None] = mapped_column(String(500))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")
    error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    # What the last sync saw, in words (duplicates skipped, a cursor that went backwards, entries refused).
    last_report: Mapped[str] = mapped_column(Text, default="")


class InboxReply(Base):
    """Our answer to an item, sent through the network once (``marker`` is its idempotency key)."""

    __tablename__ = "inbox_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_items.id", ondelete="SET NULL"))  # answered item
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)  # an outside-office-hours reply
    marker: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="sending")  # sending | sent | failed
    remote_id: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboxEvent(Base):
    """The conversation's history: assigned, status, tags, replied, escalated, handed off."""

    __tablename__ = "inbox_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxSettings(Base):
    """A client's inbox rules: the response-time promise, the outside-hours reply, where handoffs go."""

    __tablename__ = "inbox_settings"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    target_minutes: Mapped[int] = mapped_column(Integer, default=8 * 60)  # first-response target
    limit_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)  # first-response limit
    clock: Mapped[str] = mapped_column(String(20), default="calendar")  # calendar | business (office hours)
    near_breach_minutes: Mapped[int] = mapped_column(Integer, default=60)  # warn this long before the limit
    auto_reply: Mapped[bool] = mapped_column(Boolean, default=False)  # answer outside office hours
    auto_reply_message: Mapped[str] = mapped_column(Text, default="")  # empty: the brand profile's message
    urgent_followers: Mapped[int] = mapped_column(Integer, default=10_000)  # a complaint from this reach is urgent
    lead_webhook_url: Mapped[str] = mapped_column(String(1000), default="")
    lead_email: Mapped[str] = mapped_column(String(320), default="")
    support_webhook_url: Mapped[str] = mapped_column(String(1000), default="")
    support_email: Mapped[str] = mapped_column(String(320), default="")


class SavedReply(Base):
    __tablename__ = "inbox_saved_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutoReplySent(Base):
    """One outside-hours reply per author per closed window (the window's start identifies it)."""

    __tablename__ = "inbox_auto_replies"
    __table_args__ = (UniqueConstraint("channel_id", "author_remote_id", "window_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    author_remote_id: Mapped[str] = mapped_column(String(300))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("inbox_replies.id", ondelete="SET NULL"))


class Handoff(Base):
    """A conversation sent to sales (a lead) or customer service (a support case), and its delivery."""

    __tablename__ = "inbox_handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("inbox_conversations.id", ondelete="CASCADE"),
                                                 index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # lead | support
    destination: Mapped[str] = mapped_column(String(20))  # webhook | email
    address: Mapped[str] = mapped_column(String(1000))  # the URL or e-mail address it went to
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the queued delivery task is due; a pending handoff long past it lost its task (requeue_stalled).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
