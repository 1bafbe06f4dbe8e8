"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SOCIALDESK_TEST_POSTGRES_URL (default: root on 127.0.0.1:5432, as on the
development and CI machines). Without it those tests fail; deselect them with -m "not postgres".
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Before any test module is imported (and with it the process's shared Huey, which the tasks register on
# at import): code that reads get_settings() finds a scratch data folder and inline tasks, so no test
# touches the person's real data folder or task queue. Tests that need more point it at their settings.
_HOME = tempfile.mkdtemp(prefix="socialdesk-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["SOCIALDESK_DATA_DIR"] = _HOME
os.environ["SOCIALDESK_TASK_BACKEND"] = "immediate"
os.environ["COLUMNS"] = "200"  # Rich tables of the CLI as on a wide terminal, whichever test builds the console first

from socialdesk.config import Settings, get_settings  # noqa: E402
from socialdesk.db import Database  # noqa: E402
from socialdesk.web.app import create_app  # noqa: E402

PG_URL = os.environ.get("SOCIALDESK_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery staple"


def _pg_admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    return path


@contextmanager
def scratch_pg_database(prefix: str, *, template: str | None = None) -> Iterator[tuple[str, str]]:
    """A new PostgreSQL database (empty, or a copy of ``template``), dropped afterwards; yields (name, url)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated once; each test clones it (CREATE DATABASE ... TEMPLATE)."""
    with scratch_pg_database("sd_tmpl") as (name, url):
        db = Database(url)
        db.migrate()
        db.dispose()
        yield name


def point_settings_at(monkeypatch, settings: Settings) -> None:
    """Make get_settings() return what the ``settings`` fixture describes (through the environment)."""
    env = {
        "SOCIALDESK_DATA_DIR": str(settings.data_dir),
        "SOCIALDESK_DATABASE_URL": settings.resolved_database_url,
        "SOCIALDESK_SECRET_KEY": settings.secret_key.get_secret_value(),
        "SOCIALDESK_VAULT_KEYS": settings.vault_keys.get_secret_value(),
        "SOCIALDESK_TASK_BACKEND": settings.task_backend,
        "SOCIALDESK_BASE_URL": settings.base_url,
        "COLUMNS": "200",  # Rich tables as on a wide terminal
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def task_settings(settings, monkeypatch):
    """Tasks read get_settings() when they run, as in a worker; the shared Huey runs them inline."""
    from socialdesk.tasks import load_tasks

    point_settings_at(monkeypatch, settings)
    monkeypatch.setenv("SOCIALDESK_ALLOW_PRIVATE_URLS", "true")  # the peers listen on loopback
    get_settings.cache_clear()
    huey = load_tasks()
    was = huey.immediate
    huey.immediate = True
    yield settings
    huey.immediate = was
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> Iterator[str]:
    if backend == "sqlite":
        path = tmp_path / "socialdesk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with scratch_pg_database("sd_test", template=request.getfixturevalue("pg_template")) as (_, url):
        yield url


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        vault_keys=Fernet.generate_key().decode(),
        task_backend="immediate",
        auto_migrate=False,
        base_url="http://testserver",
        allow_private_urls=True,  # the real peers (mastodon-mock, ...) listen on loopback
    )


@pytest.fixture
def database(settings) -> Iterator[Database]:
    db = Database(settings.resolved_database_url)
    yield db
    db.dispose()


@pytest.fixture
def session(database):
    """A session for arranging and checking data directly; commits when the test ends."""
    with database.session() as s:
        yield s


@pytest.fixture
def app(settings, database):
    return create_app(settings, database)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """An anonymous browser-like client (keeps cookies)."""
    with TestClient(app) as c:
        yield c


def signup_owner(client: TestClient, email: str = "olivia@agency.example.com", name: str = "Olivia Owner") -> dict:
    """Create the owner account through the API; the client is then signed in. Returns /me."""
    response = client.post("/api/auth/signup", json={"email": email, "name": name, "password": PASSWORD})
    assert response.status_code == 201, response.text
    me = response.json()
    client.headers["x-csrf-token"] = me["csrf_token"]
    return me


@pytest.fixture
def owner_client(client) -> TestClient:
    """A client signed in as the agency owner, with the CSRF header set."""
    signup_owner(client)
    return client


# --- the shared "world" (tests/world.py): owner, clients A and B, one person per role ---------
from world import world  # noqa: E402,F401


# --- a real Mastodon peer: mastodon-mock (PyPI) served by uvicorn on a free loopback port ------


@pytest.fixture(scope="session")
def mastodon_peer():
    """A mastodon-mock server (in-memory, seeded with alice/bob/carol and their tokens, e.g.
    ``alice_token``), one per test worker. Faults: see tests/test_channels.py ``fault``."""
    from mastodon_mock.testing.server import MockServer

    with MockServer() as server:
        yield server


# --- a real Bluesky network: @atproto/dev-env (PLC, PDS, AppView) run by tests/peers/bluesky ---


@pytest.fixture(scope="session")
def bluesky_peer():
    """A whole local Bluesky network, one per test worker (tests/peers/bluesky.py): accounts from
    ``create_account(name)``, AppView indexing with ``process_all()``. Fails when it cannot start."""
    from peers.bluesky import BlueskyPeer

    with BlueskyPeer() as peer:
        yield peer
