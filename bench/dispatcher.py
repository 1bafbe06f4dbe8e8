"""Dispatcher throughput and lateness: N posts due within one minute, published to a local fake
Mastodon endpoint that answers at once, by 1 worker process and then by 3, side by side.

Each run uses a fresh database (SQLite by default, the embedded setup; --postgres for PostgreSQL),
starts `socialdesk publish dispatcher` processes, and reads from the rows when each post went out.

Run: .venv/bin/python bench/dispatcher.py [--posts 10000] [--workers 1 3] [--postgres]
Target (issue): 10,000 posts all published within 60 s on 2 cores, median lateness under 1 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.schemas import ClientCreate
from socialdesk.config import Settings
from socialdesk.db import Database, utcnow
from socialdesk.publishing.models import PostTarget
from socialdesk.publishing.timing import new_marker
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

FAKE_SERVER = r'''
import itertools, json, sys
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
import uvicorn
ids = itertools.count(1)
async def post_status(request):
    await request.body()
    n = next(ids)
    body = {"id": str(n), "url": f"http://fake/@bench/{n}", "uri": f"http://fake/{n}", "content": "",
            "created_at": "2026-01-01T00:00:00.000Z", "account": {"id": "1", "acct": "bench"}}
    return Response(json.dumps(body), media_type="application/json")
async def me(request):  # for the look-up after an unknown outcome (a timeout under load)
    return Response(json.dumps({"id": "1", "acct": "bench", "username": "bench"}), media_type="application/json")
async def statuses(request):
    return Response("[]", media_type="application/json")
app = Starlette(routes=[Route("/api/v1/statuses", post_status, methods=["POST"]),
                        Route("/api/v1/accounts/verify_credentials", me),
                        Route("/api/v1/accounts/{id}/statuses", statuses)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
'''

CHANNELS = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"the fake endpoint did not start on port {port}")


def prepare(url: str, data_dir: Path, endpoint: str, posts: int, lead: float, spread: float):
    """Fresh schema, one client, CHANNELS Mastodon channels, ``posts`` targets due over ``spread`` s."""
    database = Database(url)
    database.migrate()
    settings = Settings(data_dir=data_dir, database_url=url)
    vault = Vault.from_settings(settings)
    start = utcnow() + timedelta(seconds=lead)
    with database.session() as session:
        client = clients_service.create(session=session, data=ClientCreate(name=f"Bench {uuid.uuid4().hex[:6]}"))
        channels = []
        for i in range(CHANNELS):
            channel = Channel(client_id=client.id, network="mastodon", handle=f"bench{i}", base_url=endpoint,
                              account_id=str(i), status="ok")
            session.add(channel)
            session.flush()
            vault_service.put(session=session, vault=vault, name=channel.secret_name,
                              value=json.dumps({"access_token": f"token-{i}"}), client_id=client.id)
            channels.append(channel.id)
        conn = session.connection()
        post_rows = [{"client_id": client.id, "text": f"bench post {i}", "status": "scheduled",
                      "scheduled_at": start + timedelta(seconds=spread * i / posts)} for i in range(posts)]
        from socialdesk.publishing.models import Post

        ids = []
        for chunk in batched(post_rows, 1000):
            result = conn.execute(Post.__table__.insert().returning(Post.__table__.c.id),
                                  [{**r, "title": "", "link": None, "first_comment": "", "media_ids": [],
                                    "schedule_note": "", "version": 1, "created_at": utcnow(),
                                    "updated_at": utcnow()} for r in chunk])
            ids += [row.id for row in result]
        targets = [{"post_id": pid, "client_id": client.id, "channel_id": channels[i % CHANNELS],
                    "network": "mastodon", "marker": new_marker(), "state": "scheduled",
                    "due_at": post_rows[i]["scheduled_at"], "attempts": 0, "in_flight": False,
                    "needs_lookup": False, "remote_extra": {}, "last_error": ""} for i, pid in enumerate(ids)]
        for chunk in batched(targets, 1000):
            conn.execute(PostTarget.__table__.insert(), chunk)
    return database, start


def batched(items, n):
    it = iter(items)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def run(workers: int, posts: int, url: str, data_dir: Path, endpoint: str, threads: int, spread: float) -> dict:
    database, start = prepare(url, data_dir, endpoint, posts, lead=8.0, spread=spread)
    env = {**os.environ, "SOCIALDESK_DATABASE_URL": url, "SOCIALDESK_DATA_DIR": str(data_dir),
           "SOCIALDESK_ALLOW_PRIVATE_URLS": "true"}
    exe = str(Path(sys.executable).with_name("socialdesk"))
    procs = [subprocess.Popen([exe, "publish", "dispatcher", "--threads", str(threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(workers)]
    try:
        deadline = time.monotonic() + 8 + spread + 240
        while time.monotonic() < deadline:
            time.sleep(1)
            with database.engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM post_targets WHERE state != 'published'")).scalar()
            if not left:
                break
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT due_at, published_at, state FROM post_targets")).all()
        others = conn.execute(text("SELECT state, attempts, last_error FROM post_targets WHERE state != 'published' "
                                   "LIMIT 5")).all()
    database.dispose()

    def ts(value):
        from datetime import UTC, datetime

        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    done = [(ts(d), ts(p)) for d, p, s in rows if s == "published"]
    lateness = sorted((p - d).total_seconds() for d, p in done)
    last = max(p for _, p in done) if done else None
    return {
        "workers": workers,
        "published": len(done),
        "of": posts,
        "median_lateness_s": statistics.median(lateness) if lateness else None,
        "p95_lateness_s": lateness[int(len(lateness) * 0.95) - 1] if lateness else None,
        "max_lateness_s": lateness[-1] if lateness else None,
        "all_done_after_first_due_s": (last - start).total_seconds() if last else None,
        "not_published": [tuple(r) for r in others],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--threads", type=int, default=8, help="publishing threads per worker")
    parser.add_argument("--spread", type=float, default=59.0, help="seconds over which the posts come due")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (SOCIALDESK_TEST_POSTGRES_URL) not SQLite")
    args = parser.parse_args()

    port = free_port()
    fake = subprocess.Popen([sys.executable, "-c", FAKE_SERVER, str(port)])
    wait_port(port)
    endpoint = f"http://127.0.0.1:{port}"
    results = []
    try:
        for workers in args.workers:
            with tempfile.TemporaryDirectory() as tmp:
                if args.postgres:
                    admin_url = os.environ.get("SOCIALDESK_TEST_POSTGRES_URL",
                                               "postgresql+psycopg://root@127.0.0.1:5432/postgres")
                    name = f"sd_bench_{uuid.uuid4().hex[:8]}"
                    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
                    with admin.connect() as c:
                        c.execute(text(f'CREATE DATABASE "{name}"'))
                    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
                else:
                    url = f"sqlite:///{tmp}/bench.db"
                try:
                    results.append(run(workers, args.posts, url, Path(tmp), endpoint, args.threads, args.spread))
                finally:
                    if args.postgres:
                        with admin.connect() as c:
                            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        admin.dispose()
            print(json.dumps(results[-1]), flush=True)
    finally:
        fake.terminate()
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{args.posts} posts due over {args.spread:.0f} s, {store}, {args.threads} threads per worker, "
          f"{os.cpu_count()} cores")
    print(f"{'workers':>8} {'published':>10} {'median late':>12} {'p95 late':>9} {'max late':>9} {'all done':>9}")
    for r in results:
        print(f"{r['workers']:>8} {r['published']:>10} {r['median_lateness_s']:>11.2f}s {r['p95_lateness_s']:>8.2f}s "
              f"{r['max_lateness_s']:>8.2f}s {r['all_done_after_first_due_s']:>8.1f}s")
    print("target: all published within 60 s of the minute's start, median lateness < 1 s")


if __name__ == "__main__":
    main()
