"""Analytics: daily snapshots of what the networks count, and paid results imported from files.

One row per (channel, day) for an account and per (client, network, post, day) for a post: the
figures as the network reported them that day (collecting twice a day keeps the later figures).
Every count is nullable: None means the network did not say, never 0. Days without a row are gaps,
left as gaps; readers say so rather than guess. Rows are keyed and indexed for aggregation per
client and day (a dashboard sums them; see ``service.series``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow

POST_METRICS = ("likes", "reposts", "replies", "quotes", "impressions", "views", "link_clicks")
ACCOUNT_METRICS = ("followers", "following", "posts")


class AnalyticsSettings(Base):
    """A client's reporting currency (ISO 4217): paid results in any other currency are refused."""

    __tablename__ = "analytics_settings"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    currency: Mapped[str | None] = mapped_column(String(3))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountSnapshot(Base):
    """A channel's account totals on one day (the client's calendar day)."""

    __tablename__ = "account_snapshots"
    __table_args__ = (
        UniqueConstraint("channel_id", "day"),
        Index("ix_account_snapshots_client_day", "client_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    followers: Mapped[int | None] = mapped_column(BigInteger)
    following: Mapped[int | None] = mapped_column(BigInteger)
    posts: Mapped[int | None] = mapped_column(BigInteger)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)  # other counts the network gives (listed, ...)
    decreased: Mapped[list] = mapped_column(JSON, default=list)  # metrics lower than on the previous snapshot
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PostMetricSnapshot(Base):
    """One post's counts on one day. ``post_target_id`` links a post published from here; a post
    made elsewhere (or imported from a file) has only its network and remote id."""

    __tablename__ = "post_metric_snapshots"
    __table_args__ = (
        UniqueConstraint("client_id", "network", "remote_id", "day"),
        Index("ix_post_metric_snapshots_client_day", "client_id", "day"),
        Index("ix_post_metric_snapshots_target_day", "post_target_id", "day"),
        Index("ix_post_metric_snapshots_channel_day", "channel_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    post_target_id: Mapped[int | None] = mapped_column(ForeignKey("post_targets.id", ondelete="SET NULL"))
    network: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str] = mapped_column(String(300))
    day: Mapped[date] = mapped_column(Date)
    likes: Mapped[int | None] = mapped_column(BigInteger)
    reposts: Mapped[int | None] = mapped_column(BigInteger)
    replies: Mapped[int | None] = mapped_column(BigInteger)
    quotes: Mapped[int | None] = mapped_column(BigInteger)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    views: Mapped[int | None] = mapped_column(BigInteger)
    link_clicks: Mapped[int | None] = mapped_column(BigInteger)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # the network said the post was deleted
    decreased: Mapped[list] = mapped_column(JSON, default=list)  # metrics lower than on the previous snapshot
    source: Mapped[str] = mapped_column(String(10), default="network")  # network | import
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrackedPost(Base):
    """A post whose counts the daily collection reads: every post published here within the
    window (settings.analytics_window_days), and longer when ``track_until`` says so; never once gone."""

    __tablename__ = "tracked_posts"
    __table_args__ = (UniqueConstraint("channel_id", "remote_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    post_target_id: Mapped[int | None] = mapped_column(ForeignKey("post_targets.id", ondelete="SET NULL"))
    remote_id: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    track_until: Mapped[date | None] = mapped_column(Date)  # read daily until this day, past the window
    gone_on: Mapped[date | None] = mapped_column(Date)  # the day the network said it was deleted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetricsSyncState(Base):
    """How a channel's metrics collection went: when, its error, and what the network stopped returning."""

    __tablename__ = "metrics_sync_states"

    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_day: Mapped[date | None] = mapped_column(Date)  # the day the last successful run wrote
    error: Mapped[str] = mapped_column(Text, default="")
    # "post.impressions" / "account.followers" -> the first day the network no longer returned it
    stopped: Mapped[dict] = mapped_column(JSON, default=dict)
    report: Mapped[str] = mapped_column(Text, default="")  # what the last run saw, in words
    posts_read: Mapped[int] = mapped_column(Integer, default=0)


class PaidResult(Base):
    """Paid results for one day, network, campaign and ad, in the client's reporting currency."""

    __tablename__ = "paid_results"
    __table_args__ = (
        UniqueConstraint("client_id", "day", "row_key"),
        Index("ix_paid_results_client_day", "client_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"))
    network: Mapped[str] = mapped_column(String(20))
    ad: Mapped[str] = mapped_column(String(200), default="")  # the ad or ad set, as the file names it
    row_key: Mapped[str] = mapped_column(String(64))  # digest of network, campaign and ad: a re-import replaces
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    spend: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    conversions: Mapped[int | None] = mapped_column(BigInteger)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
