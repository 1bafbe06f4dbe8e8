"""Response-time promises: when the first answer to a conversation is due, and what was kept.

The clock runs from the oldest item we have not answered (``Conversation.awaiting_since``) until a
reply goes out. ``due_at`` is the client's target, ``breach_at`` its limit (defaults 8 h and 24 h).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from socialdesk.inbox.models import Conversation, InboxSettings


def settings_for(session: Session, client_id: int) -> InboxSettings:
    """The client's inbox rules (the defaults until someone changes them)."""
    row = session.get(InboxSettings, client_id)
    if row is None:
        row = InboxSettings(client_id=client_id)
        session.add(row)
        session.flush()
    return row


def deadline(rules: InboxSettings, start: datetime, minutes: int) -> datetime:
    """When ``minutes`` of the client's clock have passed after ``start``."""
    return start + timedelta(minutes=minutes)


def start_clock(session: Session, conversation: Conversation, *, at: datetime, rules: InboxSettings) -> None:
    """The public wrote at ``at``: start the clock unless it already runs for an earlier item."""
    if conversation.awaiting_since is not None and conversation.awaiting_since <= at:
        return
    conversation.awaiting_since = at
    conversation.due_at = deadline(rules, at, rules.target_minutes)
    conversation.breach_at = deadline(rules, at, rules.limit_minutes)
    conversation.escalation_level = 0


def record_response(session: Session, conversation: Conversation, *, at: datetime, user_id: int | None) -> None:
    """We answered at ``at``: stop the clock; the first answer is kept for the reports."""
    if conversation.first_response_at is None:
        start = conversation.awaiting_since or conversation.first_item_at
        conversation.first_response_at = at
        conversation.first_response_seconds = max(0, int((at - start).total_seconds()))
        conversation.first_responder_id = user_id
    if conversation.breach_at is not None and at > conversation.breach_at:
        conversation.breached = True
    conversation.awaiting_since = conversation.due_at = conversation.breach_at = None
    conversation.escalation_level = 0
