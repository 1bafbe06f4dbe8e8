"""Telling people: every notification is kept in the app (the bell), and pushed to the person's
phone and chat targets unless their rules hold it; urgent ones get through mutes and quiet hours."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from socialdesk.publishing.models import Notification


def send(session: Session, user_ids: Iterable[int], *, client_id: int | None, kind: str, message: str,
         link: str = "", urgent: bool = False) -> list[Notification]:
    """Notify each person once (ids may repeat); returns the rows written."""
    rows = [Notification(user_id=uid, client_id=client_id, kind=kind[:30], message=message, link=link[:500],
                         urgent=urgent) for uid in sorted(set(user_ids))]
    session.add_all(rows)
    session.flush()
    return rows
