"""Clients and their brand profile: voice, personas, demographics, KPI targets, office hours,
contacts and the client log."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from socialdesk.db import Base, UTCDateTime, utcnow


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased name, unique, so "Acme" and "ACME " cannot both exist.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    industry: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    brand_color: Mapped[str] = mapped_column(String(7), default="#3b5bdb")
    # Brand voice
    voice_description: Mapped[str] = mapped_column(Text, default="")
    tone_words: Mapped[list] = mapped_column(JSON, default=list)
    words_to_use: Mapped[list] = mapped_column(JSON, default=list)
    words_to_avoid: Mapped[list] = mapped_column(JSON, default=list)
    emoji_policy: Mapped[str] = mapped_column(String(20), default="sparingly")
    hashtag_policy: Mapped[str] = mapped_column(Text, default="")
    max_hashtags: Mapped[int | None] = mapped_column(Integer)
    # Audience and goals
    demographics: Mapped[list] = mapped_column(JSON, default=list)
    business_goals: Mapped[str] = mapped_column(Text, default="")
    outside_hours_message: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    personas = relationship("Persona", cascade="all, delete-orphan", order_by="Persona.id")
    kpi_targets = relationship("KpiTarget", cascade="all, delete-orphan", order_by="KpiTarget.id")
    office_hours = relationship(
        "OfficeHoursSlot", cascade="all, delete-orphan", order_by="(OfficeHoursSlot.weekday, OfficeHoursSlot.start)"
    )
    contacts = relationship("Contact", cascade="all, delete-orphan", order_by="Contact.id")


class Persona(Base):
    __tablename__ = "personas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    interests: Mapped[list] = mapped_column(JSON, default=list)
    platforms: Mapped[list] = mapped_column(JSON, default=list)
    cares_about: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")


class KpiTarget(Base):
    __tablename__ = "kpi_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(100))
    target: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30), default="")
    period: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text, default="")


class OfficeHoursSlot(Base):
    """One span of working time on one weekday (0 = Monday), in the client's time zone."""

    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    @validates("email")
    def _email_or_empty(self, _key, value):
        # The API's "no e-mail" is None; the column keeps "" (it is NOT NULL).
        return value or ""


class LogEntry(Base):
    """The client log: meetings, notes, requests and news relayed, dated and signed."""

    __tablename__ = "client_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")
