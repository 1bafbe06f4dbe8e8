"""Redirects per second of a short link (GET /l/<code>, one click stored per request) on loopback.

Serves the real app with uvicorn (one worker) on 127.0.0.1, on SQLite and on PostgreSQL, and loads it
with wrk (apt-get install -y wrk); without wrk, a bounded Python loop of keep-alive requests. Then
checks that every answered request was stored as a click, and loads /healthz of the same server
(no database) for comparison: figures depend on the machine's load.

Run: .venv/bin/python bench/links_redirect.py [--seconds 10] [--connections 16] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from socialdesk.db import Database
from socialdesk.links.models import LinkClick, TrackedLink

PG_URL = os.environ.get("SOCIALDESK_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, hashing: bool) -> str:
    """Migrate, add a client and a link; returns the link's code."""
    from socialdesk.clients import service as clients_service
    from socialdesk.clients.schemas import ClientCreate
    from socialdesk.config import Settings
    from socialdesk.links import service as links_service
    from socialdesk.links.schemas import LinkIn, SettingsIn

    db = Database(url)
    db.migrate()
    settings = Settings(database_url=url, base_url="http://127.0.0.1")
    with db.session() as s:
        client = clients_service.create(session=s, data=ClientCreate(name=f"Bench {uuid.uuid4().hex[:6]}"))
        if hashing:
            links_service.update_settings(session=s, client_id=client.id,
                                          data=SettingsIn(hash_visitors=True, dedup_seconds=5))
        link = links_service.create_link(session=s, settings=settings, principal=None, client_id=client.id,
                                         data=LinkIn(destination="https://shop.example.com/spring?id=7",
                                                     utm_medium="social", network="bluesky"))
        code = link.code
    db.dispose()
    return code


def serve(url: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "SOCIALDESK_DATABASE_URL": url, "SOCIALDESK_DATA_DIR": str(data_dir),
           "SOCIALDESK_AUTO_MIGRATE": "false", "SOCIALDESK_TASK_BACKEND": "immediate"}
    command = [sys.executable, "-m", "uvicorn", "socialdesk.web.app:create_served_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


def load_wrk(target: str, seconds: int, connections: int) -> tuple[float, int, str]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {AGENT}",
                          target], capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out)
    return rate, total, p99.group(1) if p99 else "?"


def load_python(target: str, seconds: int) -> tuple[float, int, str]:
    import httpx

    count, start = 0, time.perf_counter()
    with httpx.Client(headers={"user-agent": AGENT}) as http:
        while time.perf_counter() - start < seconds and count < 200_000:
            assert http.get(target).status_code == 302
            count += 1
    return count / (time.perf_counter() - start), count, "?"


def run(backend: str, seconds: int, connections: int, hashing: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="sd-links-bench-"))
    pg_name = None
    if backend == "sqlite":
        url = f"sqlite:///{work / 'bench.db'}"
    else:
        pg_name = f"sd_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
        url = make_url(PG_URL).set(database=pg_name).render_as_string(hide_password=False)
    try:
        code = prepare(url, hashing)
        port = free_port()
        server = serve(url, work / "data", port)
        try:
            target = f"http://127.0.0.1:{port}/l/{code}"
            if shutil.which("wrk"):
                rate, total, p99 = load_wrk(target, seconds, connections)
                tool = f"wrk -t2 -c{connections}"
                # The same server's /healthz (no database): what the app's middleware alone allows here.
                baseline = load_wrk(f"http://127.0.0.1:{port}/healthz", seconds, connections)[0]
            else:
                rate, total, p99 = load_python(target, seconds)
                tool, baseline = "python loop, 1 connection", 0.0
        finally:
            server.terminate()
            server.wait(10)
        db = Database(url)
        with db.session() as s:
            link_id = s.scalar(select(TrackedLink.id).where(TrackedLink.code == code))
            rows = s.scalar(select(func.count()).select_from(LinkClick).where(LinkClick.link_id == link_id))
            repeats = s.scalar(select(func.coalesce(func.sum(LinkClick.repeats), 0)).where(LinkClick.link_id == link_id))
        db.dispose()
        mode = "visitor hashing on (5 s window)" if hashing else "no opt-in"
        print(f"{backend:<10} {mode:<32} {rate:8.0f} redirects/s  p99 {p99:>8}  ({tool}, {seconds} s, "
              f"{total} requests; stored: {rows} click rows + {repeats} repeats; /healthz {baseline:.0f}/s)")
    finally:
        if pg_name:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--hashing", action="store_true", help="also measure with visitor hashing on")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        run(backend, args.seconds, args.connections, hashing=False)
        if args.hashing:
            run(backend, args.seconds, args.connections, hashing=True)


if __name__ == "__main__":
    main()
