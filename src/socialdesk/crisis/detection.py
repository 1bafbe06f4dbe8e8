"""Crisis detection on listening: each client's matched mentions in 5-minute buckets of its own clock, fed
through two streaming detectors (volume, negative share) for all its mentions and for each listening topic.

A bucket is learned from once it is closed (its end plus a grace for late posts); the bucket still filling
is scored on a copy of the detectors, so a burst pages the on-call people within seconds of being
ingested rather than at the end of its bucket. A detector score past the level it was tuned with is not
enough: the volume must also be meaningfully above normal, so three angry posts at night page nobody.
One alert per episode: while a client's alert is open (its detectors have not calmed down) nothing else
is raised for that client.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from socialdesk.clients.models import Client
from socialdesk.crisis.detector import DAY_BUCKETS, CrisisDetector
from socialdesk.crisis.models import Crisis, CrisisAlert, CrisisEvent, DetectorState
from socialdesk.db import utcnow
from socialdesk.kit.authz import Role
from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch

BUCKET_SECONDS = 300
GRACE = timedelta(minutes=2)  # a bucket is learned from this long after its end, so late posts still count
BACKFILL = timedelta(days=14)  # a new detector learns the client's rhythm from at most this much history
RECENT = timedelta(minutes=15)  # older buckets (catching up after a stop) teach the detector but page no one
MIN_VOLUME = 15  # fewer mentions than this in the window never page anyone
MIN_RATIO = 3.0  # nor fewer than this many times what the detector expected
NEGATIVE_MIN_COUNT = 8  # a negative-share alert needs at least this many negative mentions
NEGATIVE_MIN_SHARE = 0.4  # ... making at least this share of the window
NEGATIVE_MIN_RISE = 0.25  # ... and this much above the usual share
SHARE_MIN_MENTIONS = 3  # the negative share of fewer mentions says nothing: such buckets are not fed
SAMPLES = 3
TERMS = 5
SERIES = ("volume", "negative")


@dataclass
class Bucket:
    index: int  # UTC epoch seconds // BUCKET_SECONDS
    volume: int
    negative: int


@dataclass
class Finding:
    """What the detectors saw in one bucket."""

    bucket: Bucket
    closed: bool
    elapsed: float  # seconds of the bucket observed (a bucket still filling is shorter)
    volume_score: float
    negative_score: float
    expected: float  # mentions forecast for the observed part of the bucket
    usual_share: float

    @property
    def share(self) -> float:
        return self.bucket.negative / self.bucket.volume if self.bucket.volume else 0.0

    @property
    def ratio(self) -> float:
        return self.bucket.volume / max(self.expected, 0.5)

    def volume_fires(self, fire_level: float) -> bool:
        return (self.volume_score >= fire_level and self.bucket.volume >= MIN_VOLUME
                and self.bucket.volume >= MIN_RATIO * self.expected)

    def negative_fires(self, fire_level: float) -> bool:
        return (self.negative_score >= fire_level and self.bucket.volume >= MIN_VOLUME
                and self.bucket.negative >= NEGATIVE_MIN_COUNT and self.share >= NEGATIVE_MIN_SHARE
                and self.share >= self.usual_share + NEGATIVE_MIN_RISE)

    def elevated(self) -> bool:
        return self.bucket.volume >= MIN_VOLUME and self.bucket.volume >= MIN_RATIO * self.expected


def bucket_of(at: datetime) -> int:
    return int(at.timestamp()) // BUCKET_SECONDS


def bucket_start(index: int) -> datetime:
    return datetime.fromtimestamp(index * BUCKET_SECONDS, UTC)


def forecast(detector: CrisisDetector, local: datetime) -> float:
    """What the detector's best forecaster expects at ``local`` (read from its state, not learned)."""
    if detector.n == 0:
        return 0.0
    day_at = (local.hour * 60 + local.minute) * DAY_BUCKETS // 1440
    week_at = local.weekday() * 24 + local.hour
    forecasts = (
        detector.level,
        detector.level + detector.day[day_at] if detector.day_seen[day_at] else detector.level,
        detector.level + detector.week[week_at] if detector.week_seen[week_at] else detector.level,
    )
    best = min(range(len(forecasts)), key=lambda k: detector.mae[k])
    return max(0.0, forecasts[best])


def _bucket_expr(session: Session, seconds: int):
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", MentionMatch.created_at) / seconds), Integer)
    return cast(func.strftime("%s", MentionMatch.created_at), Integer) // seconds


def _match_filter(client_id: int, topic: str):
    condition = MentionMatch.client_id == client_id
    return and_(condition, MentionMatch.topic == topic) if topic else condition


def bucket_counts(session: Session, *, client_id: int, topic: str, first: int, last: int,
                  seconds: int = BUCKET_SECONDS) -> dict[int, Bucket]:
    """Distinct mentions and negative ones per bucket of ``seconds`` in [first, last] (a mention matching
    several of the client's queries counts once)."""
    index = _bucket_expr(session, seconds).label("bucket")
    rows = session.execute(
        select(index, func.count(func.distinct(MentionMatch.mention_id)),
               func.count(func.distinct(case((Mention.sentiment == "negative", MentionMatch.mention_id)))))
        .join(Mention, Mention.id == MentionMatch.mention_id)
        .where(_match_filter(client_id, topic), MentionMatch.created_at >= datetime.fromtimestamp(first * seconds, UTC),
               MentionMatch.created_at < datetime.fromtimestamp((last + 1) * seconds, UTC))
        .group_by(index)
    )
    return {int(b): Bucket(int(b), int(v), int(n)) for b, v, n in rows}


def _first_bucket(session: Session, client_id: int, topic: str, floor: int) -> int | None:
    first = session.scalar(select(func.min(MentionMatch.created_at)).where(
        _match_filter(client_id, topic), MentionMatch.created_at >= bucket_start(floor)))
    return bucket_of(first) if first is not None else None


def topics_of(session: Session, client_id: int) -> list[str]:
    """'' (everything) and each topic the client listens to."""
    topics = session.scalars(select(ListeningQuery.topic).where(
        ListeningQuery.client_id == client_id, ListeningQuery.enabled.is_(True)).distinct())
    return [""] + sorted(set(topics))


def _states(session: Session, client_id: int, topic: str) -> dict[str, DetectorState]:
    rows = {r.series: r for r in session.scalars(select(DetectorState).where(
        DetectorState.client_id == client_id, DetectorState.topic == topic))}
    for series in SERIES:
        if series not in rows:
            rows[series] = DetectorState(client_id=client_id, topic=topic, series=series, state={}, last_bucket=None)
            session.add(rows[series])
    return rows


def _detector(row: DetectorState) -> CrisisDetector:
    try:
        return CrisisDetector.from_dict(row.state) if row.state else CrisisDetector()
    except (ValueError, KeyError):  # an older state format: learn the rhythm again rather than stop alerting
        row.last_bucket = None
        return CrisisDetector()


def _copy(detector: CrisisDetector) -> CrisisDetector:
    return CrisisDetector.from_dict(detector.to_dict())


def _feed(volume: CrisisDetector, negative: CrisisDetector, bucket: Bucket, zone: ZoneInfo, *, elapsed: float,
          closed: bool) -> Finding:
    local = bucket_start(bucket.index).astimezone(zone)
    part = elapsed / BUCKET_SECONDS
    expected = forecast(volume, local) * part
    usual_share = min(1.0, forecast(negative, local)) if negative.n else 0.0
    volume_score = volume.update(local, bucket.volume)
    negative_score = 0.0
    if bucket.volume >= SHARE_MIN_MENTIONS:
        negative_score = negative.update(local, bucket.negative / bucket.volume)
    return Finding(bucket, closed, elapsed, volume_score, negative_score, expected, usual_share)


def _rearm_unless(detector: CrisisDetector, meaningful: bool) -> None:
    # The detector goes quiet after it fires so that one event alerts once. A firing we did not alert on
    # (a few mentions at night, above the score but not above normal) must not silence a real burst that
    # follows, so the detector is armed again at once.
    if not meaningful and not detector.armed and detector.quiet_left == detector.params["quiet"]:
        detector.quiet_left, detector.armed = 0, True


def open_alert(session: Session, client_id: int) -> CrisisAlert | None:
    return session.scalar(select(CrisisAlert).where(CrisisAlert.client_id == client_id,
                                                    CrisisAlert.ended_at.is_(None)).order_by(CrisisAlert.id.desc()))


def run(session: Session, *, client_id: int, now: datetime | None = None) -> list[CrisisAlert]:
    """Bring the client's detectors up to ``now`` and raise (and send) the alerts they call for."""
    now = now or utcnow()
    client = session.get(Client, client_id)
    if client is None:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # One run per client at a time: ingestion and the minute sweep may start together.
        session.execute(select(Client.id).where(Client.id == client_id).with_for_update())
    zone = ZoneInfo(client.timezone or "UTC")
    now_bucket = bucket_of(now)
    last_closed = bucket_of(now - GRACE) - 1
    alerts = []
    for topic in topics_of(session, client_id):
        alert = _run_topic(session, client, topic, zone, now, now_bucket, last_closed)
        if alert is not None:
            alerts.append(alert)
    return alerts


def _run_topic(session: Session, client: Client, topic: str, zone: ZoneInfo, now: datetime, now_bucket: int,
               last_closed: int) -> CrisisAlert | None:
    rows = _states(session, client.id, topic)
    volume, negative = _detector(rows["volume"]), _detector(rows["negative"])
    last = rows["volume"].last_bucket
    if last is None or rows["negative"].last_bucket != last:
        volume, negative = CrisisDetector(), CrisisDetector()
        first = _first_bucket(session, client.id, topic, bucket_of(now - BACKFILL))
        if first is None:
            for row in rows.values():
                row.state, row.last_bucket = volume.to_dict(), None
            return None
        start = first
    else:
        start = last + 1
    start = max(start, bucket_of(now - BACKFILL))
    counts = bucket_counts(session, client_id=client.id, topic=topic, first=start, last=now_bucket)
    fire_level = volume.params["fire_level"]
    recent = bucket_of(now - RECENT)
    found: Finding | None = None
    finding = None
    for index in range(start, last_closed + 1):
        bucket = counts.get(index) or Bucket(index, 0, 0)
        finding = _feed(volume, negative, bucket, zone, elapsed=BUCKET_SECONDS, closed=True)
        by_volume, by_negative = finding.volume_fires(fire_level), finding.negative_fires(fire_level)
        if index >= recent and found is None and (by_volume or by_negative):
            found = finding
        _rearm_unless(volume, by_volume)
        _rearm_unless(negative, by_negative)
    if last_closed >= start:
        for row, detector in ((rows["volume"], volume), (rows["negative"], negative)):
            row.state, row.last_bucket, row.updated_at = detector.to_dict(), last_closed, now
    if finding is not None:
        _maybe_end_episode(session, client.id, topic, volume, negative, finding, now)
    if found is None:
        # The buckets still filling, scored on copies: what they teach is learned once they close.
        peek_volume, peek_negative = _copy(volume), _copy(negative)
        for index in range(max(start, last_closed + 1), now_bucket + 1):
            bucket = counts.get(index) or Bucket(index, 0, 0)
            elapsed = min(BUCKET_SECONDS, max(60.0, (now - bucket_start(index)).total_seconds()))
            peek = _feed(peek_volume, peek_negative, bucket, zone, elapsed=elapsed, closed=False)
            if peek.volume_fires(fire_level) or peek.negative_fires(fire_level):
                found = peek
                break
            # A burst split across two buckets: its first part (too few to page) must not silence the second.
            _rearm_unless(peek_volume, False)
            _rearm_unless(peek_negative, False)
    if found is None or open_alert(session, client.id) is not None:
        return None
    return raise_alert(session, client=client, topic=topic, finding=found, fire_level=fire_level, now=now)


def _maybe_end_episode(session: Session, client_id: int, topic: str, volume: CrisisDetector,
                       negative: CrisisDetector, last: Finding, now: datetime) -> None:
    alert = open_alert(session, client_id)
    if alert is None or alert.topic != topic:
        return
    calm = volume.armed and volume.quiet_left == 0 and negative.armed and negative.quiet_left == 0
    if calm and not last.elevated() and bucket_start(last.bucket.index) > alert.window_end:
        alert.ended_at = now


# --- the alert ---------------------------------------------------------------------------------------

_WORD = re.compile(r"#?[^\W\d_][\w'’-]{2,}", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
STOPWORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can could did do does doing
for from had has have having he her here hers him his how i if in into is it its just me more most my no not
now of off on once only or other our ours out over own same she should so some such than that the their them
then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yet get got like one really still even much many well dont don't
im i'm it's its that's cant can't wont won't been via amp rt les des une est pas pour que qui dans sur avec
par mais plus sont ont ete été aux ces cette leur nous vous ils elle elles très tres
""".split())


def _words(text: str) -> set[str]:
    text = _URL.sub(" ", text.lower())
    return {w.strip("'’-") for w in _WORD.findall(text) if w.strip("'’-#") not in STOPWORDS} - {""}


def top_terms(session: Session, *, client_id: int, topic: str, start: datetime, end: datetime,
              limit: int = TERMS) -> list[tuple[str, int]]:
    """The words of the window's mentions that stand out against the client's week before (each mention counts
    a word once)."""
    def texts(since: datetime, until: datetime, cap: int) -> list[str]:
        return list(session.scalars(
            select(Mention.text).join(MentionMatch, MentionMatch.mention_id == Mention.id)
            .where(_match_filter(client_id, topic), MentionMatch.created_at >= since, MentionMatch.created_at < until)
            .distinct().order_by(Mention.text).limit(cap)))

    window = texts(start, end, 1000)
    before = texts(start - timedelta(days=7), start, 3000)
    now_counts = Counter(w for t in window for w in _words(t))
    base_counts = Counter(w for t in before for w in _words(t))
    size, base_size = max(len(window), 1), max(len(before), 1)
    scored = []
    for word, count in now_counts.items():
        if count < 2:
            continue
        lift = (count / size) / ((base_counts.get(word, 0) + 1) / (base_size + 1))
        if lift > 1.5:
            scored.append((count * math.log(lift), word, count))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(word, count) for _, word, count in scored[:limit]]


def sample_mentions(session: Session, *, client_id: int, topic: str, start: datetime, end: datetime,
                    limit: int = SAMPLES) -> list[Mention]:
    """The window's posts that best show what is going on: negative ones first, then the widest reach; one of
    each near-duplicate group."""
    rows = session.scalars(
        select(Mention).join(MentionMatch, MentionMatch.mention_id == Mention.id)
        .where(_match_filter(client_id, topic), MentionMatch.created_at >= start, MentionMatch.created_at < end,
               MentionMatch.duplicate.is_(False))
        .order_by(case((Mention.sentiment == "negative", 0), else_=1), Mention.sentiment_score,
                  func.coalesce(Mention.author_followers, 0).desc(), Mention.id)
        .limit(limit * 10))
    out, seen = [], set()
    for mention in rows:
        key = mention.dup_key or -mention.id
        if key in seen:
            continue
        seen.add(key)
        out.append(mention)
        if len(out) == limit:
            break
    return out


def one_line(text: str, limit: int = 140) -> str:
    """A post as one short line of plain text (control characters and runs of space removed)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(*, client_name: str, topic: str, volume: int, minutes: int, expected: float, share: float,
             usual_share: float, terms: list[tuple[str, int]], samples: list[Mention]) -> str:
    """The alert in words and numbers, as the on-call people read it on their phone."""
    ratio = volume / max(expected, 0.5)
    about = f" ({topic} mentions)" if topic else ""
    lines = [
        f"Possible crisis for {client_name}{about}: {volume} mentions in {minutes} min, "
        f"{ratio:.1f}x normal (about {expected:.1f} expected); negative share {share:.0%} (usually {usual_share:.0%}).",
    ]
    if terms:
        lines.append("Top terms: " + ", ".join(f"{word} ({count})" for word, count in terms) + ".")
    for mention in samples:
        who = f"@{one_line(mention.author_handle, 60)}" if mention.author_handle else "someone"
        lines.append(f"- {who} ({mention.sentiment}): “{one_line(mention.text)}”")
    return "\n".join(lines)


def on_call(session: Session, client_id: int) -> list[int]:
    """Who is told: the client's managers and community managers, and the agency's directors."""
    from socialdesk.publishing import service as posts_service

    return posts_service.team_to_tell(session, client_id, {Role.MANAGER, Role.COMMUNITY_MANAGER})


def raise_alert(session: Session, *, client: Client, topic: str, finding: Finding, fire_level: float,
                now: datetime) -> CrisisAlert:
    """Record the alert with its reasons and tell the on-call people at once (urgent: through mutes)."""
    from socialdesk.notify import service as notify_service

    start = bucket_start(finding.bucket.index)
    end = min(start + timedelta(seconds=BUCKET_SECONDS), now) if not finding.closed else start + timedelta(
        seconds=BUCKET_SECONDS)
    terms = top_terms(session, client_id=client.id, topic=topic, start=start, end=end)
    samples = sample_mentions(session, client_id=client.id, topic=topic, start=start, end=end)
    by_volume, by_negative = finding.volume_fires(fire_level), finding.negative_fires(fire_level)
    minutes = max(1, round((end - start).total_seconds() / 60))
    message = describe(client_name=client.name, topic=topic, volume=finding.bucket.volume, minutes=minutes,
                       expected=finding.expected, share=finding.share, usual_share=finding.usual_share, terms=terms,
                       samples=samples)
    alert = CrisisAlert(
        client_id=client.id, topic=topic, status="new", fired_at=now, window_start=start, window_end=end,
        volume=finding.bucket.volume, expected=round(finding.expected, 3), negative=finding.bucket.negative,
        negative_share=round(finding.share, 4), usual_negative_share=round(finding.usual_share, 4),
        score=round(max(finding.volume_score, finding.negative_score), 4),
        reason="both" if by_volume and by_negative else ("volume" if by_volume else "negative"),
        top_terms=[[w, c] for w, c in terms], sample_mention_ids=[m.id for m in samples], message=message)
    session.add(alert)
    session.flush()
    crisis = session.scalar(select(Crisis).where(Crisis.client_id == client.id, Crisis.status == "open")
                            .order_by(Crisis.id.desc()))
    if crisis is not None:  # a second wave: on the open room's timeline as well
        session.add(CrisisEvent(crisis_id=crisis.id, client_id=client.id, kind="alert", text=message,
                                ref={"alert_id": alert.id}, at=now))
    notify_service.send(session, on_call(session, client.id), client_id=client.id, kind="crisis_alert",
                        message=message, link=f"/clients/{client.id}/crisis/alerts/{alert.id}", urgent=True)
    return alert


def clients_with_mentions_since(session: Session, since: datetime) -> list[int]:
    """Clients that have matches written since ``since`` or detectors to move on (the minute sweep)."""
    with_matches = set(session.scalars(select(MentionMatch.client_id).where(MentionMatch.created_at >= since)
                                       .distinct()))
    with_state = set(session.scalars(select(DetectorState.client_id).distinct()))
    return sorted(with_matches | with_state)
