"""Posts and their way to the networks.

A :class:`Post` is what the team writes and approves; it goes to one or more channels, each a
:class:`PostTarget` with its own text variant and its own fate on the network. The target row is
the truth for publishing: it is claimed by one worker at a time (``claim_token``, ``lease_until``),
``in_flight`` says a send may have reached the network without us knowing the answer, and
``remote_id`` is set once, when the network's id is known.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from socialdesk.db import Base, UTCDateTime, utcnow


class PublishingSettings(Base):
    """A client's publishing policy and its pause switch."""

    __tablename__ = "publishing_settings"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    approval_policy: Mapped[str] = mapped_column(String(20), default="none")  # none | team | client
    major_needs_director: Mapped[bool] = mapped_column(Boolean, default=True)
    require_alt_text: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pause_reason: Mapped[str] = mapped_column(Text, default="")
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)  # secret part of the iCalendar feed URL


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("client_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    major: Mapped[bool] = mapped_column(Boolean, default=False)  # the director approves its posts
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    color: Mapped[str] = mapped_column(String(7), default="#3c71f7")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MediaFile(Base):
    """An uploaded image or video in the client's library (the file lives in the data folder)."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_as: Mapped[str] = mapped_column(String(255))  # path under the data folder
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # image | gif | video
    mime_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column()
    frames: Mapped[int | None] = mapped_column(Integer)  # GIF frames (1 for a still GIF)
    alt_text: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_client_scheduled", "client_id", "scheduled_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")  # internal label on the calendar
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(2048))
    first_comment: Mapped[str] = mapped_column(Text, default="")  # published as a reply to the post
    media_ids: Mapped[list] = mapped_column(JSON, default=list)  # MediaFile ids, in order
    status: Mapped[str] = mapped_column(String(20), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schedule_note: Mapped[str] = mapped_column(Text, default="")  # how a DST gap or overlap was resolved
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every edit; approvals are per version
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[PostTarget]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostTarget.id"
    )


class PostTarget(Base):
    """One post on one channel."""

    __tablename__ = "post_targets"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id"),
        Index("ix_post_targets_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)  # this network's variant; None = the post's text
    marker: Mapped[str] = mapped_column(String(32), unique=True)  # idempotency key / record key / lookup
    state: Mapped[str] = mapped_column(String(20), default="draft")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when a worker may take it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_flight: Mapped[bool] = mapped_column(Boolean, default=False)  # a send may have reached the network
    needs_lookup: Mapped[bool] = mapped_column(Boolean, default=False)  # look before sending again
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_id: Mapped[str | None] = mapped_column(String(300))
    remote_url: Mapped[str | None] = mapped_column(String(500))
    remote_extra: Mapped[dict] = mapped_column(JSON, default=dict)
    comment_remote_id: Mapped[str | None] = mapped_column(String(300))  # the first comment, once sent
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    post: Mapped[Post] = relationship(back_populates="targets")


IMPORTED = "imported from a CSV file"  # the note of an imported post's "created" event (not written by hand)


class PostEvent(Base):
    """The history of a post: who did what, and what the networks said."""

    __tablename__ = "post_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    version: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    target_id: Mapped[int | None] = mapped_column(Integer)


class Approval(Base):
    """A decision on one version of a post, in one capacity (team, client or director)."""

    __tablename__ = "post_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[str] = mapped_column(String(20))  # team | client | director
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(String(20))  # approved | changes_requested
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueSlot(Base):
    """A weekly time at which a channel's queue publishes (client's local time)."""

    __tablename__ = "queue_slots"
    __table_args__ = (UniqueConstraint("channel_id", "weekday", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    time: Mapped[str] = mapped_column(String(5))  # HH:MM


class Notification(Base):
    """Something a person should know (a post failed, a post awaits their approval)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # gets through quiet hours and mutes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a worker took the push to the person's phone and chats (notify.service.claim_push): two
    # workers never push one notification at once, and a push whose task was lost is found by its age.
    push_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
