"""Inbox ingest throughput: sync pages through inbox.service.ingest into the database, with de-duplication,
side by side with the plain ingest of migration 0005 (the code before the speed-ups, copied below).

Pages are what a sync hands over: ``--batch`` entries of one channel, oldest first, about 60% replies to
threads seen before, 5% repeats of entries already stored, and every 10th page sent again whole (a cursor
that went back). Each page is one unit of work (as in sync_channel). Both runs get the same pages on a
fresh database each (SQLite file, or a scratch PostgreSQL database dropped at the end), then the stored rows
of both are compared: same items, same conversations, same sentiment, same SLA clocks.

Run: .venv/bin/python bench/inbox_ingest.py [--items 50000] [--batch 200] [--postgres] [--profile]
Target (issue): 5,000 items/s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, select, text

import scratch as scratch_db  # bench/scratch.py

import socialdesk.models  # noqa: F401  (every mapper, so relationships resolve)
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.db import Database
from socialdesk.inbox import service
from socialdesk.inbox.models import Conversation, InboxItem
from socialdesk.networks.base import Author, InboxEntry

CHANNELS_PER_CLIENT = 3
CLIENTS = 5
T0 = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = ("the order shipping store weekend update team price support app account refund delivery event flavour "
         "menu size colour link video photo post thread question answer week today tomorrow again still").split()
TONE = ("love great thanks awesome happy nice good best amazing helpful bad worst terrible disappointed angry "
        "broken slow rude hate annoying not never no").split()
EMOJI = ["😍", "🙏", "😡", "👍", "🔥", "😢", ":)", ":(", "!!!", "?"]


def make_pages(items: int, batch: int, channels: list[int], seed: int) -> list[tuple[int, list[InboxEntry]]]:
    """(channel id, entries) pages, in the order a sync would hand them over."""
    rng = random.Random(seed)
    roots: dict[int, list[str]] = {c: [] for c in channels}
    stored: dict[int, list[InboxEntry]] = {c: [] for c in channels}
    counter = 0
    clock = T0
    pages: list[tuple[int, list[InboxEntry]]] = []
    made = 0
    while made < items:
        channel = channels[len(pages) % len(channels)]
        if len(pages) % 10 == 9 and pages:  # a cursor that went back: the channel's previous page again
            previous = next((p for p in reversed(pages) if p[0] == channel), None)
            if previous is not None:
                pages.append((channel, list(previous[1])))
                continue
        entries = []
        for _ in range(batch):
            if stored[channel] and rng.random() < 0.05:
                entries.append(rng.choice(stored[channel][-2000:]))  # seen before
                continue
            counter += 1
            clock += timedelta(seconds=rng.expovariate(1 / 3))
            rid = f"{channel}-{counter}"
            words = rng.choices(WORDS, k=rng.randint(4, 30)) + rng.choices(TONE, k=rng.randint(0, 3))
            rng.shuffle(words)
            body = " ".join(words).capitalize() + (rng.choice(EMOJI) if rng.random() < 0.3 else "")
            thread = roots[channel] and rng.random() < 0.6
            root = rng.choice(roots[channel][-500:]) if thread else None
            if not thread:
                roots[channel].append(rid)
            who = rng.randrange(5000)
            entry = InboxEntry(remote_id=rid, kind="reply" if root else "mention",
                               author=Author(remote_id=f"u{who}", handle=f"user{who}@example.com",
                                             display_name=f"User {who}",
                                             followers=rng.choices([40, 800, 4000, 60000], [60, 30, 9, 1])[0]),
                               text=body, created_at=clock, url=f"https://example.com/{rid}", in_reply_to=root,
                               thread_root=root, lang="en")
            entries.append(entry)
            stored[channel].append(entry)
            made += 1
            if made >= items:
                break
        pages.append((channel, entries))
    return pages


# --- the plain ingest (0005), for the side-by-side baseline ---------------------------------------


def plain_ingest(*, session, channel, entries) -> int:
    """inbox.service.ingest as it was before the speed-ups (VADER called as the library ships it)."""
    from socialdesk.inbox import sla
    from socialdesk.inbox.schemas import Status
    from socialdesk.inbox.sentiment import label_for
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = plain_ingest.__dict__.setdefault("analyzer", SentimentIntensityAnalyzer())

    def score(value):
        if not value or not value.strip():
            return 0.0, "neutral"
        compound = float(analyzer.polarity_scores(value[:2000])["compound"])
        return compound, label_for(compound)

    def clip(value, size):
        return (value or "")[:size]

    if not entries:
        return 0
    ids = list({e.remote_id for e in entries})
    seen = set()
    for start in range(0, len(ids), 500):
        seen |= set(session.scalars(select(InboxItem.remote_id).where(
            InboxItem.channel_id == channel.id, InboxItem.remote_id.in_(ids[start:start + 500]))))
    fresh = {}
    for entry in entries:
        if entry.remote_id not in seen and entry.remote_id not in fresh:
            fresh[entry.remote_id] = entry
    if not fresh:
        return 0
    roots = {e.thread_root or e.in_reply_to or e.remote_id for e in fresh.values()}
    conversations = {c.root_remote_id: c for c in session.scalars(select(Conversation).where(
        Conversation.channel_id == channel.id, Conversation.root_remote_id.in_(list(roots))))}
    rules = sla.settings_for(session, channel.client_id)
    for entry in sorted(fresh.values(), key=lambda e: e.created_at):
        root = entry.thread_root or entry.in_reply_to or entry.remote_id
        author = entry.author
        conversation = conversations.get(root)
        if conversation is None:
            conversation = conversations[root] = Conversation(
                client_id=channel.client_id, channel_id=channel.id, network=channel.network, root_remote_id=root[:300],
                status=Status.NEW, tags=[], tag_mask=0, first_item_at=entry.created_at,
                last_activity_at=entry.created_at, item_count=0, author_remote_id=clip(author.remote_id, 300),
                author_handle=clip(author.handle, 320), urgent=False, escalation_level=0, breached=False)
            session.add(conversation)
        elif conversation.status in (Status.DONE, Status.WAITING):
            conversation.status = Status.OPEN
        conversation.item_count += 1
        newest = entry.created_at >= conversation.last_activity_at
        conversation.last_activity_at = max(conversation.last_activity_at, entry.created_at)
        compound, label = score(entry.text)
        if newest or conversation.sentiment is None:
            conversation.sentiment = label
        sla.start_clock(session, conversation, at=entry.created_at, rules=rules)
        session.add(InboxItem(
            client_id=channel.client_id, channel_id=channel.id, conversation=conversation,
            remote_id=entry.remote_id[:300], kind=entry.kind, author_remote_id=clip(author.remote_id, 300),
            author_handle=clip(author.handle, 320), author_name=clip(author.display_name, 300),
            author_url=clip(author.url, 1000), author_followers=author.followers, text=clip(entry.text, 20_000),
            url=clip(entry.url, 1000), in_reply_to=(entry.in_reply_to or None) and entry.in_reply_to[:300],
            lang=clip(entry.lang, 20) or None, sentiment_score=compound, sentiment=label,
            extra=dict(entry.extra or {}), created_at=entry.created_at))
    session.flush()
    return len(fresh)


# --- runs -------------------------------------------------------------------------------------


def prepare(url: str, revision: str) -> tuple[Database, list[int]]:
    from socialdesk.migrations.runner import upgrade

    database = Database(url)
    upgrade(database.engine, revision)
    if revision != "head":  # columns mapped since (nullable or defaulted) so the ORM can load the rows
        with database.engine.begin() as conn:
            for table in (Conversation.__table__, InboxItem.__table__):
                have = {c["name"] for c in inspect(conn).get_columns(table.name)}
                for column in table.columns:
                    if column.name not in have:
                        kind = column.type.compile(dialect=conn.dialect)
                        conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind} DEFAULT FALSE"
                                          if kind.upper().startswith("BOOL") else
                                          f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
    with database.session() as session:
        conn = session.connection()
        conn.execute(Client.__table__.insert(), [{"name": f"Client {i}", "name_key": f"client {i}"}
                                                 for i in range(CLIENTS)])
        client_ids = list(session.scalars(select(Client.id).order_by(Client.id)))
        conn.execute(Channel.__table__.insert(), [
            {"client_id": c, "network": ["mastodon", "bluesky", "x"][k], "handle": f"h{c}{k}",
             "base_url": "https://example.com", "status": "ok"} for c in client_ids for k in range(CHANNELS_PER_CLIENT)])
        channels = list(session.scalars(select(Channel.id).order_by(Channel.id)))
    return database, channels


def ingest_pages(database: Database, pages, *, plain: bool) -> int:
    """Hand the pages to the ingest, one unit of work each; returns the new items."""
    ingest = plain_ingest if plain else service.ingest
    new = 0
    for number, (channel_id, entries) in enumerate(pages):
        if number == len(pages) // 10 and database.engine.dialect.name == "postgresql":
            # What autovacuum does once a table has grown by a tenth (within its minute of naptime): the
            # tables grow here from nothing in seconds, and a planner that believes a table is empty
            # scans a channel's rows for each de-duplication lookup. The time it takes is counted.
            with database.engine.connect() as conn:
                conn.execute(text("ANALYZE inbox_items"))
                conn.execute(text("ANALYZE inbox_conversations"))
                conn.commit()
        with database.session(write=True) as session:
            channel = session.get(Channel, channel_id)
            if not plain:
                service.cursor_guarded(session)  # as sync_channel does: the cursor commits with the items
            new += ingest(session=session, channel=channel, entries=entries)
    return new


def run(url: str, pages, *, plain: bool, profile: bool, processes: int = 1) -> dict:
    database, _ = prepare(url, "0005" if plain else "head")
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    if processes == 1:
        new = ingest_pages(database, pages, plain=plain)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    else:
        # As several `socialdesk worker` processes sync: each channel's pages in one process, in order.
        database.engine.dispose()
        channels = sorted({c for c, _ in pages})
        share = {c: k % processes for k, c in enumerate(channels)}

        def work(db, mine):
            try:
                return ingest_pages(db, mine, plain=plain)
            finally:
                db.dispose()

        elapsed, cpu, counts = scratch_db.in_processes(
            lambda: Database(url), work, [[p for p in pages if share[p[0]] == k] for k in range(processes)])
        new = sum(counts)
    if profiler:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)
        print(out.getvalue())
    with database.engine.connect() as conn:
        items = conn.execute(select(InboxItem.channel_id, InboxItem.remote_id, Conversation.root_remote_id,
                                    InboxItem.sentiment_score, InboxItem.sentiment, InboxItem.created_at,
                                    InboxItem.author_handle, InboxItem.text)
                             .join(Conversation, Conversation.id == InboxItem.conversation_id)
                             .order_by(InboxItem.channel_id, InboxItem.remote_id)).all()
        conversations = conn.execute(select(Conversation.channel_id, Conversation.root_remote_id, Conversation.status,
                                            Conversation.item_count, Conversation.first_item_at,
                                            Conversation.last_activity_at, Conversation.sentiment,
                                            Conversation.awaiting_since, Conversation.due_at, Conversation.breach_at,
                                            Conversation.author_remote_id)
                                     .order_by(Conversation.channel_id, Conversation.root_remote_id)).all()
    database.dispose()
    entries = sum(len(e) for _, e in pages)
    return {"new": new, "entries": entries, "seconds": elapsed, "items_per_s": new / elapsed,
            "entries_per_s": entries / elapsed, "cpu": cpu, "rows": (items, conversations)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=200, help="entries per sync page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (SOCIALDESK_TEST_POSTGRES_URL) not SQLite")
    parser.add_argument("--only", choices=["plain", "fast"], help="run one side only")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each run")
    parser.add_argument("--processes", type=int, default=1,
                        help="fast side: this many processes, each syncing its share of the channels (as several "
                             "`socialdesk worker` processes do); on SQLite their units of work take turns")
    args = parser.parse_args()

    database, channels = prepare("sqlite://", "head")  # the ids a fresh database gives its channels
    database.dispose()
    pages = make_pages(args.items, args.batch, channels, args.seed)
    load_before = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side in ("plain", "fast"):
            if args.only and args.only != side:
                continue
            url, handle = scratch_db.scratch(args.postgres, Path(tmp), side, "bench_inbox")
            try:
                results[side] = run(url, pages, plain=side == "plain", profile=args.profile,
                                    processes=1 if side == "plain" else args.processes)
            finally:
                scratch_db.drop(handle)
            r = results[side]
            print(f"  {side:5} {r['new']} new of {r['entries']} entries in {r['seconds']:.1f} s", flush=True)
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\ninbox.service.ingest, {len(pages)} pages of up to {args.batch} entries over {len(channels)} channels, "
          f"{store}, one unit of work per page, {args.processes} process(es) for fast, {os.cpu_count()} cores (load average {load_before:.1f} at start, "
          f"{os.getloadavg()[0]:.1f} at end)")
    print(f"{'':6} {'new items':>10} {'entries':>8} {'seconds':>8} {'items/s':>8} {'entries/s':>10} "
          f"{'CPU s':>6} {'items/CPU s':>12}")
    for side, r in results.items():
        print(f"{side:6} {r['new']:>10} {r['entries']:>8} {r['seconds']:>8.2f} {r['items_per_s']:>8.0f} "
              f"{r['entries_per_s']:>10.0f} {r['cpu']:>6.2f} {r['new'] / r['cpu']:>12.0f}")
    print("(CPU s: this process and its workers; on PostgreSQL the server's work is not in it)")
    if len(results) == 2:
        same = results["plain"]["rows"] == results["fast"]["rows"]
        print(f"same stored rows (items, conversations, sentiment, SLA clocks): {'yes' if same else 'NO'}")
    if "fast" in results:
        rate = results["fast"]["items_per_s"]
        print(f"target: 5,000 items/s: {rate:.0f} -> {'met' if rate >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
