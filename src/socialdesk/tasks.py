"""The one background-task API, on Huey.

The backend follows ``settings.task_backend``: ``sqlite`` (embedded default, a queue file in the
data folder), ``redis`` (workers on many machines) or ``immediate`` (tasks run inline; tests).
Each domain declares its tasks in its own ``tasks.py`` with the shared instance's decorators,
and lists that module in :data:`TASK_MODULES` so ``socialdesk worker`` loads it.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import event
from sqlalchemy.orm import Session

from socialdesk.config import Settings, get_settings
from socialdesk.db import Database

log = logging.getLogger("socialdesk.tasks")
TASK_MODULES = ("socialdesk.analytics.tasks",
                "socialdesk.team.tasks", "socialdesk.inbox.tasks", "socialdesk.notify.tasks", "socialdesk.crisis.tasks",
                "socialdesk.listening.tasks", "socialdesk.reports.tasks")


def get_huey(settings: Settings, *, name: str = "socialdesk") -> Huey:
    """A new Huey for the configured backend; ``name`` separates queues sharing one store."""
    if settings.task_backend == "immediate":
        return MemoryHuey(name, immediate=True)
    if settings.task_backend == "redis":
        return RedisHuey(name, url=settings.redis_url)
    return SqliteHuey(name, filename=str(settings.ensure_data_dir() / "tasks.db"))


@lru_cache(maxsize=1)
def shared_huey() -> Huey:
    """The process's Huey, built from get_settings() on first use.

    Huey's decorators register a task on an instance when the module declaring it is imported,
    so one instance per process is unavoidable; building it lazily keeps ``import
    socialdesk.tasks`` free of side effects (no queue file, no Redis connection).
    """
    return get_huey(get_settings())


def load_tasks() -> Huey:
    """Import every domain's tasks (registering them) and return the shared Huey."""
    for module in TASK_MODULES:
        importlib.import_module(module)
    return shared_huey()


@contextmanager
def task_session() -> Iterator[Session]:
    """A unit of work on the configured database for one task run (committed on success)."""
    database = Database(get_settings().resolved_database_url)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


_AFTER_COMMIT = "socialdesk.tasks.after_commit"


def enqueue_after_commit(session: Session, task, *args) -> None:
    """Queue ``task(*args)`` once ``session``'s transaction commits; drop it if the transaction rolls back.

    A worker must never act on rows it cannot see yet, nor on rows a rollback took away.
    """
    pending = session.info.get(_AFTER_COMMIT)
    if pending is None:
        pending = session.info[_AFTER_COMMIT] = []
        event.listen(session, "after_commit", _enqueue_pending)
        event.listen(session, "after_soft_rollback", _drop_pending)
    pending.append((task, args))


def _enqueue_pending(session: Session) -> None:
    if session.in_nested_transaction():  # SQLAlchemy signals a savepoint's release as a commit too
        return
    pending, session.info[_AFTER_COMMIT] = session.info.get(_AFTER_COMMIT) or [], []
    for task, args in pending:
        try:
            task(*args)
        except Exception:  # the commit stands; a lost queue entry must not turn it into an error
            log.exception("could not queue task %s", getattr(task, "name", task))


def _drop_pending(session: Session, previous_transaction) -> None:
    # A savepoint's rollback keeps the outer work (tasks check their rows still exist when they run).
    if not previous_transaction.nested:
        session.info[_AFTER_COMMIT] = []
