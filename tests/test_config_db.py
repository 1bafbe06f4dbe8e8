"""Settings, the database engine and migrations: SQLite pragmas, migration at start-up on an
empty database (SQLite and PostgreSQL), and models that match the migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from conftest import scratch_pg_database, signup_owner
from socialdesk.config import Settings
from socialdesk.db import Database
from socialdesk.migrations.runner import alembic_config, current
from socialdesk.models import metadata
from socialdesk.web.app import create_app, create_served_app


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def empty_database_url(backend, tmp_path):
    """A database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'empty.db'}"
        return
    with scratch_pg_database("sd_empty") as (_, url):
        yield url


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite'}")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    finally:
        db.dispose()


def test_foreign_keys_are_enforced(database):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with database.session() as s:
            s.execute(text("INSERT INTO memberships (user_id, client_id, role, created_at) "
                           "VALUES (12345, 67890, 'analyst', CURRENT_TIMESTAMP)"))


def test_app_start_up_migrates_an_empty_database_to_head(empty_database_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=empty_database_url, secret_key="s" * 40,
                        vault_keys=None, auto_migrate=True, task_backend="immediate")
    database = Database(settings.resolved_database_url)
    try:
        assert inspect(database.engine).get_table_names() == []
        with TestClient(create_app(settings, database)) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            signup_owner(client)
            assert client.post("/api/clients", json={"name": "Fresh Co"}).status_code == 201
        assert current(database.engine) == _head()
        tables = set(inspect(database.engine).get_table_names())
        assert set(metadata.tables) <= tables
        # Starting again on a migrated database is a no-op.
        with TestClient(create_app(settings, database)) as client:
            assert client.get("/api/clients").status_code == 401
        assert current(database.engine) == _head()
    finally:
        database.dispose()


def test_the_served_app_freezes_what_it_holds_on_start_and_the_test_app_does_not(empty_database_url, tmp_path):
    import gc

    settings = Settings(data_dir=tmp_path / "data", database_url=empty_database_url, secret_key="s" * 40,
                        vault_keys=None, auto_migrate=True, task_backend="immediate")
    database = Database(settings.resolved_database_url)
    gc.unfreeze()
    try:
        with TestClient(create_app(settings, database)) as client:
            assert client.get("/healthz").status_code == 200 and gc.get_freeze_count() == 0
        with TestClient(create_served_app(settings, database)) as client:
            # routes, models and libraries: a full collection no longer walks them on every request
            assert gc.get_freeze_count() > 50_000
            assert client.get("/healthz").json()["status"] == "ok"
    finally:
        gc.unfreeze()  # the test process goes on making apps
        database.dispose()


def test_without_auto_migrate_the_app_leaves_the_database_alone(empty_database_url, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", database_url=empty_database_url, secret_key="s" * 40,
                        auto_migrate=False)
    database = Database(settings.resolved_database_url)
    try:
        with TestClient(create_app(settings, database)) as client:
            assert client.get("/healthz").status_code == 200
        assert current(database.engine) is None
    finally:
        database.dispose()


def test_models_match_the_migrations(database):
    with database.engine.connect() as conn:
        assert current(database.engine) == _head()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == [], f"the models differ from the migrations; write a migration: {diff}"


def test_database_url_defaults_to_sqlite_in_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", database_url=None)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'd' / 'socialdesk.db'}"
    assert Settings(data_dir=tmp_path, database_url="postgresql+psycopg://x/y").resolved_database_url.endswith("/y")


def test_unknown_task_backend_is_refused_with_the_variable_name():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SOCIALDESK_TASK_BACKEND"):
        Settings(task_backend="carrier-pigeon")


def test_utc_timestamps_come_back_aware(database):
    from datetime import datetime

    from socialdesk.auth.models import LoginAttempt
    from datetime import UTC

    from socialdesk.db import utcnow

    at = utcnow()
    with database.session() as s:
        s.add(LoginAttempt(key="k", succeeded=True, at=at))
    with database.session() as s:
        row = s.query(LoginAttempt).one()
        assert row.at.tzinfo is not None and row.at == at and row.at.utcoffset() == UTC.utcoffset(None)
    with pytest.raises(Exception, match="naive"):
        with database.session() as s:
            s.add(LoginAttempt(key="k2", succeeded=True, at=datetime(2025, 1, 1)))
