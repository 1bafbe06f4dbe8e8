"""Listening ingest throughput: batches of public posts through listening.service.ingest into the database
(matching against 10,000 stored queries, sentiment, language, exact-repeat and near-duplicate handling,
bulk inserts), side by side with a plain ORM-per-row ingest doing the same work, on SQLite or PostgreSQL.

Queries and posts come from bench/listening_match.py's seeded world (10 queries per client over the four
topics; its few NOT-only queries, which match nearly every post, are left out). The stream is composed so
that ``--share`` of the posts match at least one query (a firehose is mostly noise); about 10% of the
matching posts are retweets of an earlier one ("RT @author: ..."), 3% of all posts are exact repeats of
an earlier post (same source and remote id), 5% carry no language (lingua decides, before matching
when a candidate query's lang: filter changes its answer, else only for the posts stored). Batches of
``--batch`` posts, one unit of work each, as an ingester would hand them over: prepared (matched and
scored) in a read transaction, then stored in a write transaction, as the firehose consumer does.
``--processes N`` adds a run with the sources shared out among N forked processes (one ingester per
source in several `socialdesk worker` processes); its wall-clock time starts once every process is
ready, and its mentions and matches must equal the one-process run's. Storage alone: every batch prepared
first (untimed), then only the write transactions timed, in one process and in ``--processes``.

Printed per run: incoming posts/s and stored mentions/s (wall and per CPU-second of this process; the
machine is shared, so the load average is printed too), the time matching alone takes on the same
stream (the Matcher, measured separately), and what is left for storage. Both runs start from a fresh
database with the same queries; their stored mentions, matches, duplicates and copy counts must agree.

Run: .venv/bin/python bench/listening_ingest.py [--posts 20000] [--plain-posts 4000] [--share 0.25]
     [--batch 1000] [--queries 10000] [--postgres] [--profile] [--processes N]
Target (issue): 10,000 mentions/s with de-duplication.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Task queues (crisis detection is queued after each batch) go to a throwaway data folder.
if "SOCIALDESK_DATA_DIR" not in os.environ:
    os.environ["SOCIALDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-listening-")
    atexit.register(shutil.rmtree, os.environ["SOCIALDESK_DATA_DIR"], True)
import listening_match as world_gen  # noqa: E402
import scratch as scratch_db  # noqa: E402

import socialdesk.models  # noqa: E402,F401  (every mapper)
from socialdesk.clients.models import Client  # noqa: E402
from socialdesk.db import Database  # noqa: E402
from socialdesk.inbox import sentiment as sentiment_model  # noqa: E402
from socialdesk.listening import dedup, language  # noqa: E402
from socialdesk.listening import service as listening  # noqa: E402
from socialdesk.listening.matcher import Matcher, field_values  # noqa: E402
from socialdesk.listening.mention import Mention as Post  # noqa: E402
from socialdesk.listening.models import ListeningQuery, ListeningState, Mention, MentionMatch  # noqa: E402
from socialdesk.listening.query import parse  # noqa: E402
from socialdesk.listening.service import IncomingMention  # noqa: E402

T0 = datetime(2026, 11, 2, tzinfo=UTC)


# -- the stream ------------------------------------------------------------------------------------

def make_queries(world, count: int) -> list[tuple[int, str, str]]:
    """(client index, topic, text), without the NOT-only queries that match nearly everything."""
    out = []
    for i, (topic, query) in enumerate(world_gen.queries(world, count)):
        if not query.startswith("NOT "):
            out.append((i // 10, topic, query))
    return out


def make_stream(world, queries, posts: int, share: float, seed: int) -> list[IncomingMention]:
    rng = random.Random(seed)
    matcher = Matcher((i, q) for i, (_, _, q) in enumerate(queries))
    matched, unmatched = [], []
    while len(matched) < posts * share or len(unmatched) < posts * (1 - share):
        for post in world_gen.posts(world, 5_000):
            (matched if matcher.match(post) else unmatched).append(post)
    picked = rng.sample(matched, int(posts * share)) + rng.sample(unmatched, posts - int(posts * share))
    rng.shuffle(picked)
    out: list[IncomingMention] = []
    earlier_matched: list[IncomingMention] = []
    for n, post in enumerate(picked):
        at = T0 + timedelta(milliseconds=10 * n)
        if out and rng.random() < 0.03:  # an exact repeat of an earlier post
            out.append(rng.choice(out[-5_000:]))
            continue
        text_, author = post.text, post.author
        if earlier_matched and post in matched and rng.random() < 0.10:
            original = rng.choice(earlier_matched[-2_000:])
            text_ = f"RT @{original.author_handle}: {original.text}"
        lang = post.lang  # 5% carry none (the world's language mix)
        item = IncomingMention(remote_id=f"{post.source}:{n}", text=text_, created_at=at, source=post.source,
                               url=f"https://{post.source}.example/{n}", author_handle=author,
                               author_name=author.title(), author_followers=min(int(rng.lognormvariate(5, 2)), 2**31 - 1),
                               lang=lang or None)
        out.append(item)
        if text_ is post.text and rng.random() < share:
            earlier_matched.append(item)
    return out


# -- the plain approach: one ORM object per row, one query per check -------------------------------

def plain_ingest(session, compiled, posts, detect_first: bool) -> tuple[int, int]:
    """Same decisions as listening.service.ingest, row by row with the ORM (uncached VADER, one SELECT per
    repeat check and per client's group leader, a flush per mention). Returns (stored, duplicates)."""
    stored = duplicates = 0
    for post in posts:
        source = post.source.strip().lower()
        text_ = listening.clean(post.text)
        lang = language.clean_tag(post.lang)
        detected = False
        if lang is None and detect_first:  # some query filters on lang:
            lang = language.detect(text_)
            detected = lang is not None
        hits = compiled.matcher.match(Post(text=text_, lang=lang or "", author=post.author_handle, source=source))
        if not hits:
            continue
        if session.scalar(select(Mention.id).where(Mention.source == source, Mention.remote_id == post.remote_id)):
            continue
        if lang is None:
            lang = language.detect(text_)
            detected = lang is not None
        key = dedup.dup_key(text_, post.author_handle)
        score, label = sentiment_model.score(text_)
        mention = Mention(source=source, remote_id=post.remote_id, url=post.url, author_handle=post.author_handle,
                          author_name=post.author_name, author_followers=post.author_followers,
                          text=text_[:listening.MAX_TEXT], text_length=len(text_),
                          clipped=len(text_) > listening.MAX_TEXT, lang=lang, lang_detected=detected,
                          sentiment_score=score, sentiment=label, hashtags=[], mentions=[], dup_key=key,
                          created_at=post.created_at, ingested_at=datetime.now(UTC))
        session.add(mention)
        session.flush()
        duplicate_for = set()
        for client_id in {compiled.queries[q][0] for q in hits}:
            if key is None:
                continue
            leader = session.scalar(
                select(Mention.id).join(MentionMatch, MentionMatch.mention_id == Mention.id)
                .where(MentionMatch.client_id == client_id, Mention.dup_key == key, MentionMatch.duplicate.is_(False),
                       Mention.id != mention.id, Mention.created_at >= post.created_at - dedup.WINDOW,
                       Mention.created_at <= post.created_at + dedup.WINDOW)
                .order_by(Mention.created_at).limit(1))
            if leader is not None:
                duplicate_for.add(client_id)
                session.execute(update(MentionMatch).where(MentionMatch.mention_id == leader,
                                                           MentionMatch.client_id == client_id)
                                .values(dup_count=MentionMatch.dup_count + 1))
        for q in hits:
            client_id, topic, _ = compiled.queries[q]
            session.add(MentionMatch(mention_id=mention.id, query_id=q, client_id=client_id, topic=topic,
                                     created_at=post.created_at, duplicate=client_id in duplicate_for, dup_count=0))
        session.flush()
        stored += 1
        duplicates += bool(duplicate_for)
    return stored, duplicates


# -- running ---------------------------------------------------------------------------------------

def seed_queries(database: Database, queries) -> None:
    clients = sorted({c for c, _, _ in queries})
    with database.session() as s:
        s.add_all(Client(name=f"Bench client {c}", name_key=f"bench client {c}") for c in clients)
        s.flush()
        ids = dict(zip(clients, s.scalars(select(Client.id).order_by(Client.id)), strict=True))
        s.execute(ListeningQuery.__table__.insert(), [
            {"id": i + 1, "client_id": ids[c], "name": f"q{i}", "topic": t, "text": q, "enabled": True,
             "created_at": T0, "updated_at": T0} for i, (c, t, q) in enumerate(queries)])
        s.execute(update(ListeningState).values(queries_version=uuid.uuid4().hex))


def stored_rows(database: Database) -> dict:
    """What was stored; duplicates and copies per (mention, client), so each copy must be counted once."""
    with database.session() as s:
        pairs = s.execute(select(MentionMatch.mention_id, MentionMatch.client_id, MentionMatch.duplicate,
                                 MentionMatch.dup_count).distinct()).all()
        return {
            "mentions": s.scalar(select(func.count()).select_from(Mention)),
            "matches": s.scalar(select(func.count()).select_from(MentionMatch)),
            "duplicates (mention, client)": sum(p.duplicate for p in pairs),
            "copies counted on leaders": sum(p.dup_count for p in pairs),
            "languages detected": s.scalar(select(func.count()).select_from(Mention).where(Mention.lang_detected)),
        }


def by_source(stream, processes: int) -> list[list[IncomingMention]]:
    """The stream shared out by source, as one ingester per source in several worker processes would take it
    (the largest sources first, each to the least loaded process; in order within a process)."""
    sizes = Counter(post.source for post in stream)
    loads, home = [0] * processes, {}
    for source, size in sizes.most_common():
        k = loads.index(min(loads))
        home[source], loads[k] = k, loads[k] + size
    return [[post for post in stream if home[post.source] == k] for k in range(processes)]


def ingest_batches(database: Database, posts, batch: int) -> tuple[int, int, float, float]:
    """(stored, duplicates, wall and CPU seconds of the write transactions: storage with de-duplication)."""
    stored = duplicates = 0
    write_wall = write_cpu = 0.0
    for offset in range(0, len(posts), batch):
        part = posts[offset:offset + batch]
        with database.session() as s:  # as the firehose consumer does: the CPU work before the write lock
            prepared = listening.prepare(session=s, source="bench", posts=part)
        wall, cpu = time.perf_counter(), time.process_time()
        with database.session(write=True) as s:
            result = listening.ingest(session=s, source="bench", posts=part, prepared=prepared)
            stored, duplicates = stored + result.stored, duplicates + result.duplicates
        write_wall, write_cpu = write_wall + time.perf_counter() - wall, write_cpu + time.process_time() - cpu
    return stored, duplicates, write_wall, write_cpu


def store_prepared(database: Database, batches) -> int:
    """Store batches prepared beforehand, one write transaction each; the mentions stored."""
    stored = 0
    for part, prepared in batches:
        with database.session(write=True) as s:
            stored += listening.ingest(session=s, source="bench", posts=part, prepared=prepared).stored
    return stored


def storage_alone(url: str, queries, stream, batch: int, processes: int) -> dict:
    """Ingestion into the database by itself: every batch is checked, matched and scored first (not timed),
    then the write transactions alone are timed (repeat look-ups, near-duplicate groups, inserts, commits),
    in ``processes`` processes storing their sources' batches side by side."""
    database = Database(url)
    database.migrate()
    seed_queries(database, queries)
    shares = by_source(stream, processes) if processes > 1 else [stream]
    prepared = []
    for share in shares:
        batches = []
        for offset in range(0, len(share), batch):
            part = share[offset:offset + batch]
            with database.session() as s:
                batches.append((part, listening.prepare(session=s, source="bench", posts=part)))
        prepared.append(batches)
    database.engine.dispose()

    def work(db, batches):
        try:
            return store_prepared(db, batches)
        finally:
            db.dispose()

    elapsed, cpu, counts = scratch_db.in_processes(lambda: Database(url), work, prepared)
    rows = stored_rows(database)
    database.dispose()
    return {"stored": sum(counts), "seconds": elapsed, "cpu": cpu, "rows": rows}


def run(side: str, url: str, queries, stream, batch: int, profile: bool, processes: int = 1) -> dict:
    database = Database(url)
    database.migrate()
    seed_queries(database, queries)
    with database.session() as s:
        started = time.perf_counter()
        compiled = listening.compiled_queries(s)
        compile_s = time.perf_counter() - started
    listening._sentiment.cache_clear()
    if processes > 1:  # each forked process has the compiled queries already, as a running worker would
        database.engine.dispose()

        def work(db, posts):
            try:
                return ingest_batches(db, posts, batch)
            finally:
                db.dispose()

        elapsed, cpu, counts = scratch_db.in_processes(lambda: Database(url), work, by_source(stream, processes))
        rows = stored_rows(database)
        database.dispose()
        return {"posts": len(stream), "stored": sum(c[0] for c in counts), "duplicates": sum(c[1] for c in counts),
                "seconds": elapsed, "cpu": cpu, "compile": compile_s, "rows": rows,
                "write": (sum(c[2] for c in counts), sum(c[3] for c in counts))}
    detect_first = any(field_values(parse(q), "lang") for _, _, q in queries)
    profiler = cProfile.Profile() if profile else None
    stored = duplicates = 0
    write = None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if side == "fast":
        stored, duplicates, *write = ingest_batches(database, stream, batch)
    else:  # one write transaction a batch, matching and scoring inside it
        for offset in range(0, len(stream), batch):
            with database.session(write=True) as s:
                got = plain_ingest(s, compiled, stream[offset:offset + batch], detect_first)
                stored, duplicates = stored + got[0], duplicates + got[1]
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        print(out.getvalue())
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = stored_rows(database)
    database.dispose()
    return {"posts": len(stream), "stored": stored, "duplicates": duplicates, "seconds": elapsed, "cpu": cpu,
            "compile": compile_s, "rows": rows, "write": write}


def matching_alone(queries, stream) -> tuple[float, float]:
    """Seconds (wall, CPU) the Matcher alone takes on the stream (cleaning and documents included)."""
    matcher = Matcher((i + 1, q) for i, (_, _, q) in enumerate(queries))
    start, cpu = time.perf_counter(), time.process_time()
    for post in stream:
        matcher.match(Post(text=listening.clean(post.text), lang=post.lang or "", author=post.author_handle,
                           source=post.source))
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000, help="posts through the fast ingest")
    parser.add_argument("--plain-posts", type=int, default=4_000, help="the first posts, through the plain ingest")
    parser.add_argument("--share", type=float, default=0.25, help="share of posts that match a query")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (SOCIALDESK_TEST_POSTGRES_URL) not SQLite")
    parser.add_argument("--profile", action="store_true", help="profile the fast run")
    parser.add_argument("--processes", type=int, default=1,
                        help="also run the fast ingest in this many processes, the sources shared out among them")
    args = parser.parse_args()
    load_start = os.getloadavg()
    world = world_gen.World(args.seed)
    queries = make_queries(world, args.queries)
    stream = make_stream(world, queries, args.posts, args.share, args.seed)
    language.detector()  # built once per process in real use too
    import socialdesk.crisis.tasks  # noqa: F401  (imported by the first ingest; not part of the rate)
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{len(queries):,} queries of {len({c for c, _, _ in queries}):,} clients; {len(stream):,} posts "
          f"({args.share:.0%} matching), batches of {args.batch}, {store}; {os.cpu_count()} cores, load average "
          f"{load_start[0]:.1f} / {load_start[1]:.1f} / {load_start[2]:.1f} at start")
    match_wall, match_cpu = matching_alone(queries, stream)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sides = [("fast", stream, 1), ("plain", stream[:args.plain_posts], 1)]
        if args.processes > 1:
            sides.insert(1, (f"fast, {args.processes} processes", stream, args.processes))
        for side, posts, processes in sides:
            url, handle = scratch_db.scratch(args.postgres, Path(tmp), side.replace(", ", "_").replace(" ", "_"),
                                             "bench_listening")
            try:
                results[side] = run(side.partition(",")[0], url, queries, posts, args.batch,
                                    args.profile and side == "fast", processes)
            finally:
                scratch_db.drop(handle)
    storage = {}
    with tempfile.TemporaryDirectory() as tmp:
        for processes in sorted({1, args.processes}):
            url, handle = scratch_db.scratch(args.postgres, Path(tmp), f"storage_{processes}", "bench_listening")
            try:
                storage[processes] = storage_alone(url, queries, stream, args.batch, processes)
            finally:
                scratch_db.drop(handle)
    check = {}
    with tempfile.TemporaryDirectory() as tmp:  # the fast ingest on the plain run's posts, to compare rows
        url, handle = scratch_db.scratch(args.postgres, Path(tmp), "check", "bench_listening")
        try:
            check = run("fast", url, queries, stream[:args.plain_posts], args.batch, False)["rows"]
        finally:
            scratch_db.drop(handle)
    load_end = os.getloadavg()
    print(f"load average {load_end[0]:.1f} / {load_end[1]:.1f} / {load_end[2]:.1f} at end\n")
    print(f"matching alone ({len(stream):,} posts): {len(stream) / match_wall:,.0f} posts/s wall, "
          f"{len(stream) / match_cpu:,.0f} per CPU-second")
    print("\n| run | posts | stored | posts/s (wall) | per CPU s | mentions stored/s (wall) | per CPU s | "
          "without matching, posts per CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for side, r in results.items():
        share_match = match_cpu * r["posts"] / len(stream)
        rest = max(r["cpu"] - share_match, 1e-9)
        print(f"| {side} | {r['posts']:,} | {r['stored']:,} | {r['posts'] / r['seconds']:,.0f} | "
              f"{r['posts'] / r['cpu']:,.0f} | {r['stored'] / r['seconds']:,.0f} | {r['stored'] / r['cpu']:,.0f} | "
              f"{r['posts'] / rest:,.0f} |")
    print("\nwrite transactions within the fast runs (repeat look-ups, near-duplicate groups, inserts, commit; "
          "matching, language and sentiment were done before each):")
    for side, r in results.items():
        if r["write"]:
            wall, cpu = r["write"]
            print(f"  {side}: {r['stored']:,} mentions in {wall:.2f} s of write transactions "
                  f"({'summed over the processes; ' if ',' in side else ''}CPU {cpu:.2f} s): "
                  f"{r['stored'] / wall:,.0f} mentions/s, {r['stored'] / max(cpu, 1e-9):,.0f} per CPU-second")
    print("\nstorage alone (every batch prepared first, then only the write transactions timed, "
          "target 10,000 mentions/s with de-duplication):")
    for processes, r in storage.items():
        print(f"  {processes} process{'es' if processes > 1 else ''}: {r['stored']:,} mentions in "
              f"{r['seconds']:.2f} s: {r['stored'] / r['seconds']:,.0f} mentions/s "
              f"({r['stored'] / max(r['cpu'], 1e-9):,.0f} per CPU-second of the ingesting processes)")
    print(f"\nquery compile on first ingest: {results['fast']['compile']:.2f} s")
    print(f"fast rows: {results['fast']['rows']}")
    same = check == results["plain"]["rows"]
    print(f"plain rows on its {args.plain_posts:,} posts: {results['plain']['rows']}\n"
          f"fast rows on the same posts: {check} -> {'the same' if same else 'DIFFERENT'}")
    rows = results["fast"]["rows"]
    counted = rows["duplicates (mention, client)"] == rows["copies counted on leaders"]
    for processes, r in storage.items():
        stored_same = all(r["rows"][k] == rows[k] for k in ("mentions", "matches"))
        print(f"storage alone, {processes} process(es): mentions and matches "
              f"{'the same as the fast run' if stored_same else 'DIFFERENT from the fast run'}")
        same = same and stored_same
    print(f"every duplicate counted once on its leader: {'yes' if counted else 'NO'}")
    if args.processes > 1:
        side = f"fast, {args.processes} processes"
        parallel = results[side]["rows"]
        print(f"{side} rows: {parallel} -> mentions and matches "
              f"{'the same' if all(parallel[k] == rows[k] for k in ('mentions', 'matches')) else 'DIFFERENT'}, "
              "near-duplicate pairs "
              f"{'the same' if parallel['duplicates (mention, client)'] == rows['duplicates (mention, client)'] else 'DIFFERENT'}")
        same = same and all(parallel[k] == rows[k] for k in ("mentions", "matches"))
    if not same or not counted:
        sys.exit(1)


if __name__ == "__main__":
    main()
