"""Background pushes: one task per notification, queued after the notification's commit."""

from __future__ import annotations

from socialdesk.config import get_settings
from socialdesk.notify import service as notify_service
from socialdesk.tasks import shared_huey, task_session
from socialdesk.vault.service import Vault

huey = shared_huey()


@huey.task(retries=0)
def push_notification(notification_id: int) -> int:
    """Push one notification to its person's targets (or record why it waits); returns deliveries written."""
    settings = get_settings()
    with task_session() as session:
        rows = notify_service.push(session=session, vault=Vault.from_settings(settings), settings=settings,
                                   notification_id=notification_id)
        return len(rows)
