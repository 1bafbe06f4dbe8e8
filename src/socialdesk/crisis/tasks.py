"""Crisis detection in the background: right after listening ingests mentions for some clients, and every
minute for every client with detectors, so quiet periods close their buckets too."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from huey import crontab
from sqlalchemy.orm import Session

from socialdesk.config import get_settings
from socialdesk.crisis import detection
from socialdesk.db import Database, utcnow
from socialdesk.tasks import enqueue_after_commit, shared_huey

log = logging.getLogger("socialdesk.crisis")
huey = shared_huey()


@contextmanager
def _writer() -> Iterator[Session]:
    # Detection reads then writes the detector rows: on SQLite it takes the write lock from the start.
    database = Database(get_settings().resolved_database_url)
    try:
        with database.session(write=True) as session:
            yield session
    finally:
        database.dispose()


def detect_now(client_ids: Iterable[int]) -> int:
    """Run detection for each client in its own unit of work (one failing never holds back the others);
    returns the alerts raised."""
    raised = 0
    for client_id in sorted(set(client_ids)):
        try:
            with _writer() as session:
                raised += len(detection.run(session, client_id=client_id))
        except Exception:  # the next ingest or sweep tries again; a stuck client must not stop the rest
            log.exception("crisis detection failed for client %s", client_id)
    return raised


@huey.task(retries=0)
def detect(client_ids: list[int]) -> int:
    """Detection for the clients whose mentions were just ingested."""
    return detect_now(client_ids)


@huey.periodic_task(crontab(minute="*"))
def sweep() -> int:
    """Every minute: move every client's detectors on, whether or not mentions came."""
    with _writer() as session:
        ids = detection.clients_with_mentions_since(session, utcnow() - timedelta(days=1))
    return detect_now(ids)


def after_ingest(session: Session, client_ids: Iterable[int]) -> None:
    """Queue detection for ``client_ids`` once the ingest's unit of work commits (listening calls this)."""
    ids = sorted(set(client_ids))
    if ids:
        enqueue_after_commit(session, detect, ids)
