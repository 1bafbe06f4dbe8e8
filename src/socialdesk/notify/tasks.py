"""Background deliveries out of socialdesk: pushes to people's phones and chats (one task per
notification) and inbox handoffs to sales and customer service. Both are queued after the commit
of the change that caused them, and swept up again should their task be lost."""

from __future__ import annotations

from functools import partial

from huey import crontab

from socialdesk.config import get_settings
from socialdesk.inbox import handoff as handoff_service
from socialdesk.notify import service as notify_service
from socialdesk.tasks import enqueue_after_commit, shared_huey, task_session
from socialdesk.vault.service import Vault

huey = shared_huey()


@huey.task(retries=0)
def push_notification(notification_id: int) -> int:
    """Push one notification to its person's targets (or record why it waits); returns deliveries written."""
    settings = get_settings()
    with task_session() as session:
        if not notify_service.claim_push(session=session, notification_id=notification_id):
            return 0
        session.commit()  # before sending: no other worker pushes it meanwhile
        rows = notify_service.push(session=session, vault=Vault.from_settings(settings), settings=settings,
                                   notification_id=notification_id)
        return len(rows)


@huey.periodic_task(crontab(minute="*"))
def requeue_lost_pushes() -> int:
    """Every minute: queue again the pushes whose task was lost (a crisis alert must still reach the phone)."""
    with task_session() as session:
        ids = notify_service.lost_pushes(session=session)
    for notification_id in ids:
        push_notification(notification_id)
    return len(ids)


@huey.task(retries=0)
def deliver_handoff(handoff_id: int) -> str:
    """One delivery attempt; a failure that may pass is tried again later, each wait twice the last."""
    settings = get_settings()
    with task_session() as session:
        wait = handoff_service.attempt(session=session, settings=settings, handoff_id=handoff_id)
        if wait is not None:  # queued once this attempt (and its count) is committed
            enqueue_after_commit(session, partial(deliver_handoff.schedule, (handoff_id,), delay=wait))
        return "retry" if wait is not None else "done"


@huey.periodic_task(crontab(minute="*/10"))
def requeue_stalled_handoffs() -> int:
    """Every ten minutes: queue again the pending handoffs whose delivery task was lost."""
    with task_session() as session:
        ids = handoff_service.requeue_stalled(session=session)
        for handoff_id in ids:
            enqueue_after_commit(session, deliver_handoff, handoff_id)
        return len(ids)
