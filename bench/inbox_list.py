"""Inbox listing under load: 1,000,000 items across 50 clients, every filter, both backends, side by side
with the plain query of migration 0005 (no listing indexes, the client IN-list query, latest items by GROUP BY).

The seeder fills a fresh database with bulk inserts (executemany on SQLite, COPY on PostgreSQL): 50 clients of
skewed sizes, 3 channels each, conversations of skewed length over six months, statuses, assignees, tags,
sentiment and urgency; a director (sees all 50 clients) and a member with a role on 5 clients, each with an API
token. The SQLite file is cached in ~/.cache/socialdesk/bench/ by its parameters; PostgreSQL gets a scratch
database that is dropped at the end. The app runs under uvicorn (one worker process) on a free loopback port and
wrk loads it with a Lua script rotating the URLs of one filter (both users, first page and a ``before`` page),
then all URLs at once. Each filter is loaded twice: the JSON lists, then the inbox pages a person opens
(``/inbox`` and ``/clients/{id}/inbox``, whole HTML; their age filters are the page's presets). "plain" serves the 0005 query path on the 0005 indexes (downgraded for that run).

Run: .venv/bin/python bench/inbox_list.py [--items 1000000] [--postgres] [--seconds 5] [--connections 4]
Target (issue): p95 under 100 ms for every filter, SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, select, text

import socialdesk.models  # noqa: F401  (every mapper, so relationships resolve)

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "socialdesk" / "bench"
ANCHOR = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # "now" of the seeded data (ages are relative to it)
DAYS = 180
SECRET = "bench-secret-not-for-production"
TEXTS = [
    "@{h} your delivery was late again and nobody answers, really disappointed",
    "Love the new flavour!!! Thanks so much @{h}",
    "Does the store on 5th street open on Sundays?",
    "meh. not sure what to think about the update",
    "This is the worst customer service I have EVER had. Never again.",
    "great job team, see you at the event next week https://example.com/e/{n}",
    "Is there a discount for students? asking for a friend",
    "ordered #{n} two weeks ago, still nothing. hello??",
    "thank you, that fixed it 🙏",
    "who do I talk to about a partnership? we run a shop in Lyon",
]
TAGS = [("question", 0.12), ("complaint", 0.08), ("praise", 0.08), ("lead", 0.03), ("spam", 0.02), ("troll", 0.01)]


# --- seeding ----------------------------------------------------------------------------------


def batched(items, n):
    it = iter(items)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def bulk_insert(conn, table, rows, *, postgres: bool) -> None:
    """COPY on PostgreSQL, executemany on SQLite, in chunks."""
    if not postgres:
        for chunk in batched(rows, 5000):
            conn.execute(table.insert(), chunk)
        return
    columns = None
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        for chunk in batched(rows, 20000):
            columns = columns or list(chunk[0])
            with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row([json.dumps(v) if isinstance(v, (list, dict)) else v for v in
                                    (row[c] for c in columns)])


def seed(url: str, *, items: int, clients: int, seed_value: int) -> dict:
    """Fill a fresh, migrated database; returns what the load needs (tokens, ids, the anchor time)."""
    from socialdesk.auth import service as auth_service
    from socialdesk.auth.models import User
    from socialdesk.channels.models import Channel
    from socialdesk.clients.models import Client
    from socialdesk.db import Database
    from socialdesk.inbox.models import LONG_RUNNING, Conversation, InboxItem
    from socialdesk.inbox.schemas import tag_mask
    from socialdesk.team.models import Membership

    rng = random.Random(seed_value)
    database = Database(url)
    database.migrate()
    postgres = not database.is_sqlite
    started = time.monotonic()
    with database.session() as session:
        conn = session.connection()
        conn.execute(Client.__table__.insert(), [{"id": i, "name": f"Client {i:02d}", "name_key": f"client {i:02d}"}
                                                 for i in range(1, clients + 1)])
        networks = ["bluesky", "mastodon", "x"]
        channel_rows = [{"id": (c - 1) * 3 + k + 1, "client_id": c, "network": networks[k], "handle": f"c{c}{k}",
                         "base_url": "https://example.com", "status": "ok"}
                        for c in range(1, clients + 1) for k in range(3)]
        conn.execute(Channel.__table__.insert(), channel_rows)
        password = auth_service.hash_password("bench-password-1")
        users = [{"id": 1, "email": "director@bench.example", "name": "Director", "agency_role": "director"},
                 {"id": 2, "email": "member@bench.example", "name": "Member", "agency_role": "member"}]
        users += [{"id": i, "email": f"team{i}@bench.example", "name": f"Team {i}", "agency_role": "member"}
                  for i in range(3, 23)]
        conn.execute(User.__table__.insert(), [{**u, "password_hash": password} for u in users])
        team = {c: [2] if c <= 5 else [] for c in range(1, clients + 1)}
        for c in team:
            team[c] += rng.sample(range(3, 23), 3)
        conn.execute(Membership.__table__.insert(), [{"user_id": u, "client_id": c, "role": "community_manager"}
                                                     for c, us in team.items() for u in us])
        if postgres:
            for table in ("clients", "channels", "users"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        tokens = {}
        for uid, who in ((1, "director"), (2, "member")):
            _, raw = auth_service.create_api_token(session=session, user=session.get(User, uid), name="bench",
                                                   read_only=True)
            tokens[who] = raw

    # Client sizes are skewed (Zipf-like), conversation lengths heavy-tailed (a few threads go viral).
    weights = [1 / (i + 1) ** 0.8 for i in range(clients)]
    conversations, item_rows = [], []
    conv_id = item_id = 0
    horizon = DAYS * 86400
    while item_id < items:
        conv_id += 1
        client = rng.choices(range(1, clients + 1), weights)[0]
        channel = (client - 1) * 3 + rng.randrange(3) + 1
        size = min(items - item_id, min(3000, int(rng.paretovariate(1.6))))
        age = horizon * rng.random() ** 2  # more recent activity than old
        first = ANCHOR - timedelta(seconds=age)
        span = min(age, rng.expovariate(1 / 7200) * (1 + size))
        times = sorted(first + timedelta(seconds=span * rng.random()) for _ in range(size - 1))
        times = [first, *times]
        if age < 86400:
            status = rng.choices(["new", "open", "waiting", "done"], [60, 25, 5, 10])[0]
        else:
            status = rng.choices(["new", "open", "waiting", "done"], [4, 10, 6, 80])[0]
        assignee = rng.choice(team[client]) if status != "new" and rng.random() < 0.8 else None
        tags = [t for t, share in TAGS if rng.random() < share]
        sentiment = rng.choices(["positive", "neutral", "negative"], [30, 45, 25])[0]
        conversations.append({
            "id": conv_id, "client_id": client, "channel_id": channel, "network": channel_rows[channel - 1]["network"],
            "root_remote_id": f"{conv_id}-0", "status": status, "assignee_id": assignee, "tags": sorted(tags),
            "tag_mask": tag_mask(tags), "first_item_at": first, "last_activity_at": times[-1], "item_count": size,
            "long_running": times[-1] - first > LONG_RUNNING,
            "author_remote_id": f"a{conv_id % 50000}", "author_handle": f"person{conv_id % 50000}@example.com",
            "sentiment": sentiment, "urgent": rng.random() < 0.02, "escalation_level": 0, "breached": False,
            "created_at": first})
        for k, at in enumerate(times):
            item_id += 1
            body = TEXTS[(conv_id + k) % len(TEXTS)].format(h=f"c{client}", n=item_id)
            item_rows.append({
                "id": item_id, "client_id": client, "channel_id": channel, "conversation_id": conv_id,
                "remote_id": f"{conv_id}-{k}", "kind": "mention" if k == 0 else "reply",
                "author_remote_id": f"a{(conv_id + k * 7) % 50000}", "author_handle": f"person{conv_id}@example.com",
                "author_name": "Person", "author_url": "", "author_followers": 100, "text": body, "url": "",
                "in_reply_to": None if k == 0 else f"{conv_id}-0", "lang": "en", "sentiment_score": 0.0,
                "sentiment": sentiment, "extra": {}, "created_at": at, "ingested_at": at})
    with database.session() as session:
        conn = session.connection()
        bulk_insert(conn, Conversation.__table__, conversations, postgres=postgres)
        bulk_insert(conn, InboxItem.__table__, item_rows, postgres=postgres)
        if postgres:
            for table in ("inbox_conversations", "inbox_items"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    maintain(database)
    big = max(range(1, 6), key=lambda c: sum(1 for x in conversations if x["client_id"] == c))
    info = {"tokens": tokens, "member_client": big, "channel": (big - 1) * 3 + 1, "assignee": team[big][1],
            "conversations": conv_id, "items": item_id, "seed_seconds": round(time.monotonic() - started, 1)}
    database.dispose()
    return info


def maintain(database) -> None:
    """What autovacuum gives a running PostgreSQL: planner statistics and the visibility map. (The app never
    runs ANALYZE on SQLite, so neither does the bench: the plans must be right without statistics.)"""
    if not database.is_sqlite:
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


# --- the plain query path (0005), for the side-by-side baseline -----------------------------------


def plain_list_conversations(*, session, client_ids, channel_id=None, status=None, assignee_id=None,
                             unassigned=False, tag=None, sentiment=None, urgent=None, older_than=None,
                             newer_than=None, before=None, limit=50):
    from socialdesk.inbox.models import Conversation
    from socialdesk.inbox.schemas import tag_mask

    query = select(Conversation).where(Conversation.client_id.in_(list(client_ids)))
    for on, clause in ((channel_id is not None, lambda: Conversation.channel_id == channel_id),
                       (status is not None, lambda: Conversation.status == status),
                       (assignee_id is not None, lambda: Conversation.assignee_id == assignee_id),
                       (unassigned, lambda: Conversation.assignee_id.is_(None)),
                       (tag is not None, lambda: Conversation.tag_mask.op("&")(tag_mask([tag])) != 0),
                       (sentiment is not None, lambda: Conversation.sentiment == sentiment),
                       (urgent is not None, lambda: Conversation.urgent.is_(urgent)),
                       (older_than is not None, lambda: Conversation.first_item_at < older_than),
                       (newer_than is not None, lambda: Conversation.first_item_at >= newer_than),
                       (before is not None, lambda: Conversation.last_activity_at < before)):
        if on:
            query = query.where(clause())
    return list(session.scalars(query.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
                                .limit(limit)))


def plain_latest_items(session, conversations):
    from socialdesk.inbox.models import InboxItem

    if not conversations:
        return {}
    ids = [c.id for c in conversations]
    newest = (select(InboxItem.conversation_id, func.max(InboxItem.id).label("item_id"))
              .where(InboxItem.conversation_id.in_(ids)).group_by(InboxItem.conversation_id).subquery())
    return {i.conversation_id: i for i in session.scalars(select(InboxItem).join(newest, InboxItem.id == newest.c.item_id))}


def baseline_app():
    """The app with the 0005 listing (uvicorn factory for the "plain" run)."""
    from socialdesk.inbox import service
    from socialdesk.web.app import create_app

    service.list_conversations = plain_list_conversations
    service.latest_items = plain_latest_items
    return create_app()


# --- load -------------------------------------------------------------------------------------


LUA = r'''
local urls, names, values, i = {}, {}, {}, 0
local close = os.getenv("BENCH_CLOSE") == "1"
for line in io.lines(os.getenv("BENCH_URLS")) do
  local name, value, path = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
  urls[#urls + 1] = path; names[#names + 1] = name; values[#values + 1] = value
end
request = function()
  i = i % #urls + 1
  local headers = {[names[i]] = values[i], ["Accept"] = "application/json"}
  if close then headers["Connection"] = "close" end
  return wrk.format("GET", urls[i], headers)
end
done = function(summary, latency, requests)
  local f = io.open(os.getenv("BENCH_OUT"), "w")
  f:write(string.format('{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, "errors": %d, "non2xx": %d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
  f:close()
end
'''


def filters(info: dict) -> dict[str, list[dict]]:
    day = timedelta(days=1)
    return {
        "none": [{}],
        "channel": [{"channel_id": info["channel"]}],
        "status=open": [{"status": "open"}],
        "status=waiting": [{"status": "waiting"}],
        "assignee": [{"assignee_id": info["assignee"]}],
        "unassigned": [{"unassigned": "true"}],
        "tag=complaint": [{"tag": "complaint"}],
        "tag=troll": [{"tag": "troll"}],
        "sentiment=negative": [{"sentiment": "negative"}],
        "urgent": [{"urgent": "true"}],
        "older_than 30d": [{"older_than": (ANCHOR - 30 * day).isoformat()}],
        "newer_than 7d": [{"newer_than": (ANCHOR - 7 * day).isoformat()}],
        "open+unassigned": [{"status": "open", "unassigned": "true"}],
        "negative+urgent": [{"sentiment": "negative", "urgent": "true"}],
        "new+lead": [{"status": "new", "tag": "lead"}],
        "assignee+open+older": [{"assignee_id": info["assignee"], "status": "open",
                                 "older_than": (ANCHOR - 7 * day).isoformat()}],
    }


# The page's filters are presets relative to now (``inbox.views.AGES``): the nearest ones stand for the API's dates.
PAGE_AGE = {"older_than": "older-7d", "newer_than": "newer-24h"}


def page_params(p: dict) -> dict:
    """The inbox page's query string for the API filter ``p`` (``Filters.parse``'s names)."""
    out = {}
    for key, value in p.items():
        if key in PAGE_AGE:
            out["age"] = PAGE_AGE[key]
        elif key == "channel_id":
            out["channel"] = value
        elif key == "assignee_id":
            out["assignee"] = value
        elif key == "unassigned":
            out["assignee"] = "unassigned"
        elif key == "urgent":
            out["urgent"] = "1"
        else:
            out[key] = value
    return out


def url_set(database_url: str, info: dict, name: str, params: list[dict], *,
            pages: bool = False) -> list[tuple[str, str]]:
    """(who, path) for both users, the all-clients and one-client lists, first page and the next one: the JSON
    lists, or with ``pages`` the inbox pages (``/inbox``, ``/clients/{id}/inbox``: the HTML a person opens)."""
    from socialdesk.db import Database
    from socialdesk.inbox import service

    database = Database(database_url)
    now = datetime.now(UTC)
    out = []
    with database.session() as session:
        for p in params:
            for who in ("director", "member"):
                ids = list(range(1, 51)) if who == "director" else list(range(1, 6))
                client = info["member_client"]
                if pages:
                    paths = [("/inbox", ids), (f"/clients/{client}/inbox", [client])]
                else:
                    paths = [("/api/inbox", ids), (f"/api/clients/{client}/inbox", [client])]
                for path, cids in paths:
                    typed = {k: (int(v) if k.endswith("_id") else datetime.fromisoformat(v) if k.endswith("_than")
                                 else v == "true" if v in ("true", "false") else v) for k, v in p.items()}
                    query = dict(p)
                    if pages:
                        query = page_params(p)
                        for key in PAGE_AGE:
                            if key in typed:
                                preset = {"older-7d": timedelta(days=7), "newer-24h": timedelta(hours=24)}
                                typed[key] = now - preset[PAGE_AGE[key]]
                    first = service.list_conversations(session=session, client_ids=cids, **typed)
                    out.append((who, f"{path}?{urlencode(query)}" if query else path))
                    if len(first) == 50:
                        last = first[-1]
                        after = {"before": last.last_activity_at.isoformat()}
                        if pages:
                            after["before_id"] = last.id
                        out.append((who, f"{path}?{urlencode({**query, **after})}"))
    database.dispose()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database_url: str, data_dir: Path, *, plain: bool, workers: int = 1) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SOCIALDESK_DATABASE_URL": database_url, "SOCIALDESK_DATA_DIR": str(data_dir),
           "SOCIALDESK_AUTO_MIGRATE": "false", "SOCIALDESK_SECRET_KEY": SECRET, "SOCIALDESK_TASK_BACKEND": "immediate"}
    factory = "inbox_list:baseline_app" if plain else "socialdesk.web.app:create_served_app"
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(HERE),
                             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                             "--no-access-log"], env=env)
    deadline = time.monotonic() + 120  # a loaded machine takes a while to import the app
    while time.monotonic() < deadline and proc.poll() is None:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the app did not start")


def credentials(database_url: str, info: dict, auth: str) -> dict[str, tuple[str, str]]:
    """The header each user sends: their API token, or a fresh web session's cookie."""
    if auth == "token":
        return {who: ("Authorization", f"Bearer {raw}") for who, raw in info["tokens"].items()}
    from socialdesk.auth import service as auth_service
    from socialdesk.auth.models import User
    from socialdesk.config import Settings
    from socialdesk.db import Database
    from socialdesk.web.deps import SESSION_COOKIE

    database = Database(database_url)
    settings = Settings(secret_key=SECRET, database_url=database_url)
    with database.session() as session:
        out = {who: ("Cookie", f"{SESSION_COOKIE}={auth_service.start_session(session=session, settings=settings, user=session.get(User, uid))}")
               for who, uid in (("director", 1), ("member", 2))}
    database.dispose()
    return out


def wrk(port: int, urls: list[tuple[str, str]], *, seconds: float, connections: int, workdir: Path,
        headers: dict, close: bool = False) -> dict:
    script, listing, out = workdir / "rotate.lua", workdir / "urls.txt", workdir / "out.json"
    script.write_text(LUA)
    listing.write_text("".join(f"{headers[w][0]}\t{headers[w][1]}\t{p}\n" for w, p in urls))
    env = {**os.environ, "BENCH_URLS": str(listing), "BENCH_OUT": str(out), "BENCH_CLOSE": "1" if close else "0"}
    subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(script),
                    f"http://127.0.0.1:{port}"], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result = json.loads(out.read_text())
    result["rps"] = result["requests"] / result["seconds"]
    return result


def load(database_url: str, sets: dict, args, *, plain: bool, workdir: Path, headers: dict) -> dict[str, dict]:
    proc, port = serve(database_url, workdir, plain=plain, workers=args.workers)
    results = {}
    try:
        wrk(port, sets["none"], seconds=1, connections=args.connections, workdir=workdir,
            headers=headers)  # warm the caches
        for name, urls in sets.items():
            results[name] = wrk(port, urls, seconds=args.seconds, connections=args.connections, workdir=workdir,
                                headers=headers, close=args.close)
            print(f"  {'plain' if plain else 'fast':5} {name:22} {json.dumps(results[name])}", flush=True)
        everything = [u for urls in sets.values() for u in urls]
        results["all URLs"] = wrk(port, everything, seconds=args.seconds * 2, connections=args.connections,
                                  workdir=workdir, headers=headers, close=args.close)
    finally:
        proc.terminate()
        proc.wait(10)
    return results


def set_revision(url: str, revision: str) -> None:
    from alembic import command

    from socialdesk.db import Database
    from socialdesk.migrations.runner import alembic_config

    database = Database(url)
    if revision == "head":
        command.upgrade(alembic_config(database.engine), "head")
    else:
        command.downgrade(alembic_config(database.engine), revision)
    maintain(database)
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (SOCIALDESK_TEST_POSTGRES_URL) not SQLite")
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per filter")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (socialdesk serve --workers)")
    parser.add_argument("--auth", choices=["cookie", "token"], default="cookie",
                        help="how the users sign in: a web session cookie, or their API token (on SQLite every "
                             "token request also writes the token's last use)")
    parser.add_argument("--only", choices=["plain", "fast"], help="run one side only")
    parser.add_argument("--no-pages", action="store_true", help="load the JSON lists only, not the inbox pages")
    parser.add_argument("--close", action="store_true",
                        help="a new connection per request (Connection: close): with a few kept-alive connections "
                             "the kernel may hand most of them to one of several workers, which then queues them")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        admin = name = None
        if args.postgres:
            admin_url = os.environ.get("SOCIALDESK_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
            name = f"bench_inbox_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        else:
            CACHE.mkdir(parents=True, exist_ok=True)
            key = f"inbox-{args.items}-{args.clients}-{args.seed}"
            path, meta = CACHE / f"{key}.db", CACHE / f"{key}.json"
            url = f"sqlite:///{path}"
        try:
            if args.postgres or not meta.exists():
                if not args.postgres:
                    for leftover in CACHE.glob(f"{key}.db*"):
                        leftover.unlink()
                print(f"seeding {args.items} items across {args.clients} clients ...", flush=True)
                info = seed(url, items=args.items, clients=args.clients, seed_value=args.seed)
                if not args.postgres:
                    meta.write_text(json.dumps(info))
            else:
                info = json.loads(meta.read_text())
                set_revision(url, "head")
            print(f"{info['items']} items in {info['conversations']} conversations (seeded in {info['seed_seconds']} s)")
            sets = {name: url_set(url, info, name, params) for name, params in filters(info).items()}
            if not args.no_pages:
                sets.update({f"{name} (page)": url_set(url, info, name, params, pages=True)
                             for name, params in filters(info).items()})
            headers = credentials(url, info, args.auth)
            results = {}
            if args.only != "fast":
                set_revision(url, "0005")
                results["plain"] = load(url, sets, args, plain=True, workdir=workdir, headers=headers)
                set_revision(url, "head")
            if args.only != "plain":
                results["fast"] = load(url, sets, args, plain=False, workdir=workdir, headers=headers)
        finally:
            if admin is not None:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
    report(results, info, args)


def report(results: dict, info: dict, args) -> None:
    store = "PostgreSQL" if args.postgres else "SQLite"
    sides = list(results)
    print(f"\nGET /api/inbox and /api/clients/{{id}}/inbox (and '(page)': /inbox and /clients/{{id}}/inbox), {info['items']} items, {info['conversations']} "
          f"conversations, {args.clients} clients, {store}; uvicorn {args.workers} worker(s), wrk -t1 -c{args.connections} "
          f"{args.seconds:g} s per filter{', a new connection per request' if args.close else ''}, signed in by {args.auth}, {os.cpu_count()} cores; latencies in ms")
    head = "".join(f" | {s + ' p50':>10} {'p95':>8} {'p99':>8} {'req/s':>7}" for s in sides)
    print(f"{'filter':22}{head}")
    for name in results[sides[0]]:
        row = ""
        for s in sides:
            r = results[s][name]
            flag = "" if not (r["errors"] or r["non2xx"]) else f" ({r['errors'] + r['non2xx']} failed)"
            row += f" | {r['p50']:>10.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['rps']:>7.0f}{flag}"
        print(f"{name:22}{row}")
    if "fast" in results:
        worst = max(r["p95"] for r in results["fast"].values())
        print(f"target: p95 < 100 ms for every filter: worst p95 {worst:.1f} ms -> {'met' if worst < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
