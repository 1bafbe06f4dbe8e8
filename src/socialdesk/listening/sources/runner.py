"""Running the sources against the database: a poll of one source (its batch, new state and schedule
saved in one transaction), which sources are due, and the Jetstream consumers of the enabled Bluesky
sources. The one module of ``sources`` that touches the database; listening/tasks.py and the CLI call it.

Back-off: a source that fails waits ``retry_delay`` (doubling from RETRY_BASE, capped at RETRY_CAP, or what
the server asked for) before its next attempt; the attempt time and the failures in a row are kept in the
source's config under ``_schedule`` (the one field of the row the listening tables leave for it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from socialdesk.config import Settings
from socialdesk.db import Database, utcnow
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import service as listening_service
from socialdesk.listening.models import ListeningSource, Mention, MentionMatch
from socialdesk.listening.sources import (
    Batch,
    IncomingMention,
    SourceError,
    SourceState,
    jetstream,
    pollers,
    retry_delay,
)

log = logging.getLogger("socialdesk.listening.sources")

SCHEDULE = "_schedule"  # config key of the back-off state (never part of what a user configures)
RETRY_BASE = 60.0
RETRY_CAP = 3600.0
PERMANENT_RETRY = 6 * 3600.0  # a refused address or not-a-feed: still retried (it may be fixed), rarely
EVERY_MINUTES = {"rss": 15, "mastodon": 2}  # default poll interval per kind; config ``every_minutes`` overrides
CLAIM = timedelta(minutes=10)  # a poll in progress keeps others away this long


def user_config(config: dict | None) -> dict:
    """The config as the user gave it (without the schedule)."""
    return {k: v for k, v in (config or {}).items() if k != SCHEDULE}


def schedule(source: ListeningSource) -> tuple[datetime | None, int]:
    """(next attempt, failures in a row) of a source."""
    raw = (source.config or {}).get(SCHEDULE) or {}
    try:
        when = datetime.fromisoformat(raw["next_at"]) if raw.get("next_at") else None
    except (TypeError, ValueError):
        when = None
    failures = raw.get("failures")
    return when, failures if isinstance(failures, int) and failures >= 0 else 0


def _set_schedule(source: ListeningSource, when: datetime, failures: int) -> None:
    # A new dict: the JSON column only notices an assignment.
    source.config = {**user_config(source.config), SCHEDULE: {"next_at": when.isoformat(), "failures": failures}}


def interval(source: ListeningSource) -> timedelta:
    minutes = (source.config or {}).get("every_minutes")
    if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        minutes = EVERY_MINUTES.get(source.kind, 15)
    return timedelta(minutes=minutes)


def claim_due(*, session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of enabled polled sources whose next attempt has come, each pushed back by CLAIM (so the next
    minute's run does not queue it again while its poll is still going)."""
    now = now or utcnow()
    rows = session.scalars(select(ListeningSource).where(ListeningSource.enabled.is_(True),
                                                         ListeningSource.kind.in_(list(pollers())))
                           .order_by(ListeningSource.id))
    due = []
    for row in rows:
        when, failures = schedule(row)
        if when is None or when <= now:
            _set_schedule(row, now + CLAIM, failures)
            due.append(row.id)
            if len(due) >= limit:
                break
    session.flush()
    return due


@dataclass
class PollOutcome:
    source_id: int
    ok: bool
    report: str
    next_at: datetime
    result: listening_service.IngestResult | None = None


def poll_source(*, session: Session, source: ListeningSource, settings: Settings,
                now: datetime | None = None, **source_options) -> PollOutcome:
    """Read the source once, ingest what it gave and keep its new state; a failure is recorded on the
    source with the time of the next attempt (nothing else changes)."""
    module = pollers()[source.kind]
    state = SourceState(cursor=source.cursor, etag=source.etag, last_modified=source.last_modified)
    try:
        batch: Batch = module.poll(user_config(source.config), state, allow_private=settings.allow_private_urls,
                                   **source_options)
    except SourceError as exc:
        return record_failure(session=session, source=source, error=exc.message, retry_after=exc.retry_after,
                              permanent=exc.permanent, now=now)
    result = listening_service.ingest(session=session, source=module.KIND, posts=batch.posts)
    source.cursor, source.etag, source.last_modified = batch.state.cursor, batch.state.etag, batch.state.last_modified
    listening_service.record_run(session=session, source=source, result=result)
    source.last_report = _report(result.text(), batch)
    when = (now or utcnow()) + interval(source)
    _set_schedule(source, when, 0)
    session.flush()
    return PollOutcome(source.id, True, source.last_report, when, result)


def record_failure(*, session: Session, source: ListeningSource, error: str, retry_after: float | None = None,
                   permanent: bool = False, now: datetime | None = None) -> PollOutcome:
    """Keep the error on the source and put its next attempt off (exponential back-off)."""
    _, failures = schedule(source)
    failures += 1
    delay = PERMANENT_RETRY if permanent else retry_delay(failures, base=RETRY_BASE, cap=RETRY_CAP,
                                                          retry_after=retry_after)
    when = (now or utcnow()) + timedelta(seconds=delay)
    listening_service.record_run(session=session, source=source, error=error)
    _set_schedule(source, when, failures)
    session.flush()
    log.info("listening source %s failed (%d in a row), next attempt %s: %s", source.id, failures, when, error)
    return PollOutcome(source.id, False, error, when)


def poll_by_id(source_id: int, *, unit_of_work: Callable[[], AbstractContextManager[Session]],
               settings: Settings, **source_options) -> PollOutcome | None:
    """Poll one source in its own unit of work; an unexpected failure (the database refusing the batch, a
    bug in a parser) is recorded in a second one, so the source still backs off."""
    try:
        with unit_of_work() as session:
            source = session.get(ListeningSource, source_id)
            if source is None or not source.enabled or source.kind not in pollers():
                return None
            return poll_source(session=session, source=source, settings=settings, **source_options)
    except Exception as exc:  # noqa: BLE001 - recorded on the source, then logged with its trace
        log.exception("listening source %s: poll failed", source_id)
        with unit_of_work() as session:
            source = session.get(ListeningSource, source_id)
            if source is None:
                return None
            return record_failure(session=session, source=source, error=f"internal error: {type(exc).__name__}: "
                                                                          f"{str(exc)[:300]}")


def _report(ingested: str, batch: Batch) -> str:
    parts = [ingested]
    if batch.skipped:
        parts.append(f"{len(batch.skipped)} unreadable entries skipped: " + "; ".join(batch.skipped[:3]))
    parts.extend(batch.notes)
    return "; ".join(parts)[:4000]


# -- the firehose --------------------------------------------------------------------------------------

def forget_posts(*, session: Session, source: str, remote_ids: list[str]) -> int:
    """Remove stored mentions whose posts their authors deleted; returns how many were stored."""
    gone = 0
    for start in range(0, len(remote_ids), 500):
        ids = list(session.scalars(select(Mention.id).where(Mention.source == source,
                                                            Mention.remote_id.in_(remote_ids[start:start + 500]))))
        if ids:
            session.execute(delete(MentionMatch).where(MentionMatch.mention_id.in_(ids)))
            session.execute(delete(Mention).where(Mention.id.in_(ids)))
            gone += len(ids)
    return gone


def stream_consumer(*, database: Database, source_id: int, settings: Settings, **options) -> jetstream.Consumer:
    """A Jetstream consumer for the Bluesky source ``source_id``: its cursor, batches and errors kept on the row."""
    with database.session() as session:
        source = session.get(ListeningSource, source_id)
        url = jetstream.validate(user_config(source.config), allow_private=True)["url"]

    def load_cursor() -> int | None:
        with database.session() as session:
            cursor = session.scalar(select(ListeningSource.cursor).where(ListeningSource.id == source_id))
        return int(cursor) if cursor and cursor.isdigit() else None

    def store(posts: list[IncomingMention], deleted: list[str], cursor: int | None, progress) -> None:
        prepared = None
        if posts:  # matching and scoring before the write transaction: other writers need not wait on them
            with database.session() as session:
                prepared = listening_service.prepare(session=session, source=jetstream.KIND, posts=posts)
        with database.session(write=True) as session:
            source = session.get(ListeningSource, source_id)
            if source is None:
                return
            result = listening_service.ingest(session=session, source=jetstream.KIND, posts=posts,
                                              prepared=prepared) if posts else None
            forgotten = forget_posts(session=session, source=jetstream.KIND, remote_ids=deleted) if deleted else 0
            if cursor is not None:
                old = int(source.cursor) if source.cursor and source.cursor.isdigit() else 0
                source.cursor = str(max(old, cursor))  # a replay after a rewind never moves it back
            if result is not None or deleted:
                listening_service.record_run(session=session, source=source, result=result)
                source.last_report = (
                    f"{progress.events} events read since start ({progress.posts} posts, {progress.deletes} deletes, "
                    f"{progress.skipped} unreadable), {progress.connects} connections; last batch: "
                    + (result.text() if result else "no posts") + f", {forgotten} stored mentions deleted by their authors"
                )[:4000]

    def on_error(message: str) -> None:
        with database.session(write=True) as session:
            source = session.get(ListeningSource, source_id)
            if source is not None:
                listening_service.record_run(session=session, source=source, error=message)

    return jetstream.Consumer(url=url, load_cursor=load_cursor, store=store, on_error=on_error,
                              allow_private=settings.allow_private_urls, **options)


class StreamSupervisor:
    """Runs one Jetstream consumer per enabled Bluesky source, each in its own thread; every ``check_seconds``
    it starts consumers for sources added or switched on and stops those deleted or switched off."""

    def __init__(self, *, database: Database, settings: Settings, check_seconds: float = 30.0, **options):
        self.database, self.settings, self.check_seconds, self.options = database, settings, check_seconds, options
        self.running: dict[int, tuple[threading.Thread, threading.Event]] = {}

    def enabled_sources(self) -> set[int]:
        with self.database.session() as session:
            return set(session.scalars(select(ListeningSource.id).where(ListeningSource.kind == jetstream.KIND,
                                                                        ListeningSource.enabled.is_(True))))

    def reconcile(self) -> None:
        wanted = self.enabled_sources()
        for source_id in list(self.running):
            thread, stop = self.running[source_id]
            if source_id not in wanted or not thread.is_alive():
                stop.set()
                thread.join(timeout=5)
                del self.running[source_id]
        for source_id in wanted - set(self.running):
            stop = threading.Event()
            try:
                consumer = stream_consumer(database=self.database, source_id=source_id, settings=self.settings,
                                           **self.options)
            except InvalidInput as exc:  # a config stored before a check existed: said on the source, others go on
                with self.database.session(write=True) as session:
                    source = session.get(ListeningSource, source_id)
                    if source is not None:
                        listening_service.record_run(session=session, source=source, error=exc.message)
                continue
            thread = threading.Thread(target=consumer.run, args=(stop,), name=f"jetstream-{source_id}", daemon=True)
            thread.start()
            self.running[source_id] = (thread, stop)

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.reconcile()
                except Exception:  # noqa: BLE001 - the database may be briefly away; try again next round
                    log.exception("listening streams: could not check the sources")
                stop.wait(self.check_seconds)
        finally:
            for thread, source_stop in self.running.values():
                source_stop.set()
            for thread, _ in self.running.values():
                thread.join(timeout=5)
            self.running.clear()

