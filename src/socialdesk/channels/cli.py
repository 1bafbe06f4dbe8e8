"""Command-line helpers for work done channel by channel (inbox sync, metrics collection)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.models import Channel
from socialdesk.channels.service import ADAPTERS
from socialdesk.db import Database
from socialdesk.kit.cli import console, fail


def connected_channel_ids(session: Session, *, work: str, client: str | None = None,
                          channel: int | None = None) -> list[int]:
    """Ids of the channels a network adapter serves (all, one client's by name, or one by id); fails
    with what to do when there is none. ``work`` names the job in the message ("sync", "collect")."""
    from socialdesk.clients.cli import find

    query = select(Channel.id).where(Channel.network.in_([str(n) for n in ADAPTERS])).order_by(Channel.id)
    if client is not None:
        query = query.where(Channel.client_id == find(session, client).id)
    if channel is not None:
        if session.get(Channel, channel) is None:
            fail(f"channel: there is no channel {channel}; `socialdesk inbox list CLIENT` shows them")
        query = query.where(Channel.id == channel)
    ids = list(session.scalars(query))
    if not ids:
        fail(f"no channel to {work}" + (" for this client" if client else "") + "; connect one on the Channels page")
    return ids


def for_each_channel(db: Database, ids: list[int], verb: str,
                     work: Callable[[Session, Channel], tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Run ``work`` on each channel in its own unit of work (one failing keeps the others), with a
    progress bar; returns the rows it made."""
    rows = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(verb, total=len(ids))
        for channel_id in ids:
            with db.session() as session:
                row = session.get(Channel, channel_id)
                progress.update(task, description=f"{verb} {row.network} {row.handle or row.id}")
                rows.append(work(session, row))
            progress.advance(task)
    return rows
