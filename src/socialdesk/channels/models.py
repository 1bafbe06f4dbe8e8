"""A client's connected social network accounts ("channels"). The credential is not a column:
it lives in the vault as ``channel:{id}`` for the channel's client."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from socialdesk.db import Base, UTCDateTime, utcnow


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))  # bluesky | mastodon | x
    display_name: Mapped[str] = mapped_column(String(200), default="")
    handle: Mapped[str] = mapped_column(String(320), default="")
    base_url: Mapped[str] = mapped_column(String(500))  # PDS or instance URL; fixed for X
    account_id: Mapped[str | None] = mapped_column(String(200))  # remote id / DID once verified
    max_characters: Mapped[int | None] = mapped_column(Integer)  # the instance's post limit, when it says
    status: Mapped[str] = mapped_column(String(20), default="unchecked")  # unchecked | ok | error
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def secret_name(self) -> str:
        return f"channel:{self.id}"
