"""A client's analytics dashboard under load: 100 clients x 10 channels x 2 years of daily account snapshots and
500,000 posts with daily metric snapshots, both backends, side by side with a straightforward ORM-per-row version.

The seeder fills a fresh database with bulk inserts (executemany on SQLite, COPY on PostgreSQL): clients in
several time zones with five KPI targets each, 10 channels per client (X with impressions, Mastodon and Bluesky
without), one account snapshot per channel and day over two years (about 1 % of days missing, followers that
sometimes go down), posts spread over the two years (text, link, image or video; hashtags; a few campaigns),
each with ``--snapshots`` daily snapshots after publishing (counts growing, impressions only on X). The SQLite
file is cached in ~/.cache/socialdesk/bench/ by its parameters; PostgreSQL gets a scratch database that is
dropped at the end.

Timed, for random clients and the last 30 days (12 weeks of history for best times and recommendations):

- **fast**: ``socialdesk.analytics.insights.dashboard`` (SQL aggregation: GROUP BY for each post's newest
  snapshot, GROUP BY day/channel for followers, plain column reads), on a client's first visit (its rows
  maybe not in the OS or database cache yet) and again;
- **page**: ``GET /clients/{id}/analytics`` through the app in process (ASGI), as a director with an API token
  (after the two passes above, so with warm caches: it adds the HTTP, auth and template cost);
- **orm**: the same figures computed the straightforward way (written below): ORM objects for every snapshot
  and post, one query per post for its snapshots, one per post for its media and followers at posting.

Run: .venv/bin/python bench/analytics_dashboard.py [--posts 500000] [--postgres] [--rounds 20] [--orm-rounds 3]
Target (issue): a client's dashboard under 300 ms on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

import socialdesk.models  # noqa: F401  (every mapper, so relationships resolve)

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "socialdesk" / "bench"
END = date(2026, 3, 31)  # the last seeded day
ZONES = ["Europe/Paris", "America/New_York", "UTC", "Asia/Tokyo", "Australia/Sydney"]
NETWORKS = ["x", "x", "x", "x", "mastodon", "mastodon", "mastodon", "bluesky", "bluesky", "bluesky"]
HASHTAGS = ["cider", "orchard", "harvest", "tasting", "news", "recipe"]
PG_ADMIN = os.environ.get("SOCIALDESK_BENCH_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/postgres")


def batched(items, n):
    it = iter(items)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def bulk_insert(conn, table, rows, *, postgres: bool) -> int:
    """COPY on PostgreSQL, executemany on SQLite, in chunks; returns the rows written."""
    n = 0
    if not postgres:
        for chunk in batched(rows, 10000):
            conn.execute(table.insert(), chunk)
            n += len(chunk)
        return n
    raw = conn.connection.driver_connection
    columns = None
    with raw.cursor() as cur:
        for chunk in batched(rows, 50000):
            columns = columns or list(chunk[0])
            with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in chunk:
                    copy.write_row([json.dumps(v) if isinstance(v, (list, dict)) else v for v in
                                    (row[c] for c in columns)])
            n += len(chunk)
    return n


def seed(url: str, *, clients: int, channels: int, days: int, posts: int, snapshots: int, seed_value: int) -> dict:
    from socialdesk.analytics.models import AccountSnapshot, PostMetricSnapshot
    from socialdesk.auth import service as auth_service
    from socialdesk.auth.models import User
    from socialdesk.channels.models import Channel
    from socialdesk.clients.models import Client, KpiTarget
    from socialdesk.db import Database
    from socialdesk.publishing.models import Campaign, MediaFile, Post, PostTarget

    rng = random.Random(seed_value)
    database = Database(url)
    database.migrate()
    postgres = not database.is_sqlite
    started = time.monotonic()
    first_day = END - timedelta(days=days - 1)
    with database.session() as session:
        conn = session.connection()
        conn.execute(Client.__table__.insert(), [
            {"id": c, "name": f"Client {c:03d}", "name_key": f"client {c:03d}", "timezone": ZONES[c % len(ZONES)]}
            for c in range(1, clients + 1)])
        conn.execute(KpiTarget.__table__.insert(), [
            {"client_id": c, "metric": m, "target": t, "unit": u, "period": p, "notes": ""}
            for c in range(1, clients + 1) for m, t, u, p in (
                ("engagement_rate_percent", 3.0, "%", "month"), ("followers", 60000, "", "quarter"),
                ("follower_growth_percent", 2.0, "%", "month"), ("posts_published", 200, "posts", "month"),
                ("impressions", 400000, "", "month"))])
        conn.execute(Channel.__table__.insert(), [
            {"id": (c - 1) * channels + k + 1, "client_id": c, "network": NETWORKS[k % len(NETWORKS)],
             "display_name": f"Client {c} {NETWORKS[k % len(NETWORKS)]} {k}", "handle": f"c{c}k{k}",
             "base_url": "https://example.com", "status": "ok"}
            for c in range(1, clients + 1) for k in range(channels)])
        conn.execute(Campaign.__table__.insert(), [
            {"id": (c - 1) * 3 + k + 1, "client_id": c, "name": f"Campaign {k}", "description": "", "major": False,
             "color": "#3c71f7", "created_at": datetime(2024, 1, 1, tzinfo=UTC)}
            for c in range(1, clients + 1) for k in range(3)])
        media = []
        for c in range(1, clients + 1):
            for k, kind in enumerate(("image", "image", "video", "gif")):
                media.append({"id": (c - 1) * 4 + k + 1, "client_id": c, "filename": f"m{k}", "stored_as": "x",
                              "sha256": "0" * 64, "kind": kind, "mime_type": "image/png", "size_bytes": 1,
                              "alt_text": "", "created_at": datetime(2024, 1, 1, tzinfo=UTC)})
        conn.execute(MediaFile.__table__.insert(), media)
        password = auth_service.hash_password("bench-password-1")
        conn.execute(User.__table__.insert(), [{"id": 1, "email": "director@bench.example", "name": "Director",
                                                "agency_role": "director", "password_hash": password}])
        if postgres:
            for table in ("clients", "channels", "users", "campaigns", "media_files"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        _, token = auth_service.create_api_token(session=session, user=session.get(User, 1), name="bench",
                                                 read_only=True)

    def account_rows():
        for c in range(1, clients + 1):
            for k in range(channels):
                ch = (c - 1) * channels + k + 1
                n = rng.randrange(2000, 20000)
                for d in range(days):
                    n += rng.choice((-3, 0, 1, 2, 4, 6, 9))
                    if rng.random() < 0.01:
                        continue  # a day the collection did not run
                    yield {"client_id": c, "channel_id": ch, "day": first_day + timedelta(days=d), "followers": n,
                           "following": 300, "posts": d, "extra": {}, "decreased": [],
                           "collected_at": datetime(2026, 1, 1, tzinfo=UTC)}

    per_client = posts // clients
    marker = itertools.count(1)

    def post_rows():
        pid = 0
        for c in range(1, clients + 1):
            for _ in range(per_client):
                pid += 1
                at = datetime.combine(first_day, datetime.min.time(), UTC) + timedelta(
                    seconds=rng.randrange(days * 86400))
                kind = rng.random()
                media_ids = [(c - 1) * 4 + rng.randrange(4) + 1] if kind < 0.5 else []
                tags = " ".join(f"#{t}" for t in rng.sample(HASHTAGS, rng.randrange(3)))
                yield pid, c, at, {
                    "id": pid, "client_id": c, "campaign_id": (c - 1) * 3 + rng.randrange(3) + 1 if rng.random() < 0.3
                    else None, "title": "", "text": "Fresh from the orchard " + "x" * rng.randrange(0, 240) + " " + tags,
                    "link": "https://example.com/p" if 0.5 <= kind < 0.7 else None, "first_comment": "",
                    "media_ids": media_ids, "status": "published", "schedule_note": "", "version": 1,
                    "created_at": at, "updated_at": at}

    def all_rows():
        post_list, target_list, snap_list = [], [], []
        for pid, c, at, row in post_rows():
            k = rng.randrange(channels)
            ch = (c - 1) * channels + k + 1
            network = NETWORKS[k % len(NETWORKS)]
            post_list.append(row)
            target_list.append({"id": pid, "post_id": pid, "client_id": c, "channel_id": ch, "network": network,
                                "marker": f"{next(marker):032x}", "state": "published", "attempts": 1,
                                "in_flight": False, "needs_lookup": False, "remote_id": f"r{pid}",
                                "remote_extra": {}, "published_at": at, "last_error": ""})
            quality = rng.lognormvariate(0, 0.6) * (1.8 if row["media_ids"] else 1.0)
            base_impr = rng.randrange(500, 5000)
            for s in range(snapshots):
                day = at.date() + timedelta(days=s)
                if day > END:
                    break
                grow = (s + 1) / snapshots
                likes = int(base_impr * 0.02 * quality * grow)
                snap_list.append({
                    "client_id": c, "channel_id": ch, "post_target_id": pid, "network": network,
                    "remote_id": f"r{pid}", "day": day, "likes": likes, "reposts": likes // 5, "replies": likes // 8,
                    "quotes": likes // 20 if network != "mastodon" else None,
                    "impressions": int(base_impr * grow) if network == "x" else None, "views": None,
                    "link_clicks": None, "extra": {}, "gone": False, "decreased": [], "source": "network",
                    "collected_at": datetime(2026, 1, 1, tzinfo=UTC)})
            if len(post_list) >= 20000:
                yield post_list, target_list, snap_list
                post_list, target_list, snap_list = [], [], []
        if post_list:
            yield post_list, target_list, snap_list

    counts = {"account_snapshots": 0, "posts": 0, "post_metric_snapshots": 0}
    with database.session() as session:
        conn = session.connection()
        counts["account_snapshots"] = bulk_insert(conn, AccountSnapshot.__table__, account_rows(), postgres=postgres)
        for p_rows, t_rows, s_rows in all_rows():
            counts["posts"] += bulk_insert(conn, Post.__table__, p_rows, postgres=postgres)
            bulk_insert(conn, PostTarget.__table__, t_rows, postgres=postgres)
            counts["post_metric_snapshots"] += bulk_insert(conn, PostMetricSnapshot.__table__, s_rows,
                                                           postgres=postgres)
        if postgres:
            for table in ("posts", "post_targets"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with database.engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    database.dispose()
    print(f"  seeded in {time.monotonic() - started:.0f} s: {counts}", flush=True)
    return {"token": token, "counts": counts}


# --- the straightforward version: ORM objects, one query per post ------------------------------------


def orm_dashboard(session, client_id: int, start: date, end: date, weeks: int = 12) -> dict:
    """The dashboard's core figures computed row by row with ORM objects (what a first version would do)."""
    from zoneinfo import ZoneInfo

    from socialdesk.analytics.models import AccountSnapshot, PostMetricSnapshot
    from socialdesk.clients.models import Client
    from socialdesk.publishing.models import MediaFile, PostTarget

    client = session.get(Client, client_id)
    zone = ZoneInfo(client.timezone)
    targets = list(client.kpi_targets)  # noqa: F841  (lazy load, as a template would)
    snaps = session.scalars(select(AccountSnapshot).where(AccountSnapshot.client_id == client_id,
                                                          AccountSnapshot.day.between(start, end))).all()
    by_day: dict[date, int] = {}
    for s in snaps:
        if s.followers is not None:
            by_day[s.day] = by_day.get(s.day, 0) + s.followers
    first = min(start, end - timedelta(days=weeks * 7 - 1))
    lo = datetime.combine(first, datetime.min.time(), zone)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    rows = []
    for target in session.scalars(select(PostTarget).where(PostTarget.client_id == client_id,
                                                           PostTarget.published_at >= lo,
                                                           PostTarget.published_at < hi)):
        post = target.post
        latest = session.scalars(select(PostMetricSnapshot).where(PostMetricSnapshot.post_target_id == target.id,
                                                                  PostMetricSnapshot.day <= end)
                                 .order_by(PostMetricSnapshot.day.desc())).first()
        if latest is None:
            continue
        kinds = [session.get(MediaFile, m).kind for m in post.media_ids or []]
        local = target.published_at.astimezone(zone)
        follower_row = session.scalars(select(AccountSnapshot).where(
            AccountSnapshot.channel_id == target.channel_id, AccountSnapshot.day <= local.date())
            .order_by(AccountSnapshot.day.desc())).first()
        engagements = sum(v for v in (latest.likes, latest.reposts, latest.replies, latest.quotes) if v is not None)
        if latest.impressions:
            rate = engagements / latest.impressions
        elif follower_row and follower_row.followers:
            rate = engagements / follower_row.followers
        else:
            rate = None
        rows.append((local, kinds, rate, engagements, latest.impressions))
    in_period = [r for r in rows if r[0].date() >= start]
    impr = [r for r in in_period if r[4]]
    rate = sum(r[3] for r in impr) / sum(r[4] for r in impr) if impr else None
    cells: dict[tuple[int, int], list[float]] = {}
    for local, _, r, _, _ in rows:
        if r is not None:
            cells.setdefault((local.weekday(), local.hour), []).append(r)
    return {"posts": len(in_period), "rate": rate, "followers_days": len(by_day),
            "cells": {k: statistics.median(v) for k, v in cells.items()}}


# --- timing -----------------------------------------------------------------------------------------


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return f"p50 {statistics.median(times) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms   (n={len(times)})"


def run(url: str, info: dict, *, clients: int, rounds: int, orm_rounds: int, label: str, tmp: Path) -> None:
    from fastapi.testclient import TestClient

    from socialdesk.analytics import insights
    from socialdesk.config import Settings
    from socialdesk.db import Database
    from socialdesk.web.app import create_app

    rng = random.Random(7)
    database = Database(url)
    start = END - timedelta(days=29)
    picks = [rng.randrange(1, clients + 1) for _ in range(rounds)]
    fast, again, orm, page = [], [], [], []
    with database.session() as session:  # warm the caches and check both versions agree
        board = insights.dashboard(session=session, client_id=picks[0], start=start, end=END)
        plain = orm_dashboard(session, picks[0], start, END)
        assert plain["posts"] == board.period_rate.posts, (plain["posts"], board.period_rate.posts)
        assert abs((plain["rate"] or 0) - (board.period_rate.rate or 0)) < 1e-9, (plain["rate"], board.period_rate.rate)
        print(f"  client {picks[0]}: {board.period_rate.posts} posts in the period, best-times n={board.best_times.n}, "
              f"{len(board.kpis)} KPIs ({', '.join(k.status for k in board.kpis)}); fast and orm agree", flush=True)
    for cid in picks:
        with database.session() as session:
            t = time.perf_counter()
            insights.dashboard(session=session, client_id=cid, start=start, end=END)
            fast.append(time.perf_counter() - t)
    for cid in picks:  # the same clients again: their pages are in the database's cache now
        with database.session() as session:
            t = time.perf_counter()
            insights.dashboard(session=session, client_id=cid, start=start, end=END)
            again.append(time.perf_counter() - t)
    for cid in picks[:orm_rounds]:
        with database.session() as session:
            t = time.perf_counter()
            orm_dashboard(session, cid, start, END)
            orm.append(time.perf_counter() - t)
    settings = Settings(data_dir=tmp, database_url=url, secret_key="bench-secret-" + "x" * 32,
                        task_backend="immediate", auto_migrate=False, base_url="http://testserver")
    app = create_app(settings, database)
    with TestClient(app) as http:
        headers = {"Authorization": f"Bearer {info['token']}", "accept": "text/html"}
        assert http.get(f"/clients/{picks[0]}/analytics", headers=headers).status_code == 200
        for cid in picks:
            t = time.perf_counter()
            r = http.get(f"/clients/{cid}/analytics", headers=headers,
                         params={"start": start.isoformat(), "end": END.isoformat()})
            page.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:300]
    database.dispose()
    print(f"  {label:10s} fast  first visit     {percentiles(fast)}")
    print(f"  {label:10s} fast  repeat visit    {percentiles(again)}")
    print(f"  {label:10s} page  GET analytics   {percentiles(page)}")
    print(f"  {label:10s} orm   per-row version {percentiles(orm)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--posts", type=int, default=500_000)
    parser.add_argument("--snapshots", type=int, default=7, help="daily snapshots per post after publishing")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--orm-rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="also run on a scratch PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    import tempfile

    load = os.getloadavg()[0]
    print(f"analytics dashboard: {args.clients} clients x {args.channels} channels x {args.days} days, "
          f"{args.posts:,} posts x {args.snapshots} snapshots (load average {load:.1f})", flush=True)
    params = dict(clients=args.clients, channels=args.channels, days=args.days, posts=args.posts,
                  snapshots=args.snapshots, seed_value=1)
    tmp = Path(tempfile.mkdtemp(prefix="sd-bench-analytics-"))
    if not args.no_sqlite:
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / ("analytics_" + "_".join(f"{k}{v}" for k, v in params.items()) + ".db")
        info_path = path.with_suffix(".json")
        url = f"sqlite:///{path}"
        if not path.exists() or not info_path.exists():
            path.unlink(missing_ok=True)
            print(f"sqlite: seeding {path}", flush=True)
            info = seed(url, **params)
            info_path.write_text(json.dumps(info))
        else:
            info = json.loads(info_path.read_text())
            print(f"sqlite: cached {path} ({path.stat().st_size / 1e9:.1f} GB)", flush=True)
        run(url, info, clients=args.clients, rounds=args.rounds, orm_rounds=args.orm_rounds, label="sqlite", tmp=tmp)
    if args.postgres:
        from sqlalchemy.engine import make_url

        name = f"bench_analytics_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
            print(f"postgresql: seeding {name}", flush=True)
            info = seed(url, **params)
            run(url, info, clients=args.clients, rounds=args.rounds, orm_rounds=args.orm_rounds, label="postgresql",
                tmp=tmp)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
