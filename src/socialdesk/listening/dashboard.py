"""A client's listening dashboard: volume over time per topic, sentiment share, share of voice, top authors,
top terms and hashtags, rising terms. Plain functions taking a session; each returns plain data.

What counts:

- Volume, sentiment, share of voice and authors count distinct mentions (a post matched by two brand queries
  is one brand mention) and include near duplicates: a copied post is still a post people saw. A mention
  matched under two topics counts once in each topic and once in the total.
- Terms, hashtags and rising terms count each near-duplicate group once (its first mention), so one post
  copied a thousand times does not fill the table, and count a term once per mention that uses it.

Limits: the counts above are SQL aggregations over ``listening_matches`` (indexed by client and time) and
scale with the period's volume. Term and hashtag counting is Python over a bounded sample: the newest
``SAMPLE`` leading mentions of the period, ``TERM_CHARS`` characters of each; the results say how many of
how many were read. Rising terms read at most ``SAMPLE`` mentions of the last 24 hours and
``BASELINE_SAMPLE`` of the 28 days before (spread evenly over the days); sampled counts are scaled to the
whole.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, cast, distinct, func, literal_column, select
from sqlalchemy.orm import Session

from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch
from socialdesk.listening.query import normalize, words
from socialdesk.listening.schemas import Sentiment, Topic
from socialdesk.listening.stopwords import is_stop_word

MAX_DAYS = 400
FIRST_YEAR, LAST_YEAR = 1970, 2200
DEFAULT_DAYS = 7
HOURLY_UP_TO = timedelta(days=2)  # longer periods are drawn per day
SAMPLE = 5_000  # leading mentions read for the term and hashtag tables (the newest of the period)
TERM_CHARS = 2_000  # of each text: an article from a feed says what it is about in its opening
TOP = 20

# Rising terms: a term's count in the last 24 hours against its daily rate over the 28 days before.
# ratio = (recent + SMOOTHING) / (baseline per day + SMOOTHING): add-one smoothing keeps a term seen
# once before from looking infinitely new, and a term never seen before scores its count + 1. A term
# rises when it appears in at least RISING_MIN_COUNT mentions and its ratio is at least RISING_MIN_RATIO.
RISING_WINDOW = timedelta(hours=24)
BASELINE_DAYS = 28
BASELINE_SAMPLE = 10_000  # tokenizing the baseline is the largest cost of a dashboard
SMOOTHING = 1.0
RISING_MIN_COUNT = 3
RISING_MIN_RATIO = 2.0

TOPICS = tuple(Topic)
SENTIMENTS = tuple(Sentiment)
# Links, hashtags and @handles are not prose: hashtags have their own table, handles the authors'.
_NOT_PROSE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@#])[#@][\w.\-]+(?:@[\w.\-]+)?", re.IGNORECASE)
_HASHTAG = re.compile(r"(?<![\w#&])#(\w{1,100})")


# --- the period ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, the client's time zone, and whether the charts count per hour or per day."""

    start: datetime
    end: datetime
    zone: str = "UTC"
    bucket: str = "day"  # hour | day

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


def period(*, start: datetime | None = None, end: datetime | None = None, zone: str = "UTC",
           now: datetime | None = None, bucket: str | None = None) -> Period:
    """The period asked for (the last 7 days by default; a time without offset is in ``zone``), counted per
    hour up to 2 days and per day beyond, unless ``bucket`` says."""
    tz = ZoneInfo(zone)

    def aware(name: str, at: datetime) -> datetime:
        if not FIRST_YEAR <= at.year <= LAST_YEAR:
            raise InvalidInput.on(name, f"must be a time between the years {FIRST_YEAR} and {LAST_YEAR}")
        return (at.replace(tzinfo=tz) if at.tzinfo is None else at).astimezone(UTC)

    end = aware("end", end) if end is not None else (now or utcnow()).astimezone(UTC)
    start = aware("start", start) if start is not None else end - timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise InvalidInput.on("end", f"must be after start ({start.isoformat()})")
    if end - start > timedelta(days=MAX_DAYS):
        raise InvalidInput.on("start", f"the period may span at most {MAX_DAYS} days; move start closer to end")
    if bucket not in (None, "hour", "day"):
        raise InvalidInput.on("bucket", "must be hour or day")
    if bucket == "hour" and end - start > timedelta(days=31):
        raise InvalidInput.on("bucket", "hourly counts cover at most 31 days; choose day or a shorter period")
    return Period(start, end, zone, bucket or ("hour" if end - start <= HOURLY_UP_TO else "day"))


def day_period(*, first: date, last: date, zone: str, bucket: str | None = None) -> Period:
    """From the start of ``first`` to the end of ``last`` (both included), local days in ``zone``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    return period(start=start, end=end, zone=zone, bucket=bucket)


def bucket_edges(p: Period) -> list[datetime]:
    """UTC instants where the period's local hours or days begin: the first at or before ``start``, the
    last at or after ``end``; bucket i is [edges[i], edges[i + 1])."""
    tz = p.tz
    edges: list[datetime] = []
    if p.bucket == "day":
        day = p.start.astimezone(tz).date()
        while True:
            edge = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
            edges.append(edge)
            if edge >= p.end:
                return edges
            day += timedelta(days=1)
    local = p.start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    edge = local.astimezone(UTC)
    while True:
        edges.append(edge)
        if edge >= p.end:
            return edges
        # Stepping in UTC stays on local hour starts (offsets change by whole hours, or half hours where
        # the offset itself is a half hour, which the fine unit below still nests in).
        edge += timedelta(hours=1)


def _unit(edges: Sequence[datetime]) -> int:
    """The largest of an hour, a quarter hour and a minute that every bucket edge is a multiple of, so the
    database can count per unit of UTC time and each unit falls in exactly one local bucket."""
    seconds = [int(e.timestamp()) for e in edges]
    for unit in (3600, 900, 60):
        if all(s % unit == 0 for s in seconds):
            return unit
    return 1


def _epoch_unit(session: Session, column, unit: int):
    """``column`` as whole units of UTC time since the epoch, in the database's own dialect."""
    size = literal_column(str(int(unit)))
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) / size
    return cast(func.floor(func.extract("epoch", column) / size), BigInteger)


def _where(client_id: int, p: Period, topic: Topic | str | None, *, leaders_only: bool = False) -> list:
    mm = MentionMatch
    conditions = [mm.client_id == client_id, mm.created_at >= p.start, mm.created_at < p.end]
    if topic:
        conditions.append(mm.topic == str(topic))
    if leaders_only:
        conditions.append(mm.duplicate.is_(False))
    return conditions


def shares(counts: Sequence[int], *, places: int = 1) -> list[float]:
    """Percentages of the total, rounded by largest remainder so they add up to exactly 100 (all zero
    when the total is zero)."""
    total = sum(counts)
    if total <= 0:
        return [0.0 for _ in counts]
    scale = 10**places
    exact = [c * 100 * scale / total for c in counts]
    floors = [math.floor(x) for x in exact]
    left = 100 * scale - sum(floors)
    for i in sorted(range(len(counts)), key=lambda i: (floors[i] - exact[i], i))[:left]:
        floors[i] += 1
    return [f / scale for f in floors]


# --- volume -------------------------------------------------------------------------------------


@dataclass
class Volume:
    """Mentions per local hour or day: ``starts[i]`` (in the client's zone) begins bucket i."""

    bucket: str
    starts: list[datetime]
    series: dict[str, list[int]]  # topic -> count per bucket (topics that had mentions, in TOPICS order)
    total: list[int]  # distinct mentions per bucket whatever their topic

    @property
    def peak(self) -> int:
        return max([*self.total, *(n for counts in self.series.values() for n in counts), 0])


def volume(*, session: Session, client_id: int, period: Period, topic: Topic | str | None = None) -> Volume:
    """Mentions per bucket of the period, per topic and in all."""
    edges = bucket_edges(period)
    unit = _unit(edges)
    marks = [int(e.timestamp()) for e in edges]
    slots = len(edges) - 1
    mm = MentionMatch

    def place(value: int) -> int:
        return bisect.bisect_right(marks, int(value) * unit) - 1

    by_topic: dict[str, list[int]] = {}
    unit_col = _epoch_unit(session, mm.created_at, unit).label("u")
    for name, value, count in session.execute(
            select(mm.topic, unit_col, func.count(distinct(mm.mention_id)))
            .where(*_where(client_id, period, topic)).group_by(mm.topic, unit_col)):
        at = place(value)
        if 0 <= at < slots:
            by_topic.setdefault(name, [0] * slots)[at] += count
    total = [0] * slots
    unit_col = _epoch_unit(session, mm.created_at, unit).label("u")
    for value, count in session.execute(select(unit_col, func.count(distinct(mm.mention_id)))
                                        .where(*_where(client_id, period, topic)).group_by(unit_col)):
        at = place(value)
        if 0 <= at < slots:
            total[at] += count
    order = [t.value for t in TOPICS] + sorted(set(by_topic) - {t.value for t in TOPICS})
    tz = period.tz
    return Volume(period.bucket, [e.astimezone(tz) for e in edges[:-1]],
                  {t: by_topic[t] for t in order if t in by_topic}, total)


def total_mentions(*, session: Session, client_id: int, period: Period, topic: Topic | str | None = None,
                   leaders_only: bool = False) -> int:
    return session.scalar(select(func.count(distinct(MentionMatch.mention_id)))
                          .where(*_where(client_id, period, topic, leaders_only=leaders_only))) or 0


# --- sentiment ----------------------------------------------------------------------------------


@dataclass
class SentimentShare:
    """One topic's (or ``all``) mentions by sentiment, with percentages adding up to 100."""

    topic: str
    total: int
    counts: dict[str, int]  # positive | neutral | negative
    percents: dict[str, float]


def _share(topic: str, counts: dict[str, int]) -> SentimentShare:
    values = [counts.get(s.value, 0) for s in SENTIMENTS]
    return SentimentShare(topic, sum(values), {s.value: v for s, v in zip(SENTIMENTS, values, strict=True)},
                          dict(zip([s.value for s in SENTIMENTS], shares(values), strict=True)))


def sentiment_share(*, session: Session, client_id: int, period: Period,
                    topic: Topic | str | None = None) -> list[SentimentShare]:
    """The share of positive, neutral and negative mentions: first of all mentions (``topic`` "all"), then
    per topic that had mentions."""
    mm = MentionMatch
    per: dict[str, dict[str, int]] = {}
    for name, label, count in session.execute(
            select(mm.topic, Mention.sentiment, func.count(distinct(mm.mention_id)))
            .join(Mention, Mention.id == mm.mention_id).where(*_where(client_id, period, topic))
            .group_by(mm.topic, Mention.sentiment)):
        per.setdefault(name, {})[label] = count
    overall = dict(session.execute(
        select(Mention.sentiment, func.count(distinct(mm.mention_id))).join(Mention, Mention.id == mm.mention_id)
        .where(*_where(client_id, period, topic)).group_by(Mention.sentiment)).all())
    return [_share("all", overall)] + [_share(t.value, per[t.value]) for t in TOPICS if t.value in per]


# --- share of voice -----------------------------------------------------------------------------


@dataclass
class Voice:
    """The brand (all brand queries together) or one competitor query, its mentions and its share."""

    name: str
    kind: str  # brand | competitor
    query_id: int | None
    mentions: int
    percent: float


def share_of_voice(*, session: Session, client_id: int, period: Period) -> list[Voice]:
    """The brand's mentions against each competitor query's over the period, as shares of their sum (a
    post naming both counts for both). Competitor queries without mentions are listed at 0."""
    mm = MentionMatch
    where = _where(client_id, period, None)
    brand = session.scalar(select(func.count(distinct(mm.mention_id))).where(*where, mm.topic == Topic.BRAND)) or 0
    counted = dict(session.execute(select(mm.query_id, func.count(distinct(mm.mention_id)))
                                   .where(*where, mm.topic == Topic.COMPETITOR).group_by(mm.query_id)).all())
    competitors = session.execute(select(ListeningQuery.id, ListeningQuery.name).where(
        ListeningQuery.client_id == client_id, ListeningQuery.topic == Topic.COMPETITOR)
        .order_by(ListeningQuery.name, ListeningQuery.id)).all()
    client = session.get(Client, client_id)
    rows = [(client.name if client else "Brand", "brand", None, brand)]
    rows += sorted(((name, "competitor", qid, counted.get(qid, 0)) for qid, name in competitors),
                   key=lambda r: (-r[3], r[0].lower()))
    percents = shares([r[3] for r in rows])
    return [Voice(name, kind, qid, n, pct) for (name, kind, qid, n), pct in zip(rows, percents, strict=True)]


# --- authors ------------------------------------------------------------------------------------


@dataclass
class Author:
    source: str
    handle: str
    name: str
    followers: int | None  # the largest count seen in the period
    mentions: int


def top_authors(*, session: Session, client_id: int, period: Period, topic: Topic | str | None = None,
                by: str = "mentions", limit: int = TOP) -> list[Author]:
    """The authors with the most mentions (``by="mentions"``), or the largest audience (``by="reach"``,
    followers as the source last told them; authors whose source tells none are left out)."""
    mm = MentionMatch
    mentions = func.count(distinct(Mention.id))
    followers = func.max(Mention.author_followers)
    stmt = (select(Mention.source, Mention.author_handle, func.max(Mention.author_name), followers, mentions)
            .join(mm, mm.mention_id == Mention.id).where(*_where(client_id, period, topic), Mention.author_handle != "")
            .group_by(Mention.source, Mention.author_handle))
    if by == "reach":
        stmt = stmt.where(Mention.author_followers.is_not(None)).order_by(followers.desc(), mentions.desc())
    elif by == "mentions":
        stmt = stmt.order_by(mentions.desc(), followers.desc().nulls_last())
    else:
        raise InvalidInput.on("by", "must be mentions or reach")
    stmt = stmt.order_by(Mention.author_handle, Mention.source).limit(limit)
    return [Author(src, handle, name or "", fol, n) for src, handle, name, fol, n in session.execute(stmt)]


# --- terms and hashtags -------------------------------------------------------------------------


def terms_of(text: str, *, bigrams: bool = False) -> set[str]:
    """The distinct terms of a text: its normalized words less stop words, links, hashtags and handles;
    with ``bigrams`` also each pair of adjacent kept words ("battery fire")."""
    found = words(_NOT_PROSE.sub(" ", text[:TERM_CHARS]))
    kept = {w for w in found if not is_stop_word(w)}
    if bigrams:
        kept.update(f"{a} {b}" for a, b in zip(found, found[1:], strict=False)
                    if not is_stop_word(a) and not is_stop_word(b) and a != b)
    return kept


def hashtags_of(text: str, listed: Iterable[str] = ()) -> set[str]:
    """The distinct hashtags of a mention, normalized, without '#': those the source listed and those in
    the text (feeds list none)."""
    tags = {normalize(t).lstrip("#").strip() for t in listed if isinstance(t, str)}
    tags.update(normalize(t) for t in _HASHTAG.findall(text[:TERM_CHARS]))
    return {t for t in tags if t}


@dataclass
class Sample:
    """Leading mentions read for a term count: ``read`` of ``total`` in the span."""

    texts: list[tuple[str, list]]  # (text, listed hashtags)
    read: int
    total: int

    @property
    def scale(self) -> float:
        return self.total / self.read if self.read else 1.0


def _sample(session: Session, client_id: int, p: Period, topic: Topic | str | None, limit: int) -> Sample:
    """The newest ``limit`` leading mentions of the period (ids first: JSON columns cannot be DISTINCT)."""
    ids = select(MentionMatch.mention_id).where(*_where(client_id, p, topic, leaders_only=True))
    rows = session.execute(select(Mention.text, Mention.hashtags).where(Mention.id.in_(ids))
                           .order_by(Mention.created_at.desc(), Mention.id.desc()).limit(limit)).all()
    total = total_mentions(session=session, client_id=client_id, period=p, topic=topic, leaders_only=True) \
        if len(rows) >= limit else len(rows)
    return Sample([(t or "", h or []) for t, h in rows], len(rows), total)


def _spread_sample(session: Session, client_id: int, p: Period, topic: Topic | str | None, limit: int) -> Sample:
    """Up to ``limit`` leading mentions spread evenly over the period's days (all of them when fewer)."""
    total = total_mentions(session=session, client_id=client_id, period=p, topic=topic, leaders_only=True)
    if total <= limit:
        return _sample(session, client_id, p, topic, limit)
    days = max(1, math.ceil((p.end - p.start) / timedelta(days=1)))
    per_day, texts = max(1, limit // days), []
    for n in range(days):
        day = Period(p.start + timedelta(days=n), min(p.end, p.start + timedelta(days=n + 1)), p.zone, p.bucket)
        texts.extend(_sample(session, client_id, day, topic, per_day).texts)
    return Sample(texts, len(texts), total)


@dataclass
class Term:
    term: str
    mentions: int  # leading mentions using it (scaled to the whole period when sampled)


@dataclass
class TermTable:
    terms: list[Term]
    read: int  # leading mentions read
    total: int  # leading mentions in the period

    @property
    def sampled(self) -> bool:
        return self.read < self.total


def _table(counter: Counter, sample: Sample, limit: int) -> TermTable:
    scale = sample.scale
    top = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return TermTable([Term(t, round(n * scale)) for t, n in top], sample.read, sample.total)


def terms_and_hashtags(*, session: Session, client_id: int, period: Period, topic: Topic | str | None = None,
                       limit: int = TOP, bigrams: bool = False, sample: int = SAMPLE) -> tuple[TermTable, TermTable]:
    """The terms most mentions use (stop words of common languages left out) and the hashtags most carry
    (without '#'), both from the newest ``sample`` leading mentions of the period."""
    read = _sample(session, client_id, period, topic, sample)
    terms: Counter = Counter()
    tags: Counter = Counter()
    for text, listed in read.texts:
        terms.update(terms_of(text, bigrams=bigrams))
        tags.update(hashtags_of(text, listed))
    return _table(terms, read, limit), _table(tags, read, limit)


def top_terms(**kwargs) -> TermTable:
    """The term table of :func:`terms_and_hashtags`."""
    return terms_and_hashtags(**kwargs)[0]


def top_hashtags(**kwargs) -> TermTable:
    """The hashtag table of :func:`terms_and_hashtags`."""
    return terms_and_hashtags(**kwargs)[1]


@dataclass
class RisingTerm:
    term: str
    recent: int  # mentions using it in the last 24 hours
    baseline_per_day: float  # mentions per day using it over the 28 days before
    ratio: float  # smoothed: (recent + 1) / (baseline_per_day + 1)
    new: bool  # not seen at all in the 28 days before


@dataclass
class Rising:
    terms: list[RisingTerm]
    window_start: datetime
    window_end: datetime
    recent_read: int
    recent_total: int
    baseline_read: int
    baseline_total: int


def rising_terms(*, session: Session, client_id: int, end: datetime, zone: str = "UTC",
                 topic: Topic | str | None = None, limit: int = TOP, min_count: int = RISING_MIN_COUNT,
                 min_ratio: float = RISING_MIN_RATIO, bigrams: bool = False) -> Rising:
    """Terms much more used in the 24 hours before ``end`` than on an average day of the 28 days before
    (see RISING_* above for the ratio and thresholds), most risen first."""
    end = end.astimezone(UTC)
    recent_p = Period(end - RISING_WINDOW, end, zone)
    base_p = Period(end - RISING_WINDOW - timedelta(days=BASELINE_DAYS), end - RISING_WINDOW, zone)
    recent = _sample(session, client_id, recent_p, topic, SAMPLE)
    base = _spread_sample(session, client_id, base_p, topic, BASELINE_SAMPLE)
    now_counts: Counter = Counter()
    for text, _ in recent.texts:
        now_counts.update(terms_of(text, bigrams=bigrams))
    before: Counter = Counter()
    for text, _ in base.texts:
        before.update(t for t in terms_of(text, bigrams=bigrams) if t in now_counts)
    found = []
    for term, raw in now_counts.items():
        count = raw * recent.scale
        if count < min_count:
            continue
        per_day = before.get(term, 0) * base.scale / BASELINE_DAYS
        ratio = (count + SMOOTHING) / (per_day + SMOOTHING)
        if ratio >= min_ratio:
            found.append(RisingTerm(term, round(count), round(per_day, 2), round(ratio, 2), term not in before))
    found.sort(key=lambda r: (-r.ratio, -r.recent, r.term))
    return Rising(found[:limit], recent_p.start, recent_p.end, recent.read, recent.total, base.read, base.total)


# --- the whole dashboard ------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    topic: str | None
    total: int
    volume: Volume
    sentiment: list[SentimentShare]
    share_of_voice: list[Voice]
    authors_by_mentions: list[Author]
    authors_by_reach: list[Author]
    terms: TermTable
    hashtags: TermTable
    rising: Rising
    topics: list[str] = field(default_factory=list)  # the client's query topics, for the filter

    @property
    def empty(self) -> bool:
        return self.total == 0

    @property
    def message(self) -> str:
        return "No mentions in this period." if self.empty else ""


def dashboard(*, session: Session, client_id: int, period: Period, topic: Topic | str | None = None,
              now: datetime | None = None, bigrams: bool = False) -> Dashboard:
    """Every figure of the dashboard for the period (rising terms: the 24 hours before its end, or now)."""
    topic = str(topic) if topic else None
    total = total_mentions(session=session, client_id=client_id, period=period, topic=topic)
    rising_end = min(period.end, (now or utcnow()).astimezone(UTC))
    topics = sorted(set(session.scalars(select(ListeningQuery.topic).where(ListeningQuery.client_id == client_id))),
                    key=lambda t: [x.value for x in TOPICS].index(t) if t in [x.value for x in TOPICS] else 99)
    common = {"session": session, "client_id": client_id, "period": period, "topic": topic}
    terms, hashtags = terms_and_hashtags(**common, bigrams=bigrams)
    return Dashboard(
        period=period, topic=topic, total=total, volume=volume(**common), sentiment=sentiment_share(**common),
        share_of_voice=share_of_voice(session=session, client_id=client_id, period=period),
        authors_by_mentions=top_authors(**common, by="mentions"), authors_by_reach=top_authors(**common, by="reach"),
        terms=terms, hashtags=hashtags,
        rising=rising_terms(session=session, client_id=client_id, end=rising_end, zone=period.zone, topic=topic,
                            bigrams=bigrams),
        topics=topics)
