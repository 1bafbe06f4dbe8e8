"""Where a person's notifications go beyond the app (phone, chat, e-mail through Apprise), when they
must stay quiet, and what was pushed. The Apprise URL holds a token: it lives in the vault as
``notify:{id}``, never in a column."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow


class PushTarget(Base):
    __tablename__ = "notify_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    scheme: Mapped[str] = mapped_column(String(30))  # ntfy, slack, tgram, mailto, json ... (shown, not secret)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def secret_name(self) -> str:
        return f"notify:{self.id}"


class PushPreference(Base):
    """A person's rules, for one client (``client_id``) or their default (None)."""

    __tablename__ = "notify_preferences"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    muted: Mapped[bool] = mapped_column(Boolean, default=False)  # urgent ones still get through
    urgent_only: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_start: Mapped[time | None] = mapped_column(Time)  # local time in ``timezone``
    quiet_end: Mapped[time | None] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class PushDelivery(Base):
    """One push of one notification to one target: sent, failed (why), or held (quiet hours, muted)."""

    __tablename__ = "notify_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                        index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("notify_targets.id", ondelete="SET NULL"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # sent | failed | held_quiet | held_muted
    error: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
