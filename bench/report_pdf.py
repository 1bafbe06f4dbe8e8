"""Time a monthly client report (build + WeasyPrint PDF) on a large analytics database.

    .venv/bin/python bench/report_pdf.py [--postgres] [--clients 100] [--channels 10] [--days 730]
                                         [--posts 500000] [--snapshots 7] [--rounds 5]

The data: ``--clients`` clients with ``--channels`` channels each, a daily account snapshot per channel for
``--days`` days, ``--posts`` posts spread over the clients (skewed: the first client has the most) with
``--snapshots`` daily post snapshots each after publication. When bench/analytics_dashboard.py (the
dashboard bench) offers ``seed(url, ...)`` its seeder is used instead, so both benches time the same
data. The SQLite file is cached in ~/.cache/socialdesk/bench/ by its parameters; PostgreSQL gets a scratch
``bench_reports_*`` database, dropped at the end (seeded with COPY).

It renders the last whole month of the busiest client with every section, once cold (first import of
WeasyPrint, fonts) and ``--rounds`` times warm, and fails when the warm median reaches 5 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
CACHE = Path.home() / ".cache" / "socialdesk" / "bench"
END = date(2026, 11, 30)
LIMIT_SECONDS = 5.0


def _dashboard_seeder():
    try:
        import analytics_dashboard  # the dashboard bench, when it is there
    except ImportError:
        return None
    return getattr(analytics_dashboard, "seed", None)


def seed(url: str, *, clients: int, channels: int, days: int, posts: int, snapshots: int) -> None:
    """Fill a migrated database with clients, channels, account and post snapshots."""
    import socialdesk.models  # noqa: F401 (every table)
    from socialdesk.analytics.models import AccountSnapshot, PostMetricSnapshot, TrackedPost
    from socialdesk.channels.models import Channel
    from socialdesk.clients.models import Client

    rng = random.Random(7)
    engine = create_engine(url)
    first_day = END - timedelta(days=days - 1)
    with engine.begin() as conn:
        conn.execute(insert(Client), [{"name": f"Bench client {i}", "name_key": f"bench client {i}",
                                       "timezone": "Europe/Paris", "brand_color": "#3b5bdb"} for i in range(clients)])
        client_ids = [r[0] for r in conn.execute(text("SELECT id FROM clients ORDER BY id"))]
        conn.execute(insert(Channel), [{"client_id": cid, "network": "mastodon", "display_name": f"Channel {cid}-{n}",
                                        "handle": f"c{cid}n{n}", "base_url": "http://127.0.0.1:9", "account_id": "1",
                                        "status": "ok"} for cid in client_ids for n in range(channels)])
        by_client: dict[int, list[int]] = {}
        for cid, client_id in conn.execute(text("SELECT id, client_id FROM channels ORDER BY id")):
            by_client.setdefault(client_id, []).append(cid)
        rows = []
        for client_id, channel_ids in by_client.items():
            for channel_id in channel_ids:
                followers = rng.randint(500, 50000)
                for d in range(days):
                    followers += rng.randint(-3, 25)
                    rows.append({"client_id": client_id, "channel_id": channel_id, "day": first_day + timedelta(days=d),
                                 "followers": followers, "following": 100, "posts": d, "extra": {}, "decreased": []})
                    if len(rows) >= 20000:
                        conn.execute(insert(AccountSnapshot), rows)
                        rows = []
        if rows:
            conn.execute(insert(AccountSnapshot), rows)
        weights = [1 / (i + 1) ** 0.5 for i in range(clients)]  # a few big clients, many small ones
        owners = rng.choices(client_ids, weights=weights, k=posts)
        tracked, snaps = [], []
        for n, client_id in enumerate(owners):
            channel_id = rng.choice(by_client[client_id])
            published = datetime.combine(first_day, datetime.min.time(), UTC) + timedelta(
                seconds=rng.randrange(days * 86400))
            remote_id = f"p{n}"
            tracked.append({"client_id": client_id, "channel_id": channel_id, "remote_id": remote_id,
                            "published_at": published})
            likes = 0
            for d in range(snapshots):
                day = published.date() + timedelta(days=d)
                if day > END:
                    break
                likes += rng.randint(0, 40) // (d + 1)
                snaps.append({"client_id": client_id, "channel_id": channel_id, "network": "mastodon",
                              "remote_id": remote_id, "day": day, "likes": likes, "reposts": likes // 5,
                              "replies": likes // 10, "quotes": 0, "impressions": likes * 30, "views": None,
                              "link_clicks": likes // 8, "extra": {}, "gone": False, "decreased": [],
                              "source": "network"})
            if len(snaps) >= 20000:
                conn.execute(insert(PostMetricSnapshot), snaps)
                conn.execute(insert(TrackedPost), tracked)
                snaps, tracked = [], []
        if snaps:
            conn.execute(insert(PostMetricSnapshot), snaps)
        if tracked:
            conn.execute(insert(TrackedPost), tracked)
    engine.dispose()


def time_report(url: str, rounds: int, end: date) -> dict:
    import socialdesk.models  # noqa: F401
    from socialdesk.db import Database
    from socialdesk.reports import periods, render, service
    from socialdesk.reports.models import SECTIONS

    db = Database(url)
    out = {"warm": []}
    with db.session() as session:
        client_id = session.execute(text("SELECT client_id FROM post_metric_snapshots GROUP BY client_id "
                                         "ORDER BY count(*) DESC LIMIT 1")).scalar()
        period = periods.last_complete("month", end + timedelta(days=1))
        for n in range(rounds + 1):
            started = time.perf_counter()
            report = service.build(session=session, client_id=client_id, period=period, sections=list(SECTIONS))
            built = time.perf_counter()
            pdf = render.pdf(report)
            done = time.perf_counter()
            entry = (built - started, done - built, done - started)
            if n == 0:
                out["cold"] = entry
            else:
                out["warm"].append(entry)
        out["pages"] = _pages(pdf)
        out["period"] = period.label
        out["client_posts"] = report.section("engagement").text[0] if report.section("engagement").text else "no posts"
    db.dispose()
    return out


def _pages(pdf: bytes) -> int:
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True).stdout
    return int(next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "0"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--posts", type=int, default=500_000)
    parser.add_argument("--snapshots", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from socialdesk.db import Database

    params = dict(clients=args.clients, channels=args.channels, days=args.days, posts=args.posts,
                  snapshots=args.snapshots)
    dashboard_seed = _dashboard_seeder()
    seeder = dashboard_seed or seed
    print(f"seeder: {'bench/analytics_dashboard.py' if dashboard_seed else 'this bench (the dashboard seeder is not there)'}")
    scratch = None
    if args.postgres:
        admin = create_engine("postgresql+psycopg://root@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
        scratch = f"bench_reports_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = f"postgresql+psycopg://root@127.0.0.1:5432/{scratch}"
        fresh = True
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        path = CACHE / ("reports-" + "-".join(str(v) for v in params.values()) + ".db")
        fresh = not path.exists()
        # Seed into a partial file renamed when done: an interrupted seeding is never taken for a cached one.
        partial = path.with_suffix(".partial.db")
        if fresh:
            partial.unlink(missing_ok=True)
        url = f"sqlite:///{partial if fresh else path}"
    try:
        db = Database(url)
        db.migrate()
        db.dispose()
        if fresh:
            started = time.perf_counter()
            import inspect

            extra = {"seed_value": 7} if "seed_value" in inspect.signature(seeder).parameters else {}
            seeder(url, **params, **extra)
            print(f"seeded {params} in {time.perf_counter() - started:.0f} s")
            if not args.postgres:
                partial.rename(path)
                url = f"sqlite:///{path}"
        end = getattr(sys.modules.get("analytics_dashboard"), "END", END) if dashboard_seed else END
        result = time_report(url, args.rounds, end)
    finally:
        if scratch:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()
    cold = result["cold"]
    warm = result["warm"]
    median = statistics.median(w[2] for w in warm)
    print(f"backend {'postgresql' if args.postgres else 'sqlite'}; {result['period']}, busiest client: "
          f"{result['client_posts']}; {result['pages']} PDF pages")
    print(f"cold: build {cold[0]:.2f} s + pdf {cold[1]:.2f} s = {cold[2]:.2f} s")
    print(f"warm ({len(warm)} rounds): build median {statistics.median(w[0] for w in warm):.2f} s, pdf median "
          f"{statistics.median(w[1] for w in warm):.2f} s, total median {median:.2f} s, max {max(w[2] for w in warm):.2f} s")
    if median >= LIMIT_SECONDS:
        print(f"FAIL: a monthly PDF report takes {median:.2f} s (limit {LIMIT_SECONDS} s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
