"""Tracked links, their clicks and conversions, and each client's privacy choices.

A click keeps no personal data by default: the link, the time, the referrer's host (never the full
referrer) and whether it was a link-preview bot. Only a client that opts into visitor hashing gets a
``visitor_hash``: an HMAC of IP and user agent under a random salt that rotates daily and is then
deleted, so yesterday's hashes can no longer be matched to anyone. The IP itself is never stored.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow

# Clicks come by the million; SQLite needs INTEGER for an auto-increment key.
BigId = BigInteger().with_variant(Integer, "sqlite")


class TrackedLink(Base):
    """A short link ``/l/<code>`` that redirects to ``destination`` (the UTM parameters already applied)."""

    __tablename__ = "tracked_links"
    __table_args__ = (Index("ix_tracked_links_client_archived", "client_id", "archived"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    destination: Mapped[str] = mapped_column(String(2048))
    utm_source: Mapped[str] = mapped_column(String(100), default="")
    utm_medium: Mapped[str] = mapped_column(String(100), default="")
    utm_campaign: Mapped[str] = mapped_column(String(100), default="")
    utm_term: Mapped[str] = mapped_column(String(100), default="")
    utm_content: Mapped[str] = mapped_column(String(100), default="")
    network: Mapped[str | None] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Archived links leave the list but keep redirecting: posts already out there must not break.
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class LinkClick(Base):
    """One visit of a short link, or one preview fetch by a bot (``is_preview``)."""

    __tablename__ = "link_clicks"
    __table_args__ = (Index("ix_link_clicks_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("tracked_links.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    network: Mapped[str | None] = mapped_column(String(20))  # the link's, else guessed from the referrer host
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    is_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    visitor_hash: Mapped[str | None] = mapped_column(String(32))  # only with the client's opt-in
    # Same link, visitor and time window -> same key: repeats only bump ``repeats`` (one click counted).
    dedup_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    # Random, handed to the visitor (sdc parameter or sd_click cookie) only when the client attributes
    # conversions; a conversion that brings it back is tied to this click.
    token: Mapped[str | None] = mapped_column(String(24), unique=True)


class Conversion(Base):
    """A result posted back by the client's site: a pixel hit or a signed server call."""

    __tablename__ = "link_conversions"
    __table_args__ = (
        UniqueConstraint("client_id", "order_ref"),  # the same order is counted once
        Index("ix_link_conversions_client_at", "client_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("tracked_links.id", ondelete="SET NULL"), index=True)
    click_id: Mapped[int | None] = mapped_column(ForeignKey("link_clicks.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    network: Mapped[str | None] = mapped_column(String(20))  # the click's (or the link's) network
    kind: Mapped[str] = mapped_column(String(50))  # purchase, signup, lead ...
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    order_ref: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(10))  # pixel | server


class LinkSettings(Base):
    """A client's link-tracking choices. The conversion secret lives in the vault, never here."""

    __tablename__ = "link_settings"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(16), unique=True)  # names the client in pixels and calls
    hash_visitors: Mapped[bool] = mapped_column(Boolean, default=False)
    dedup_seconds: Mapped[int] = mapped_column(Integer, default=30)
    attribution: Mapped[str] = mapped_column(String(10), default="off")  # off | param | cookie
    pixel_origins: Mapped[list] = mapped_column(JSON, default=list)
    secret_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def secret_name(self) -> str:
        return "links:conversion"


class LinkSalt(Base):
    """The random salt of one day's visitor hashes; older days' salts are deleted."""

    __tablename__ = "link_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
