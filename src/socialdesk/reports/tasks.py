"""Scheduled report delivery: every hour, each weekly or monthly definition whose last whole period was
not sent yet is sent in its own task (a PDF attached, the summary in the body), once per period."""

from __future__ import annotations

from huey import crontab

from socialdesk.config import get_settings
from socialdesk.reports import delivery, periods
from socialdesk.reports.models import ReportDefinition
from socialdesk.tasks import shared_huey, task_session

huey = shared_huey()


@huey.periodic_task(crontab(minute="23"))
def send_due() -> int:
    with task_session() as session:
        due = delivery.due(session=session)
    for definition_id, period in due:
        send_report(definition_id, period)
    return len(due)


@huey.task(retries=0)
def send_report(definition_id: int, period: str, force: bool = False) -> str:
    """Send one definition's report for one period (a period already sent is skipped unless ``force``)."""
    with task_session() as session:
        definition = session.get(ReportDefinition, definition_id)
        if definition is None:
            return "gone"
        row = delivery.send(session=session, settings=get_settings(), definition=definition,
                            period=periods.parse(period), force=force)
        return row.status if row else "already sent"
