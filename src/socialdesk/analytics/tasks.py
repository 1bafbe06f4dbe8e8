"""The daily metrics collection: every hour, each channel not yet collected today (the client's day)
is queued on its own, so a channel that failed is tried again the next hour."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select

from socialdesk.analytics import service as analytics
from socialdesk.analytics.models import MetricsSyncState
from socialdesk.channels.models import Channel
from socialdesk.channels.service import ADAPTERS
from socialdesk.clients.models import Client
from socialdesk.config import get_settings
from socialdesk.tasks import shared_huey, task_session
from socialdesk.vault.service import Vault

huey = shared_huey()


def due_channels(session) -> list[int]:
    """Channels with a network to ask whose metrics were not collected on their client's today."""
    rows = session.execute(select(Channel.id, Client, MetricsSyncState.last_day)
                           .join(Client, Client.id == Channel.client_id)
                           .outerjoin(MetricsSyncState, MetricsSyncState.channel_id == Channel.id)
                           .where(Channel.network.in_([str(n) for n in ADAPTERS]), Client.archived.is_(False))
                           .order_by(Channel.id)).all()
    return [cid for cid, client, last_day in rows if last_day != analytics.client_today(client)]


@huey.periodic_task(crontab(minute="7"))
def collect_due() -> int:
    with task_session() as session:
        ids = due_channels(session)
    for channel_id in ids:
        collect_channel(channel_id)
    return len(ids)


@huey.task(retries=0)
def collect_channel(channel_id: int) -> str:
    """Collect one channel now (the error, if any, is on its sync state)."""
    settings = get_settings()
    with task_session() as session:
        channel = session.get(Channel, channel_id)
        if channel is None:
            return "gone"
        client = session.get(Client, channel.client_id)
        state = analytics.collect(session=session, vault=Vault.from_settings(settings), channel=channel,
                                  day=analytics.client_today(client), window_days=settings.analytics_window_days)
        return state.error or "ok"
