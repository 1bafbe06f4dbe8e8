"""Crises: the alerts the detector raised, the crisis rooms opened from them (or by hand), their timeline,
playbook steps and post-mortem, the playbooks themselves, and where each client's detectors stand.

Mention ids are kept as plain numbers (no foreign key): a mention removed from listening leaves the
crisis record readable. Texts copied from the public (sample posts, top terms) are untrusted and escaped
wherever shown.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from socialdesk.db import Base, UTCDateTime, utcnow


class DetectorState(Base):
    """One streaming detector of one client: all its mentions (``topic`` '') or one listening topic, on one
    series (``volume``: distinct mentions per bucket, ``negative``: their negative share)."""

    __tablename__ = "crisis_detectors"
    __table_args__ = (UniqueConstraint("client_id", "topic", "series"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20), default="")
    series: Mapped[str] = mapped_column(String(10))  # volume | negative
    state: Mapped[dict] = mapped_column(JSON, default=dict)  # CrisisDetector.to_dict()
    last_bucket: Mapped[int | None] = mapped_column(Integer)  # the last closed bucket fed (UTC epoch // bucket)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrisisAlert(Base):
    """The detector fired for a client: what it saw and why, in numbers. One per episode."""

    __tablename__ = "crisis_alerts"
    __table_args__ = (Index("ix_crisis_alerts_client_fired", "client_id", "fired_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(20), default="")  # '' = all the client's mentions
    status: Mapped[str] = mapped_column(String(20), default="new")  # new | crisis | dismissed
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    volume: Mapped[int] = mapped_column(Integer)  # distinct mentions in the window
    expected: Mapped[float] = mapped_column(Float)  # what the detector forecast for the window
    negative: Mapped[int] = mapped_column(Integer, default=0)
    negative_share: Mapped[float] = mapped_column(Float, default=0.0)
    usual_negative_share: Mapped[float] = mapped_column(Float, default=0.0)
    score: Mapped[float] = mapped_column(Float)  # the higher of the two detectors' scores
    reason: Mapped[str] = mapped_column(String(20), default="volume")  # volume | negative | both
    top_terms: Mapped[list] = mapped_column(JSON, default=list)  # [[term, count], ...]
    sample_mention_ids: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")  # the words the on-call people received
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the episode is over (the detector calmed)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Playbook(Base):
    """The response plan for one crisis type: the agency's (``client_id`` None) or one client's own."""

    __tablename__ = "crisis_playbooks"
    __table_args__ = (UniqueConstraint("client_id", "type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[list] = mapped_column(JSON, default=list)  # [{title, owner_role}]
    statements: Mapped[list] = mapped_column(JSON, default=list)  # [{name, text}] holding statement templates
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Crisis(Base):
    """A crisis room: the director decides, the community manager executes, the timeline keeps both."""

    __tablename__ = "crises"
    __table_args__ = (Index("ix_crises_client_status", "client_id", "status", "opened_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    title: Mapped[str] = mapped_column(String(200))
    playbook_name: Mapped[str] = mapped_column(String(200), default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_from_alert_id: Mapped[int | None] = mapped_column(ForeignKey("crisis_alerts.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    strategy: Mapped[str] = mapped_column(Text, default="")  # the director's latest decision
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))  # statements
    summary: Mapped[str] = mapped_column(Text, default="")  # what happened, written at closing
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    postmortem: Mapped[dict] = mapped_column(JSON, default=dict)
    postmortem_text: Mapped[str] = mapped_column(Text, default="")

    steps: Mapped[list[CrisisStep]] = relationship(back_populates="crisis", cascade="all, delete-orphan",
                                                   order_by="CrisisStep.position")


class CrisisStep(Base):
    """One step of the playbook, copied into the crisis when it opened (later playbook edits leave it be)."""

    __tablename__ = "crisis_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    owner_role: Mapped[str] = mapped_column(String(30))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    crisis: Mapped[Crisis] = relationship(back_populates="steps")


class CrisisEvent(Base):
    """The crisis timeline: mentions pinned, the director's decisions, actions taken, alerts, notes,
    publishing paused or resumed, holding statements."""

    __tablename__ = "crisis_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crisis_id: Mapped[int] = mapped_column(ForeignKey("crises.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # mention | decision | action | alert | note | pause | statement
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    ref: Mapped[dict] = mapped_column(JSON, default=dict)  # {"mention_id"} | {"post_id"} | {"alert_id"} | {"step_id"}
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
