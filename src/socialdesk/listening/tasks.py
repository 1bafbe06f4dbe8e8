"""Background listening: every minute, poll each enabled feed and Mastodon timeline whose next attempt has
come (each in its own task, so one slow feed delays no other); the Bluesky firehose is a long-running
consumer instead (:func:`start_streams`, started by ``socialdesk worker`` and ``socialdesk listening stream``)."""

from __future__ import annotations

import threading

from huey import crontab

from socialdesk.config import get_settings
from socialdesk.db import Database
from socialdesk.listening.sources import runner
from socialdesk.tasks import shared_huey, task_session

huey = shared_huey()


@huey.periodic_task(crontab(minute="*"))
def poll_due() -> int:
    """Queue a poll of each source that is due (claimed first, so a slow poll is not queued twice)."""
    with task_session() as session:
        ids = runner.claim_due(session=session)
    for source_id in ids:
        poll_source(source_id)
    return len(ids)


@huey.task(retries=0)  # a failure is recorded on the source, which backs off on its own schedule
def poll_source(source_id: int) -> str:
    outcome = runner.poll_by_id(source_id, unit_of_work=task_session, settings=get_settings())
    return outcome.report if outcome else ""


def start_streams(database: Database, stop: threading.Event) -> threading.Thread:
    """A thread running a Jetstream consumer per enabled Bluesky source until ``stop`` is set."""
    supervisor = runner.StreamSupervisor(database=database, settings=get_settings())
    thread = threading.Thread(target=supervisor.run, args=(stop,), name="listening-streams", daemon=True)
    thread.start()
    return thread
