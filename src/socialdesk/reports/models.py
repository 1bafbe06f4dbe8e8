"""Report definitions, their deliveries and share links, and the logos and colours reports carry.

A definition names a client, the sections to show (from :data:`SECTIONS`), the kind of period, the
comparison and the schedule. A delivery row is written once per (definition, period): the periodic
task sends a period's report only when there is none yet. A share link stores only the digest of
its token (like API tokens), expires and can be revoked.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow

# The sections a report may hold, in the order a report shows them: key -> title.
SECTIONS = {
    "summary": "Summary",
    "kpis": "Key figures",
    "audience_growth": "Audience growth",
    "engagement": "Engagement",
    "top_posts": "Top posts",
    "best_times": "Best times to post",
    "response_times": "Inbox response times",
    "listening": "Listening & sentiment",
    "competitors": "Competitors",
    "paid": "Paid & ROI",
    "links": "Links & conversions",
    "recommendations": "Recommendations",
    "next_steps": "Next steps",
}
DEFAULT_SECTIONS = ["summary", "kpis", "audience_growth", "engagement", "top_posts", "next_steps"]


class AgencyBranding(Base):
    """The agency's name, colour and logo on every report (one row, id 1)."""

    __tablename__ = "agency_branding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    color: Mapped[str] = mapped_column(String(7), default="#1f2937")
    logo: Mapped[str | None] = mapped_column(String(200))  # file name under the data folder's branding/
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClientLogo(Base):
    """The client's logo for reports (the colour is the client's brand_color)."""

    __tablename__ = "client_logos"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True)
    logo: Mapped[str] = mapped_column(String(200))  # file name under the data folder's branding/
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDefinition(Base):
    """What a client's report shows, for which period, compared with what, sent to whom and when."""

    __tablename__ = "report_definitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sections: Mapped[list] = mapped_column(JSON, default=list)  # keys of SECTIONS, in the chosen order
    period_kind: Mapped[str] = mapped_column(String(10), default="month")  # month | week | custom
    custom_start: Mapped[date | None] = mapped_column(Date)
    custom_end: Mapped[date | None] = mapped_column(Date)
    comparison: Mapped[str] = mapped_column(String(10), default="previous")  # previous | year_ago | none
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # e-mail addresses
    schedule: Mapped[str] = mapped_column(String(10), default="off")  # weekly | monthly | off
    next_steps: Mapped[str] = mapped_column(Text, default="")  # the team's own words for "what we do next"
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDelivery(Base):
    """One sending of a definition's report for one period (at most one per period)."""

    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("definition_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("report_definitions.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(30))  # 2026-10, 2026-W42
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReportShare(Base):
    """A link that shows one report for one period to whoever holds it, until it expires or is revoked."""

    __tablename__ = "report_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("report_definitions.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(30))
    comparison: Mapped[str] = mapped_column(String(10), default="previous")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the token's start, to tell links apart
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
