"""Background sync of every channel's inbox, and escalation of answers running late."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select

from socialdesk.channels.models import Channel
from socialdesk.channels.service import ADAPTERS
from socialdesk.config import get_settings
from socialdesk.inbox import service as inbox_service
from socialdesk.inbox import sla
from socialdesk.tasks import shared_huey, task_session
from socialdesk.vault.service import Vault

huey = shared_huey()


@huey.periodic_task(crontab(minute="*"))
def sync_all() -> int:
    """Every minute: queue a sync of each channel (each on its own, so one slow network delays no other)."""
    with task_session() as session:
        # A channel without a fetching adapter (the Reviews channel, fed by CSV imports) has nothing to sync.
        ids = list(session.scalars(select(Channel.id).where(Channel.network.in_([str(n) for n in ADAPTERS]))))
    for channel_id in ids:
        sync_channel(channel_id)
    return len(ids)


@huey.task(retries=0)
def sync_channel(channel_id: int) -> int:
    with task_session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            return 0
        before = inbox_service.sync_state(session, channel).items_total
        state = inbox_service.sync_channel(session=session, vault=Vault.from_settings(get_settings()), channel=channel)
        return state.items_total - before


@huey.periodic_task(crontab(minute="*"))
def escalate() -> int:
    """Every minute: tell the right people about answers past their target, near or past their limit."""
    with task_session() as session:
        return len(sla.escalate_due(session))
