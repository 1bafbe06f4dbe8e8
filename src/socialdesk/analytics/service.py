"""Collect each channel's daily metrics, and read them back as series that keep their gaps.

:func:`collect` writes one snapshot per day: the account's totals, and the counts of the channel's
tracked posts (published here in the last ``settings.analytics_window_days`` days, or tracked
longer on purpose). Collecting twice on one day replaces that day's figures with the later ones.
Figures are stored as the network reported them: a count lower than the day before is kept and
listed in ``decreased`` (unlikes, deleted replies), a post the network says is deleted gets a last
``gone`` row and is not asked about again (its history stays), a count the network stops giving is
stored as None and named on the channel's :class:`MetricsSyncState`. A day without a run is a gap;
:func:`series` shows it as one and :func:`delta` does not spread a change across it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from socialdesk.analytics.models import (
    ACCOUNT_METRICS,
    POST_METRICS,
    AccountSnapshot,
    AnalyticsSettings,
    MetricsSyncState,
    PostMetricSnapshot,
    TrackedPost,
)
from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.kit.errors import InvalidInput, NotFound
from socialdesk.networks.base import AccountMetrics, NetworkError, PostMetrics
from socialdesk.publishing.models import PostTarget
from socialdesk.publishing.schemas import TargetState
from socialdesk.vault.service import Vault

DEFAULT_WINDOW_DAYS = 30
CHUNK = 500  # remote ids per IN (...) query
MAX_SERIES_DAYS = 3 * 366


def client_today(client: Client, now: datetime | None = None) -> date:
    """Today in the client's time zone: the day a snapshot taken now belongs to."""
    try:
        zone = ZoneInfo(client.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or utcnow()).astimezone(zone).date()


# --- settings ---------------------------------------------------------------------------------


def reporting_currency(*, session: Session, client_id: int) -> str | None:
    row = session.get(AnalyticsSettings, client_id)
    return row.currency if row else None


def set_reporting_currency(*, session: Session, client_id: int, currency: str) -> AnalyticsSettings:
    """Set the client's reporting currency (an ISO 4217 code, already checked by the schema)."""
    row = session.get(AnalyticsSettings, client_id)
    if row is None:
        row = AnalyticsSettings(client_id=client_id)
        session.add(row)
    row.currency, row.updated_at = currency, utcnow()
    session.flush()
    return row


# --- tracking ---------------------------------------------------------------------------------


def sync_state(session: Session, channel: Channel) -> MetricsSyncState:
    state = session.get(MetricsSyncState, channel.id)
    if state is None:
        state = MetricsSyncState(channel_id=channel.id, client_id=channel.client_id, error="", stopped={}, report="",
                                 posts_read=0)
        session.add(state)
        session.flush()
    return state


def track(*, session: Session, channel: Channel, remote_id: str, until: date) -> TrackedPost:
    """Read this post's counts daily until ``until`` (a post published here, or one made elsewhere)."""
    remote_id = remote_id.strip()
    if not remote_id:
        raise InvalidInput.on("remote_id", "give the post's id on the network")
    row = session.scalar(select(TrackedPost).where(TrackedPost.channel_id == channel.id,
                                                   TrackedPost.remote_id == remote_id))
    if row is None:
        target = session.scalar(select(PostTarget).where(PostTarget.channel_id == channel.id,
                                                         PostTarget.remote_id == remote_id))
        row = TrackedPost(client_id=channel.client_id, channel_id=channel.id, remote_id=remote_id,
                          post_target_id=target.id if target else None,
                          published_at=target.published_at if target else None)
        session.add(row)
    row.track_until = until
    session.flush()
    return row


def _track_published(session: Session, channel: Channel, since: datetime) -> None:
    """A tracked row for each post published on the channel since ``since`` that has none yet."""
    targets = session.execute(select(PostTarget.id, PostTarget.remote_id, PostTarget.published_at).where(
        PostTarget.channel_id == channel.id, PostTarget.state == TargetState.PUBLISHED,
        PostTarget.remote_id.is_not(None), PostTarget.published_at >= since)).all()
    if not targets:
        return
    known = set(session.scalars(select(TrackedPost.remote_id).where(TrackedPost.channel_id == channel.id,
                                                                    TrackedPost.published_at >= since)))
    for target_id, remote_id, published_at in targets:
        if remote_id in known:
            continue
        known.add(remote_id)
        existing = session.scalar(select(TrackedPost).where(TrackedPost.channel_id == channel.id,
                                                            TrackedPost.remote_id == remote_id))
        if existing is None:
            session.add(TrackedPost(client_id=channel.client_id, channel_id=channel.id, post_target_id=target_id,
                                    remote_id=remote_id, published_at=published_at))
        else:  # tracked by hand before it was linked
            existing.post_target_id, existing.published_at = target_id, published_at
    session.flush()


def tracked_posts(*, session: Session, channel: Channel, day: date, window_days: int) -> list[TrackedPost]:
    """The posts whose counts are read on ``day``: not gone, and in the window or tracked until then."""
    since = datetime.combine(day - timedelta(days=window_days), time(), UTC)
    _track_published(session, channel, since)
    return list(session.scalars(select(TrackedPost).where(
        TrackedPost.channel_id == channel.id, TrackedPost.gone_on.is_(None),
        or_(TrackedPost.published_at >= since, TrackedPost.track_until >= day)).order_by(TrackedPost.id)))


# --- collecting -------------------------------------------------------------------------------


@dataclass
class _Report:
    posts: int = 0
    written: int = 0
    silent: int = 0  # posts the network said nothing about
    gone: list[str] = field(default_factory=list)
    decreased: dict[str, int] = field(default_factory=dict)  # metric -> posts lower than their last snapshot
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        parts = [f"account totals read, {self.written} of {self.posts} post{'s' if self.posts != 1 else ''} counted"]
        if self.silent:
            parts.append(f"{self.silent} the network said nothing about (no snapshot today)")
        if self.gone:
            parts.append(f"{len(self.gone)} deleted on the network ({', '.join(self.gone[:3])}"
                         f"{' ...' if len(self.gone) > 3 else ''}; their history is kept)")
        if self.decreased:
            parts.append("lower than the last snapshot: " + ", ".join(
                f"{metric} on {n} post{'s' if n != 1 else ''}" for metric, n in sorted(self.decreased.items())))
        return "; ".join(parts) + "." + "".join(f" {note}" for note in self.notes)


def collect(*, session: Session, vault: Vault, channel: Channel, day: date, adapter=None,
            window_days: int = DEFAULT_WINDOW_DAYS) -> MetricsSyncState:
    """Read the channel's account totals and its tracked posts' counts and store them as ``day``'s
    snapshot; an error is recorded on the sync state (not raised). See the module doc."""
    state = sync_state(session, channel)
    state.last_run_at = utcnow()
    if adapter is None and channel.network not in channels_service.ADAPTERS:
        state.report = "nothing to collect: this channel has no network to ask (import its metrics from a file)"
        session.flush()
        return state
    report = _Report()
    try:
        adapter = adapter or channels_service.adapter_for(channel.network)
        credentials = channels_service.credentials(session=session, vault=vault, channel=channel)
        account = adapter.fetch_account(base_url=channel.base_url, credentials=credentials)
        if not isinstance(account, AccountMetrics):
            raise NetworkError(f"the {channel.network} adapter answered no account metrics")
        _store_account(session, channel, day, account, state)
        posts = tracked_posts(session=session, channel=channel, day=day, window_days=window_days)
        report.posts = len(posts)
        for start in range(0, len(posts), CHUNK):
            chunk = posts[start:start + CHUNK]
            found = adapter.fetch_metrics(base_url=channel.base_url, credentials=credentials,
                                          remote_ids=[p.remote_id for p in chunk])
            if not isinstance(found, dict):
                raise NetworkError(f"the {channel.network} adapter answered no post metrics")
            _store_posts(session, channel, day, chunk, found, state, report)
    except NetworkError as exc:
        state.error = exc.message
    except NotFound as exc:  # the credential is missing from the vault
        state.error = f"{exc.message}; connect the channel again"
    except InvalidInput as exc:  # a network not supported yet
        state.error = exc.message
    else:
        state.error = ""
        state.last_success_at, state.last_day, state.posts_read = utcnow(), day, report.written
    if state.stopped:
        report.notes.append("The network no longer returns " + ", ".join(
            f"{key.replace('.', ' ')} (since {since})" for key, since in sorted(state.stopped.items())) +
            "; those days are stored as unknown, not 0.")
    state.report = report.text() if not state.error else f"stopped by an error after {report.written} posts"
    session.flush()
    return state


def _note_stopped(state: MetricsSyncState, prefix: str, day: date, before, now_values: dict, names) -> None:
    """Name on the state the metrics that had a value on the last snapshot and have none now
    (and forget those that came back)."""
    stopped = dict(state.stopped or {})
    for name in names:
        key = f"{prefix}.{name}"
        if now_values.get(name) is not None:
            stopped.pop(key, None)
        elif before is not None and getattr(before, name) is not None and key not in stopped:
            stopped[key] = day.isoformat()
    if stopped != (state.stopped or {}):
        state.stopped = stopped


def _lower(before, values: dict, names) -> list[str]:
    if before is None:
        return []
    return [n for n in names if values.get(n) is not None and getattr(before, n) is not None
            and values[n] < getattr(before, n)]


def _store_account(session: Session, channel: Channel, day: date, account: AccountMetrics,
                   state: MetricsSyncState) -> AccountSnapshot:
    values = {name: getattr(account, name) for name in ACCOUNT_METRICS}
    before = session.scalar(select(AccountSnapshot).where(AccountSnapshot.channel_id == channel.id,
                                                          AccountSnapshot.day < day)
                            .order_by(AccountSnapshot.day.desc()).limit(1))
    row = session.scalar(select(AccountSnapshot).where(AccountSnapshot.channel_id == channel.id,
                                                       AccountSnapshot.day == day))
    if row is None:
        row = AccountSnapshot(client_id=channel.client_id, channel_id=channel.id, day=day)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.extra = dict(account.extra or {})
    row.decreased = _lower(before, values, ACCOUNT_METRICS)
    row.collected_at = utcnow()
    _note_stopped(state, "account", day, before, values, ACCOUNT_METRICS)
    session.flush()
    return row


def _latest(session: Session, client_id: int, network: str, remote_ids: list[str], *, before: date | None = None,
            on: date | None = None) -> dict[str, PostMetricSnapshot]:
    """Each post's snapshot of ``on``, or its newest one before ``before``."""
    query = select(PostMetricSnapshot).where(PostMetricSnapshot.client_id == client_id,
                                             PostMetricSnapshot.network == network,
                                             PostMetricSnapshot.remote_id.in_(remote_ids))
    if on is not None:
        return {r.remote_id: r for r in session.scalars(query.where(PostMetricSnapshot.day == on))}
    newest = (select(PostMetricSnapshot.remote_id, func.max(PostMetricSnapshot.day).label("day"))
              .where(PostMetricSnapshot.client_id == client_id, PostMetricSnapshot.network == network,
                     PostMetricSnapshot.remote_id.in_(remote_ids), PostMetricSnapshot.day < before)
              .group_by(PostMetricSnapshot.remote_id).subquery())
    rows = session.scalars(query.join(newest, (newest.c.remote_id == PostMetricSnapshot.remote_id)
                                      & (newest.c.day == PostMetricSnapshot.day)))
    return {r.remote_id: r for r in rows}


def _store_posts(session: Session, channel: Channel, day: date, posts: list[TrackedPost],
                 found: dict, state: MetricsSyncState, report: _Report) -> None:
    ids = [p.remote_id for p in posts]
    previous = _latest(session, channel.client_id, channel.network, ids, before=day)
    today = _latest(session, channel.client_id, channel.network, ids, on=day)
    for post in posts:
        metrics = found.get(post.remote_id)
        if not isinstance(metrics, PostMetrics):
            report.silent += 1
            continue
        values = {name: (None if metrics.gone else getattr(metrics, name)) for name in POST_METRICS}
        before = previous.get(post.remote_id)
        row = today.get(post.remote_id)
        if row is None:
            row = PostMetricSnapshot(client_id=channel.client_id, network=channel.network, remote_id=post.remote_id,
                                     day=day)
            session.add(row)
        row.channel_id, row.post_target_id = channel.id, post.post_target_id
        for name, value in values.items():
            setattr(row, name, value)
        row.extra = {} if metrics.gone else dict(metrics.extra or {})
        row.gone, row.source, row.collected_at = metrics.gone, "network", utcnow()
        row.decreased = _lower(before, values, POST_METRICS)
        for name in row.decreased:
            report.decreased[name] = report.decreased.get(name, 0) + 1
        if metrics.gone:
            post.gone_on = day
            report.gone.append(post.remote_id)
        else:
            _note_stopped(state, "post", day, before, values, POST_METRICS)
        report.written += 1
    session.flush()


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One day of a series. ``state``: ok (a value), gap (no snapshot that day), unreported (a
    snapshot, but the network did not give this metric), gone (the post was deleted)."""

    day: date
    value: int | None
    state: str
    decreased: bool = False  # lower than the snapshot before


@dataclass(frozen=True)
class Series:
    metric: str
    start: date
    end: date
    points: list[Point]

    @property
    def has_data(self) -> bool:
        return any(p.value is not None for p in self.points)


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise InvalidInput.on("end", f"{end} is before the start {start}")
    if (end - start).days >= MAX_SERIES_DAYS:
        raise InvalidInput.on("end", f"a series covers at most {MAX_SERIES_DAYS} days; shorten the period")


def series(*, session: Session, client_id: int, metric: str, start: date, end: date, channel_id: int | None = None,
           network: str | None = None, remote_id: str | None = None) -> Series:
    """Per-day values of one metric from ``start`` to ``end`` (both included), every day present:
    a channel's account metric (``channel_id``), one post's metric (``network`` and ``remote_id``),
    or, with neither, the client's account metric summed over its channels (a day some channel
    lacks is a gap: a partial sum would read as a fall)."""
    _check_period(start, end)
    if remote_id is not None:
        if metric not in POST_METRICS:
            raise InvalidInput.on("metric", f"{metric!r} is not a post metric ({', '.join(POST_METRICS)})")
        if not network:
            raise InvalidInput.on("network", "name the network of the post")
        rows = session.scalars(select(PostMetricSnapshot).where(
            PostMetricSnapshot.client_id == client_id, PostMetricSnapshot.network == network,
            PostMetricSnapshot.remote_id == remote_id, PostMetricSnapshot.day.between(start, end)))
        by_day = {r.day: (getattr(r, metric), "gone" if r.gone else None, metric in (r.decreased or []))
                  for r in rows}
        return Series(metric, start, end, _points(start, end, by_day))
    if metric not in ACCOUNT_METRICS:
        raise InvalidInput.on("metric", f"{metric!r} is not an account metric ({', '.join(ACCOUNT_METRICS)})")
    column = getattr(AccountSnapshot, metric)
    if channel_id is not None:
        rows = session.execute(select(AccountSnapshot.day, column, AccountSnapshot.decreased).where(
            AccountSnapshot.client_id == client_id, AccountSnapshot.channel_id == channel_id,
            AccountSnapshot.day.between(start, end))).all()
        return Series(metric, start, end, _points(start, end, {d: (v, None, metric in (dec or []))
                                                                for d, v, dec in rows}))
    channels = session.scalar(select(func.count(func.distinct(AccountSnapshot.channel_id))).where(
        AccountSnapshot.client_id == client_id, AccountSnapshot.day.between(start, end))) or 0
    rows = session.execute(select(AccountSnapshot.day, func.count(AccountSnapshot.id), func.count(column),
                                  func.sum(column)).where(
        AccountSnapshot.client_id == client_id, AccountSnapshot.day.between(start, end))
        .group_by(AccountSnapshot.day)).all()
    by_day = {}
    for day, snapshots, reported, total in rows:
        if snapshots < channels:
            continue  # a gap: some channel has no snapshot that day
        by_day[day] = (int(total) if reported == snapshots else None, None, False)
    return Series(metric, start, end, _points(start, end, by_day))


def _points(start: date, end: date, by_day: dict) -> list[Point]:
    out, day = [], start
    while day <= end:
        if day not in by_day:
            out.append(Point(day, None, "gap"))
        else:
            value, special, lower = by_day[day]
            state = special or ("ok" if value is not None else "unreported")
            out.append(Point(day, int(value) if value is not None else None, state, bool(lower)))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Delta:
    """How a metric moved over a series. ``change`` sums the moves between consecutive days that
    both have a value; ``across_gaps`` is what moved over missing days (known in total, not per
    day, so it is not in ``change``). None when there was nothing to compare; ``message`` says why."""

    metric: str
    first: int | None
    last: int | None
    change: int | None
    across_gaps: int | None
    days_compared: int  # day-to-day steps in ``change``
    per_day: float | None  # change / days_compared; None rather than a division by zero
    gaps: list[tuple[date, date]]  # runs of days without a value
    decreases: list[date]  # days lower than the day before
    message: str


def delta(data: Series) -> Delta:
    """The movement of ``data`` without inventing growth across its gaps (see :class:`Delta`)."""
    known = [p for p in data.points if p.value is not None]
    gaps = _runs([p.day for p in data.points if p.value is None])
    period = f"{data.start} to {data.end}"
    if not known:
        return Delta(data.metric, None, None, None, None, 0, None, gaps, [],
                     f"no data for {data.metric} from {period}; nothing to compare")
    change = across = steps = 0
    decreases = []
    for previous, current in zip(known, known[1:], strict=False):
        moved = current.value - previous.value
        if (current.day - previous.day).days == 1:
            change += moved
            steps += 1
        else:
            across += moved
        if moved < 0:
            decreases.append(current.day)
    parts = []
    if steps == 0:
        parts.append(f"only {len(known)} day{'s' if len(known) != 1 else ''} with {data.metric} from {period} and "
                     "no two in a row; no day-to-day change to report")
    if gaps:
        missing = sum((b - a).days + 1 for a, b in gaps)
        parts.append(f"{missing} day{'s' if missing != 1 else ''} without data"
                     + (f" ({across:+d} happened across them, not counted per day)" if across else ""))
    return Delta(data.metric, known[0].value, known[-1].value, change if steps else None,
                 across if len(known) > 1 else None, steps,
                 change / steps if steps else None, gaps, decreases, "; ".join(parts))


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def account_snapshots(*, session: Session, client_id: int, start: date, end: date,
                      channel_id: int | None = None) -> list[AccountSnapshot]:
    _check_period(start, end)
    query = select(AccountSnapshot).where(AccountSnapshot.client_id == client_id, AccountSnapshot.day.between(start, end))
    if channel_id is not None:
        query = query.where(AccountSnapshot.channel_id == channel_id)
    return list(session.scalars(query.order_by(AccountSnapshot.day, AccountSnapshot.channel_id)))


def post_snapshots(*, session: Session, client_id: int, start: date, end: date, channel_id: int | None = None,
                   remote_id: str | None = None, limit: int = 1000) -> list[PostMetricSnapshot]:
    _check_period(start, end)
    query = select(PostMetricSnapshot).where(PostMetricSnapshot.client_id == client_id,
                                             PostMetricSnapshot.day.between(start, end))
    if channel_id is not None:
        query = query.where(PostMetricSnapshot.channel_id == channel_id)
    if remote_id is not None:
        query = query.where(PostMetricSnapshot.remote_id == remote_id)
    return list(session.scalars(query.order_by(PostMetricSnapshot.day, PostMetricSnapshot.id).limit(limit)))
