"""Background tasks of the team domain."""

from __future__ import annotations

from huey import crontab

from socialdesk.tasks import shared_huey, task_session
from socialdesk.team import service as team_service

huey = shared_huey()


@huey.periodic_task(crontab(minute="20", hour="3"), retries=2, retry_delay=600)
def expire_invitations() -> int:
    """Daily: delete invitations nobody accepted before they expired; returns how many."""
    with task_session() as session:
        return team_service.delete_expired_invitations(session=session)
