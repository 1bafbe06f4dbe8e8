"""Listening: each client's queries, and the ingestion of public posts into mentions.

Ingesters (firehose, timelines, feeds, file imports) hand batches of :class:`IncomingMention` to
:func:`ingest`. Every post is matched against the enabled queries of every client at once (one compiled
:class:`~socialdesk.listening.matcher.Matcher` per database and process, brought up to date when a query
changes); only posts that match at least one query are stored, with one match row per query. An exact
repeat (same source and remote id) is not stored again; a near duplicate (socialdesk.listening.dedup) is
stored, flagged for the clients that already have its group, and counted on the group's first mention.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from socialdesk.db import utcnow
from socialdesk.inbox import sentiment as sentiment_model
from socialdesk.kit import bulk, children
from socialdesk.kit.errors import Conflict, InvalidInput
from socialdesk.listening import dedup, language
from socialdesk.listening.matcher import Matcher
from socialdesk.listening.mention import Mention as Post
from socialdesk.listening.models import ListeningQuery, ListeningSource, ListeningState, Mention, MentionMatch
from socialdesk.listening.query import Node, QuerySyntaxError, parse
from socialdesk.listening.schemas import QueryIn, QueryPatch, Sentiment, Topic

log = logging.getLogger(__name__)

MAX_TEXT = 20_000  # characters stored of a body (an article from a feed); the full length is recorded
_CHUNK = 500  # ids per IN-list
# Control characters other than tab and line breaks are dropped (PostgreSQL refuses NUL in text, terminals
# and exports choke on the rest); lone surrogates, which no encoder accepts, become U+FFFD.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean(value: str | None) -> str:
    """Text safe to store on every backend: see ``_UNSAFE``."""
    if not value:
        return ""
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(lambda m: "\ufffd" if m.group() >= "\ud800" else "", value)


# --- queries -----------------------------------------------------------------------------------


def check_query(text: str) -> Node:
    """The parsed query; InvalidInput on ``text`` saying where the problem is."""
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise InvalidInput.on("text", f"at position {exc.position}: {exc.reason}") from None


def list_queries(*, session: Session, client_id: int) -> list[ListeningQuery]:
    return list(session.scalars(select(ListeningQuery).where(ListeningQuery.client_id == client_id)
                                .order_by(ListeningQuery.topic, ListeningQuery.name, ListeningQuery.id)))


def get_query(*, session: Session, client_id: int, query_id: int) -> ListeningQuery:
    return children.get_for(session, ListeningQuery, client_id, query_id)


def _name_taken(session: Session, client_id: int, name: str, query_id: int | None) -> None:
    clash = session.scalar(select(ListeningQuery.id).where(ListeningQuery.client_id == client_id,
                                                           func.lower(ListeningQuery.name) == name.lower()))
    if clash is not None and clash != query_id:
        raise Conflict(f"name: this client already has a listening query named {name!r}; choose another name",
                       field="name")


def create_query(*, session: Session, client_id: int, data: QueryIn, user_id: int | None) -> ListeningQuery:
    check_query(data.text)
    _name_taken(session, client_id, data.name, None)
    now = utcnow()
    row = ListeningQuery(client_id=client_id, name=data.name, topic=data.topic, text=data.text, enabled=data.enabled,
                         created_by_id=user_id or None, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    _queries_changed(session)
    return row


def update_query(*, session: Session, client_id: int, query_id: int, data: QueryPatch) -> ListeningQuery:
    row = get_query(session=session, client_id=client_id, query_id=query_id)
    if data.text is not None:
        check_query(data.text)
        row.text = data.text
    if data.name is not None:
        _name_taken(session, client_id, data.name, row.id)
        row.name = data.name
    if data.topic is not None and data.topic != row.topic:
        row.topic = data.topic
        # Matches keep a copy of the topic for the dashboards' indexes.
        session.execute(update(MentionMatch).where(MentionMatch.query_id == row.id).values(topic=data.topic))
    if data.enabled is not None:
        row.enabled = data.enabled
    row.updated_at = utcnow()
    session.flush()
    _queries_changed(session)
    return row


def delete_query(*, session: Session, client_id: int, query_id: int) -> None:
    """Delete the query and its matches (mentions other queries matched stay)."""
    row = get_query(session=session, client_id=client_id, query_id=query_id)
    session.execute(delete(MentionMatch).where(MentionMatch.query_id == row.id))
    session.delete(row)
    session.flush()
    _queries_changed(session)


def _queries_changed(session: Session) -> None:
    version = uuid.uuid4().hex
    done = session.execute(update(ListeningState).where(ListeningState.id == 1).values(queries_version=version))
    if not done.rowcount:
        session.add(ListeningState(id=1, queries_version=version))
        session.flush()


# --- the compiled matcher, one per database and process -----------------------------------------


class CompiledQueries:
    """Every enabled query of one database in one Matcher, and what each query id stands for.

    ``refresh`` brings it to the stored version by adding, replacing and removing only the queries that
    changed. Hold ``lock`` while matching: a refresh by another thread changes the matcher in place.
    """

    def __init__(self):
        self.version: str | None = None
        self.matcher = Matcher()
        self.queries: dict[int, tuple[int, str, str]] = {}  # id -> (client id, topic, text)
        self.lock = threading.Lock()

    def refresh(self, session: Session, version: str) -> None:
        rows = session.execute(select(ListeningQuery.id, ListeningQuery.client_id, ListeningQuery.topic,
                                      ListeningQuery.text).where(ListeningQuery.enabled.is_(True))).all()
        wanted = {r.id: (r.client_id, r.topic, r.text) for r in rows}
        with self.lock:
            for query_id in [q for q in self.queries if q not in wanted]:
                self.matcher.remove(query_id)
            kept: dict[int, tuple[int, str, str]] = {}
            for query_id, (client_id, topic, text) in wanted.items():
                old = self.queries.get(query_id)
                if old is None or old[2] != text:
                    try:
                        self.matcher.add(query_id, text)
                    except QuerySyntaxError as exc:  # stored before the grammar changed: skipped, and said
                        log.warning("listening query %s is not valid any more and is skipped: %s", query_id, exc)
                        self.matcher.remove(query_id)
                        continue
                kept[query_id] = (client_id, topic, text)
            self.queries = kept
            self.version = version


_compiled: dict[str, CompiledQueries] = {}
_compiled_lock = threading.Lock()


def compiled_queries(session: Session) -> CompiledQueries:
    """This database's compiled queries, refreshed when any query changed since they were compiled."""
    version = session.scalar(select(ListeningState.queries_version).where(ListeningState.id == 1)) or ""
    key = session.get_bind().url.render_as_string(hide_password=True)
    with _compiled_lock:
        compiled = _compiled.setdefault(key, CompiledQueries())
    if compiled.version != version:
        with _compiled_lock:  # one thread compiles; the others then find it current
            if compiled.version != version:
                compiled.refresh(session, version)
    return compiled


# --- ingestion ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMention:
    """A public post as an ingester hands it over. ``remote_id`` is unique within the source; ``source``
    defaults to the batch's; ``lang`` (any tag, ``en`` or ``pt-BR``) is trusted when given."""

    remote_id: str
    text: str
    created_at: datetime
    source: str = ""
    url: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    lang: str | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()


STORED, DUPLICATE, REPEAT, UNMATCHED, REJECTED = "stored", "duplicate", "repeat", "unmatched", "rejected"


@dataclass
class IngestResult:
    """What one batch came to. ``outcomes`` has one entry per post, in order: stored, duplicate (stored, a
    near duplicate for some client), repeat, unmatched (not stored) or rejected (``rejected`` says why)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0  # of the stored
    repeats: int = 0
    unmatched: int = 0
    matches: int = 0  # match rows added (a repeat can gain matches of queries written since)
    clipped: int = 0
    rejected: list[str] = field(default_factory=list)
    per_client: dict[int, int] = field(default_factory=dict)  # mentions newly matched per client
    outcomes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line for a source's ``last_report``."""
        parts = [f"{self.received} received", f"{self.stored} stored ({self.duplicates} near duplicates)",
                 f"{self.repeats} repeats skipped", f"{self.unmatched} matched no query"]
        if self.clipped:
            parts.append(f"{self.clipped} clipped to {MAX_TEXT:,} characters")
        if self.rejected:
            parts.append(f"{len(self.rejected)} refused: " + "; ".join(self.rejected[:3])
                         + ("; ..." if len(self.rejected) > 3 else ""))
        return ", ".join(parts)


@dataclass(slots=True)
class _Candidate:
    index: int
    post: IncomingMention
    source: str
    remote_id: str
    text: str
    lang: str | None
    detected: bool
    hits: list[tuple[int, int, str]]  # (query id, client id, topic)
    lang_tried: bool = False  # lingua was asked at matching (its answer, if any, is in lang)
    mention_id: int | None = None
    dup_key: int | None = None
    score: float = 0.0
    label: str = ""
    duplicate_for: set[int] = field(default_factory=set)  # clients that already have its group
    leads: dict[int, int] = field(default_factory=dict)  # client -> copies counted on it in this batch


@lru_cache(maxsize=20_000)
def _sentiment(text: str) -> tuple[float, str]:
    # Retweets and copies repeat the same text: VADER is the largest cost of a stored mention.
    return sentiment_model.score(text)


def _problem(post: IncomingMention) -> str | None:
    if not isinstance(post.remote_id, str) or not post.remote_id.strip():
        return "remote_id is missing"
    if len(post.remote_id) > 300:
        return "remote_id is longer than 300 characters"
    if not isinstance(post.text, str):
        return "text is not text"
    if not isinstance(post.created_at, datetime) or post.created_at.tzinfo is None:
        return "created_at needs a date and time with a time zone"
    for name in ("source", "url", "author_handle", "author_name", "lang"):
        if not isinstance(getattr(post, name), str | None):
            return f"{name} is not text"
    for name in ("hashtags", "mentions"):
        if not isinstance(getattr(post, name), tuple | list) or not all(isinstance(v, str) for v in getattr(post, name)):
            return f"{name} must be a list of texts"
    if post.author_followers is not None and (not isinstance(post.author_followers, int)
                                              or not 0 <= post.author_followers < 2**31):
        return "author_followers must be a whole number from 0"
    return None


@dataclass
class Prepared:
    """A batch checked, matched and scored: what ``ingest`` stores."""

    result: IngestResult
    candidates: list[_Candidate]


def prepare(*, session: Session, source: str, posts: Sequence[IncomingMention],
            client_ids: Collection[int] | None = None) -> Prepared:
    """The work of ``ingest`` that writes nothing: checks, matching, language, sentiment, duplicate keys.
    It reads only the queries, so an ingester runs it before its write transaction (on SQLite, several
    processes then match side by side and take turns only to store)."""
    result = IngestResult(received=len(posts), outcomes=[""] * len(posts))
    batch_source = clean(source).strip().lower()[:40]
    candidates = _match(session, result, batch_source, posts, None if client_ids is None else set(client_ids))
    for c in candidates:
        if c.lang is None and not c.lang_tried:  # lingua said nothing at matching: it would not say more now
            c.lang = language.detect(c.text)
            c.detected = c.lang is not None
        c.score, c.label = _sentiment(c.text[:sentiment_model.MAX_SCORED])
        c.dup_key = dedup.dup_key(c.text, c.post.author_handle)
    return Prepared(result, candidates)


def ingest(*, session: Session, source: str, posts: Sequence[IncomingMention],
           client_ids: Collection[int] | None = None, prepared: Prepared | None = None) -> IngestResult:
    """Match the posts against every client's enabled queries (only ``client_ids``' when given) and store
    those that match at least one, with their matches. Posts that match nothing are not stored.
    ``prepared``: what ``prepare`` gave for these posts, when it ran before the write transaction."""
    if prepared is None:
        prepared = prepare(session=session, source=source, posts=posts, client_ids=client_ids)
    result, candidates = prepared.result, prepared.candidates
    if not candidates:
        return result
    with bulk.custom_plans(session):
        fresh = _attach_existing(session, result, candidates)
        if not fresh:
            return result
        _lock_groups(session, fresh)
        bumps = _group_duplicates(session, fresh)
    _store(session, result, fresh, bumps)
    from socialdesk.crisis import tasks as crisis_tasks  # crisis detection reads these tables

    crisis_tasks.after_ingest(session, result.per_client)  # runs once this batch commits
    return result


def _match(session: Session, result: IngestResult, batch_source: str, posts: Sequence[IncomingMention],
           only: set[int] | None) -> list[_Candidate]:
    compiled = compiled_queries(session)
    seen: set[tuple[str, str]] = set()
    out: list[_Candidate] = []
    with compiled.lock:
        queries, matcher = compiled.queries, compiled.matcher
        for index, post in enumerate(posts):
            problem = _problem(post)
            if problem is not None:
                result.rejected.append(f"post {index + 1}" + (f" ({post.remote_id[:80]!r})" if isinstance(
                    post.remote_id, str) and post.remote_id.strip() else "") + f": {problem}")
                result.outcomes[index] = REJECTED
                continue
            post_source = clean(post.source).strip().lower()[:40] or batch_source
            remote_id = clean(post.remote_id).strip()
            if (post_source, remote_id) in seen:
                result.repeats += 1
                result.outcomes[index] = REPEAT
                continue
            seen.add((post_source, remote_id))
            text = clean(post.text)
            lang, detected = language.clean_tag(post.lang), False
            # A post without a language gets one here only when a query's answer depends on it (lingua is
            # the dearest step of a post); a stored mention gets one anyway.
            tried: list[bool] = []
            hits, matched_lang = matcher.match_detecting(
                Post(text=text, lang=lang or "", author=clean(post.author_handle), source=post_source,
                     hashtags=tuple(map(clean, post.hashtags)), mentions=tuple(map(clean, post.mentions))),
                lambda: tried.append(True) or language.detect(text))
            if lang is None and matched_lang:
                lang, detected = matched_lang, True
            found = [(q, *queries[q][:2]) for q in hits if only is None or queries[q][0] in only]
            if not found:
                result.unmatched += 1
                result.outcomes[index] = UNMATCHED
                continue
            out.append(_Candidate(index, post, post_source, remote_id, text, lang, detected, found,
                                  lang_tried=bool(tried)))
    return out


def _attach_existing(session: Session, result: IngestResult, candidates: list[_Candidate]) -> list[_Candidate]:
    """Give repeats their stored mention id and keep only the matches they lack (queries written since)."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        by_source[c.source].append(c.remote_id)
    existing: dict[tuple[str, str], int] = {}
    for src, ids in by_source.items():
        for start in range(0, len(ids), _CHUNK):
            for mention_id, remote_id in session.execute(select(Mention.id, Mention.remote_id).where(
                    Mention.source == src, bulk.any_of(session, Mention.remote_id, ids[start:start + _CHUNK]))):
                existing[(src, remote_id)] = mention_id
    if not existing:
        return candidates
    have: set[tuple[int, int]] = set()
    mention_ids = list(existing.values())
    for start in range(0, len(mention_ids), _CHUNK):
        have.update((m, q) for m, q in session.execute(select(MentionMatch.mention_id, MentionMatch.query_id).where(
            bulk.any_of(session, MentionMatch.mention_id, mention_ids[start:start + _CHUNK]))))
    out = []
    for c in candidates:
        c.mention_id = existing.get((c.source, c.remote_id))
        if c.mention_id is None:
            out.append(c)
            continue
        result.repeats += 1
        result.outcomes[c.index] = REPEAT
        c.hits = [h for h in c.hits if (c.mention_id, h[0]) not in have]
        if c.hits:
            out.append(c)
    return out


# PostgreSQL advisory locks of the near-duplicate groups (see _lock_groups): one lock stands for the whole store.
_WHOLE_STORE_LOCK = 0x5D_11_57E4_0000_0001
# Keys one transaction takes one by one. A transaction that stores many batches (an import in one unit of
# work) would otherwise hold thousands, and PostgreSQL's shared lock table (max_locks_per_transaction x
# connections, 6,400 by default) runs out ("out of shared memory").
KEY_LOCK_BUDGET = 2000
_WHOLE = object()


def hold_whole_store(session: Session) -> None:
    """PostgreSQL: hold every near-duplicate group until this transaction ends: one lock however many batches
    the transaction stores (an import). Other ingests store their batches before it or after it commits.
    Take it before the transaction stores anything (taken later it waits for the other ingests to finish)."""
    if bulk.on_postgresql(session) and _held_keys(session) is not _WHOLE:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WHOLE_STORE_LOCK})
        session.info["listening_locks"] = (session.get_transaction(), _WHOLE)


def _held_keys(session: Session):
    """The group keys this transaction holds one by one (a set), or _WHOLE."""
    session.connection()  # the transaction has begun
    transaction, held = session.info.get("listening_locks", (None, None))
    if transaction is not session.get_transaction():  # set by an earlier transaction: ended, its locks gone
        held = set()
        session.info["listening_locks"] = (session.get_transaction(), held)
    return held


def _lock_groups(session: Session, candidates: list[_Candidate]) -> None:
    """PostgreSQL: hold the batch's near-duplicate keys until it commits, taken in key order.

    Two ingesters storing a post and its copy at the same time would each look for the group's leader
    before the other had committed, and both lead a group. With the key held, the second one's look-up
    waits and then sees the first one's leader. (SQLite's writers take turns: nothing to do.) Held
    before any row lock and in one order, the keys add no deadlock.

    Each transaction also holds the whole-store lock shared, so one that holds it exclusively (an import,
    or a transaction past KEY_LOCK_BUDGET keys) needs no key lock at all."""
    if not bulk.on_postgresql(session):
        return
    keys = sorted({c.dup_key for c in candidates if c.dup_key is not None})
    held = _held_keys(session)
    if not keys or held is _WHOLE:
        return
    if len(held) + len(keys) > KEY_LOCK_BUDGET:
        hold_whole_store(session)
        return
    if not held:
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _WHOLE_STORE_LOCK})
    session.execute(text("SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM unnest(CAST(:keys AS bigint[])) "
                         "AS u(k) ORDER BY k) AS ordered"), {"keys": keys})
    held.update(keys)


def _group_duplicates(session: Session, candidates: list[_Candidate]) -> dict[tuple[int, int], int]:
    """Mark each candidate a duplicate for the clients that have its group within the window, else a leader
    for them. Returns the copies to add to stored leaders: (mention id, client id) -> count."""
    bumps: dict[tuple[int, int], int] = defaultdict(int)
    keys = list({c.dup_key for c in candidates if c.dup_key is not None})
    if not keys:
        return bumps
    # (client, key) -> [(created_at, stored mention id or the leading candidate)]
    leaders: dict[tuple[int, int], list[tuple[datetime, int | _Candidate]]] = defaultdict(list)
    low = min(c.post.created_at for c in candidates) - dedup.WINDOW
    high = max(c.post.created_at for c in candidates) + dedup.WINDOW
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(MentionMatch.client_id, Mention.dup_key, Mention.id, Mention.created_at).distinct()
            .join(MentionMatch, MentionMatch.mention_id == Mention.id)
            .where(bulk.any_of(session, Mention.dup_key, keys[start:start + _CHUNK]), Mention.created_at >= low,
                   Mention.created_at <= high, MentionMatch.duplicate.is_(False)))
        for client_id, key, mention_id, created_at in rows:
            leaders[(client_id, key)].append((created_at, mention_id))
    for group in leaders.values():
        group.sort(key=lambda entry: entry[0])
    for c in sorted(candidates, key=lambda c: c.post.created_at):
        if c.dup_key is None:
            continue
        at = c.post.created_at
        for client_id in {h[1] for h in c.hits}:
            group = leaders[(client_id, c.dup_key)]
            leader = next((ref for when, ref in group if abs(when - at) <= dedup.WINDOW and ref != c.mention_id),
                          None)
            if leader is None:
                group.append((at, c))
                group.sort(key=lambda entry: entry[0])
                continue
            c.duplicate_for.add(client_id)
            if isinstance(leader, _Candidate):
                leader.leads[client_id] = leader.leads.get(client_id, 0) + 1
            else:
                bumps[(leader, client_id)] += 1
    return bumps


def _store(session: Session, result: IngestResult, candidates: list[_Candidate],
           bumps: dict[tuple[int, int], int]) -> None:
    ingested_at = utcnow()
    new = [c for c in candidates if c.mention_id is None]
    rows = []
    for c in new:
        post = c.post
        clipped = len(c.text) > MAX_TEXT
        result.clipped += clipped
        rows.append({
            "source": c.source, "remote_id": c.remote_id, "url": clean(post.url)[:1000],
            "author_handle": clean(post.author_handle)[:320], "author_name": clean(post.author_name)[:300],
            "author_followers": post.author_followers, "text": c.text[:MAX_TEXT], "text_length": len(c.text),
            "clipped": clipped, "lang": c.lang, "lang_detected": c.detected, "sentiment_score": c.score,
            "sentiment": c.label, "hashtags": [clean(t)[:100] for t in post.hashtags[:50]],
            "mentions": [clean(m)[:320] for m in post.mentions[:50]], "dup_key": c.dup_key,
            "created_at": post.created_at, "ingested_at": ingested_at,
        })
    if rows:
        ids = bulk.insert_rows(session, Mention.__table__, rows, returning=("id", "source", "remote_id"),
                               skip_conflicts=True)
        ids = {(src, rid): mid for mid, src, rid in ids}
        for c in new:
            c.mention_id = ids.get((c.source, c.remote_id))
            if c.mention_id is None:  # stored meanwhile by a concurrent ingest of the same source
                result.repeats += 1
                result.outcomes[c.index] = REPEAT
    match_rows = []
    for c in candidates:
        if c.mention_id is None:
            continue
        is_new = not result.outcomes[c.index]  # repeats were marked when their stored id was found
        for query_id, client_id, topic in c.hits:
            match_rows.append({"mention_id": c.mention_id, "query_id": query_id, "client_id": client_id,
                               "topic": topic, "created_at": c.post.created_at,
                               "duplicate": client_id in c.duplicate_for, "dup_count": c.leads.get(client_id, 0)})
        for client_id in {h[1] for h in c.hits}:
            result.per_client[client_id] = result.per_client.get(client_id, 0) + 1
        if is_new:
            result.stored += 1
            result.duplicates += bool(c.duplicate_for)
            result.outcomes[c.index] = DUPLICATE if c.duplicate_for else STORED
    if match_rows:
        bulk.insert_rows(session, MentionMatch.__table__, match_rows, skip_conflicts=True)
        result.matches += len(match_rows)
    if bumps:  # in key order: two ingests bumping the same leaders lock them in the same order (no deadlock)
        table = MentionMatch.__table__
        session.execute(update(table).where(table.c.mention_id == bindparam("m"), table.c.client_id == bindparam("c"))
                        .values(dup_count=table.c.dup_count + bindparam("n")),
                        [{"m": m, "c": c, "n": n} for (m, c), n in sorted(bumps.items())])


# --- reading -----------------------------------------------------------------------------------


@dataclass
class MentionView:
    """A mention as one client sees it: the row, that client's queries it matched, its duplicate standing."""

    mention: Mention
    queries: list[dict]
    duplicate: bool
    copies: int


def _cursor(value: str) -> tuple[datetime, int]:
    at, _, mention_id = value.rpartition("_")
    try:
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError
        return when, int(mention_id)
    except ValueError:
        raise InvalidInput.on("cursor", "is not a cursor from a previous page; leave it out for the newest") from None


def list_mentions(*, session: Session, client_id: int, query_id: int | None = None, topic: Topic | None = None,
                  sentiment: Sentiment | None = None, lang: str | None = None, source: str | None = None,
                  since: datetime | None = None, until: datetime | None = None, include_duplicates: bool = False,
                  cursor: str | None = None, limit: int = 50) -> tuple[list[MentionView], str | None]:
    """The client's mentions, newest first, each once; near duplicates only with ``include_duplicates``.
    Returns the page and the cursor of the next (older) one."""
    mm = MentionMatch
    conditions = [mm.client_id == client_id]
    if query_id is not None:
        conditions.append(mm.query_id == query_id)
    if topic is not None:
        conditions.append(mm.topic == topic)
    if not include_duplicates:
        conditions.append(mm.duplicate.is_(False))
    if since is not None:
        conditions.append(mm.created_at >= since)
    if until is not None:
        conditions.append(mm.created_at < until)
    if cursor:
        at, last_id = _cursor(cursor)
        conditions.append(or_(mm.created_at < at, and_(mm.created_at == at, mm.mention_id < last_id)))
    stmt = select(mm.created_at, mm.mention_id).where(*conditions)
    mention_filters = []
    if sentiment is not None:
        mention_filters.append(Mention.sentiment == sentiment)
    if lang:
        tag = language.clean_tag(lang)
        if tag is None:
            raise InvalidInput.on("lang", f"{lang[:20]!r} is not a language tag like en or pt-BR")
        mention_filters.append(or_(Mention.lang == tag, Mention.lang.like(f"{tag}-%")))
    if source:
        mention_filters.append(Mention.source == source.strip().lower())
    if mention_filters:
        stmt = stmt.join(Mention, Mention.id == mm.mention_id).where(*mention_filters)
    page = session.execute(stmt.distinct().order_by(mm.created_at.desc(), mm.mention_id.desc())
                           .limit(limit + 1)).all()
    more = len(page) > limit
    page = page[:limit]
    ids = [mention_id for _, mention_id in page]
    if not ids:
        return [], None
    mentions = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(ids)))}
    matched: dict[int, list[dict]] = defaultdict(list)
    standing: dict[int, tuple[bool, int]] = {}
    for mention_id, q_id, name, q_topic, duplicate, copies in session.execute(
            select(mm.mention_id, mm.query_id, ListeningQuery.name, mm.topic, mm.duplicate, mm.dup_count)
            .join(ListeningQuery, ListeningQuery.id == mm.query_id)
            .where(mm.client_id == client_id, mm.mention_id.in_(ids)).order_by(mm.query_id)):
        matched[mention_id].append({"id": q_id, "name": name, "topic": q_topic})
        was = standing.get(mention_id, (False, 0))
        standing[mention_id] = (was[0] or duplicate, max(was[1], copies))
    views = [MentionView(mentions[i], matched[i], *standing.get(i, (False, 0))) for i in ids if i in mentions]
    next_cursor = f"{page[-1][0].isoformat()}_{page[-1][1]}" if more else None
    return views, next_cursor


# --- sources -----------------------------------------------------------------------------------


def source_state(*, session: Session, name: str, kind: str, client_id: int | None = None,
                 config: dict | None = None) -> ListeningSource:
    """The ingester's row (made on first use): its cursor, feed validators, last error and report."""
    row = session.scalar(select(ListeningSource).where(ListeningSource.name == name))
    if row is None:
        row = ListeningSource(name=name, kind=kind, client_id=client_id, config=dict(config or {}), enabled=True,
                              last_error="", last_report="", mentions_total=0)
        session.add(row)
        session.flush()
    return row


def record_run(*, session: Session, source: ListeningSource, result: IngestResult | None = None,
               error: str = "") -> ListeningSource:
    """Note a run of the source: its report, or the error that stopped it (kept until a run succeeds)."""
    now = utcnow()
    source.last_run_at = now
    if error:
        source.last_error, source.last_error_at = clean(error)[:2000], now
    else:
        source.last_error, source.last_error_at = "", None
    if result is not None:
        source.last_report = result.text()
        source.mentions_total += result.stored
    session.flush()
    return source
