"""The task API: backends built from settings, and the daily invitation clean-up."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import redis
from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import PeriodicTask
from sqlalchemy import select
from conftest import point_settings_at

from socialdesk.auth import service as auth_service
from socialdesk.config import get_settings
from socialdesk.db import utcnow
from socialdesk.kit.authz import AgencyRole
from socialdesk.tasks import get_huey, load_tasks
from socialdesk.team import service as team_service
from socialdesk.team.models import Invitation
from socialdesk.team.schemas import InvitationIn


@pytest.fixture
def task_settings(settings, monkeypatch):
    """Tasks read get_settings() when they run, as in a worker: point it at the test database."""
    point_settings_at(monkeypatch, settings)
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def team_tasks(task_settings):
    """The team's tasks module, its (process-wide) Huey running tasks inline for this test."""
    load_tasks()
    from socialdesk.team import tasks

    was_immediate = tasks.huey.immediate
    tasks.huey.immediate = True
    yield tasks
    tasks.huey.immediate = was_immediate


@pytest.fixture
def invitations(task_settings, database) -> dict[str, int]:
    """One expired and one fresh open invitation, and one expired but accepted (kept as a record)."""
    ids = {}
    with database.session() as session:
        owner = auth_service.create_owner(session=session, email="o@agency.example.com", name="O", password="x" * 12)
        for key in ("expired", "fresh", "accepted"):
            data = InvitationIn(email=f"{key}@agency.example.com", name=key, agency_role=AgencyRole.DIRECTOR)
            invitation, _ = team_service.invite(session=session, settings=task_settings, invited_by=owner.id, data=data)
            if key != "fresh":
                invitation.expires_at = utcnow() - timedelta(hours=1)
            if key == "accepted":
                invitation.accepted_at = utcnow() - timedelta(days=2)
            ids[key] = invitation.id
    return ids


def remaining(database) -> set[int]:
    with database.session() as session:
        return set(session.scalars(select(Invitation.id)))


def test_get_huey_follows_the_backend(settings):
    assert isinstance(get_huey(settings), MemoryHuey) and get_huey(settings).immediate
    sqlite = get_huey(settings.model_copy(update={"task_backend": "sqlite"}))
    assert isinstance(sqlite, SqliteHuey) and sqlite.storage.filename == str(settings.data_dir / "tasks.db")
    assert isinstance(get_huey(settings.model_copy(update={"task_backend": "redis"})), RedisHuey)


def test_expire_invitations_keeps_fresh_ones(team_tasks, invitations, database):
    periodic = team_tasks.expire_invitations.task_class()
    assert isinstance(periodic, PeriodicTask)  # the worker runs it once a day
    runs = [hour for hour in range(24) for minute in range(60) if periodic.validate_datetime(datetime(2030, 1, 1, hour, minute))]
    assert len(runs) == 1
    team_tasks.expire_invitations()  # enqueued, and run at once by the immediate backend
    assert remaining(database) == {invitations["fresh"], invitations["accepted"]}
    assert team_tasks.expire_invitations.call_local() == 0  # huey keeps no results of periodic tasks


def round_trip(huey, database, invitations) -> None:
    """Enqueue the real task on ``huey``, then dequeue and run it as a consumer would."""
    from socialdesk.team.tasks import expire_invitations

    task = huey.task()(expire_invitations)  # the same function, registered on this queue
    result = task()
    assert huey.pending_count() == 1
    assert remaining(database) == set(invitations.values())  # nothing ran yet
    queued = huey.dequeue()
    assert huey.execute(queued) == 1
    assert result.get() == 1
    assert huey.pending_count() == 0
    assert remaining(database) == {invitations["fresh"], invitations["accepted"]}


def test_round_trip_through_sqlite_huey(task_settings, invitations, database):
    huey = get_huey(task_settings.model_copy(update={"task_backend": "sqlite"}), name=f"test-{uuid.uuid4().hex}")
    assert isinstance(huey, SqliteHuey)
    round_trip(huey, database, invitations)


@pytest.mark.redis
def test_round_trip_through_redis_huey(task_settings, invitations, database):
    settings = task_settings.model_copy(update={"task_backend": "redis"})
    redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2).ping()  # Redis down: fail, do not skip
    huey = get_huey(settings, name=f"socialdesk-test-{uuid.uuid4().hex}")
    assert isinstance(huey, RedisHuey)
    try:
        round_trip(huey, database, invitations)
    finally:
        huey.flush()


def test_a_task_queued_after_commit_waits_for_the_outer_commit_not_a_savepoint(database):
    """A savepoint released inside the unit of work is no commit: the task is queued only when the whole
    unit commits, and not at all when it rolls back after the savepoint."""
    from socialdesk.tasks import enqueue_after_commit

    ran: list[str] = []
    with database.session() as session:
        enqueue_after_commit(session, ran.append, "committed unit")
        with session.begin_nested():
            session.execute(select(1))
        assert ran == []  # the savepoint's release queued nothing
    assert ran == ["committed unit"]
    with pytest.raises(RuntimeError), database.session() as session:
        enqueue_after_commit(session, ran.append, "rolled back unit")
        with session.begin_nested():
            session.execute(select(1))
        raise RuntimeError("the unit fails after its savepoint")
    assert ran == ["committed unit"]
