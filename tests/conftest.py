"""Shared fixtures. Every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SOCIALDESK_TEST_POSTGRES_URL (default: root on 127.0.0.1:5432, as on the
development and CI machines). Without it those tests fail; deselect them with -m "not postgres".
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from socialdesk.config import Settings
from socialdesk.db import Database
from socialdesk.web.app import create_app

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
