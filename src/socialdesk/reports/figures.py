"""The numbers of a report, read from analytics, the inbox, listening, paid results and links.

Each reader answers for one client and one period of the client's calendar days. Missing data is
None (never 0): a section with nothing to show says so instead of dividing by zero.

Interactions gained in a period are read from the daily post snapshots (cumulative counts): a post's
interactions gained in the period are its highest count in the period less its highest count in the
:data:`BASELINE_DAYS` before it, never below 0 (an unlike does not make negative engagement). This is
activity in the period on every post with figures, older ones and ones made outside socialdesk
included; it is deliberately not the engagement rate. The engagement rate, the best times to post and
the competitor benchmarks are not read here: the report takes them from the Analytics dashboard
(:func:`socialdesk.analytics.insights.dashboard`) so the two never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.analytics import service as analytics
from socialdesk.analytics.models import PaidResult, PostMetricSnapshot
from socialdesk.channels.models import Channel
from socialdesk.clients.models import Client
from socialdesk.publishing.models import Post, PostTarget
from socialdesk.reports.periods import Period

ENGAGEMENT = ("likes", "reposts", "replies", "quotes")
BASELINE_DAYS = 35  # the analytics window (30 days) and a margin: a tracked post is read daily


def zone_of(client: Client) -> ZoneInfo:
    try:
        return ZoneInfo(client.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def utc_bounds(client: Client, period: Period) -> tuple[datetime, datetime]:
    """The period as a half-open UTC span: local midnight of the first day to that after the last."""
    zone = zone_of(client)
    return (datetime.combine(period.start, time(), zone).astimezone(UTC),
            datetime.combine(period.end + timedelta(days=1), time(), zone).astimezone(UTC))


# --- audience ---------------------------------------------------------------------------------


@dataclass
class Audience:
    followers_start: int | None
    followers_end: int | None
    change: int | None
    daily: list[tuple[date, int | None]]
    message: str


def audience(session: Session, client: Client, period: Period) -> Audience:
    data = analytics.series(session=session, client_id=client.id, metric="followers", start=period.start,
                            end=period.end)
    moved = analytics.delta(data)
    change = None
    if moved.first is not None and moved.last is not None and (moved.change is not None or moved.across_gaps):
        change = moved.last - moved.first
    return Audience(moved.first, moved.last, change, [(p.day, p.value) for p in data.points], moved.message)


# --- posts ------------------------------------------------------------------------------------


@dataclass
class PostFigures:
    network: str
    remote_id: str
    channel_id: int | None
    post_target_id: int | None
    engagement: int = 0
    impressions: int | None = None
    link_clicks: int | None = None
    text: str = ""
    url: str = ""


@dataclass
class Engagement:
    total: int | None  # None: no post snapshot in the period
    impressions: int | None
    link_clicks: int | None
    posts_measured: int
    posts_published: int
    daily: dict[date, int] = field(default_factory=dict)
    posts: list[PostFigures] = field(default_factory=list)


def _sum_known(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def engagement(session: Session, client: Client, period: Period, *, with_posts: bool = True) -> Engagement:
    """Interactions, impressions and link clicks the client's posts gained in the period, per day and per post."""
    snap = PostMetricSnapshot
    first = period.start - timedelta(days=BASELINE_DAYS)
    rows = session.execute(
        select(snap.network, snap.remote_id, snap.day, snap.channel_id, snap.post_target_id,
               *(getattr(snap, m) for m in ENGAGEMENT), snap.impressions, snap.link_clicks)
        .where(snap.client_id == client.id, snap.day >= first, snap.day <= period.end)
        .order_by(snap.network, snap.remote_id, snap.day)).all()
    published = session.scalar(select(func.count(PostTarget.id)).where(
        PostTarget.client_id == client.id, PostTarget.published_at >= utc_bounds(client, period)[0],
        PostTarget.published_at < utc_bounds(client, period)[1])) or 0
    posts: dict[tuple[str, str], PostFigures] = {}
    best_before: dict[tuple[str, str], list] = {}
    best_in: dict[tuple[str, str], list] = {}
    daily: dict[date, int] = defaultdict(int)
    running: dict[tuple[str, str], int] = {}
    for network, remote_id, day, channel_id, target_id, *counts in rows:
        key = (network, remote_id)
        interactions = _sum_known(counts[:4])
        values = [interactions, counts[4], counts[5]]
        if day < period.start:
            best = best_before.setdefault(key, [None, None, None])
        else:
            best = best_in.setdefault(key, [None, None, None])
            if key not in posts:
                posts[key] = PostFigures(network, remote_id, channel_id, target_id)
            figures = posts[key]
            figures.channel_id = figures.channel_id or channel_id
            figures.post_target_id = figures.post_target_id or target_id
            if interactions is not None:
                base = running.get(key)
                if base is None:
                    before = best_before.get(key)
                    base = before[0] if before and before[0] is not None else 0
                if interactions > base:
                    daily[day] += interactions - base
                    running[key] = interactions
                else:
                    running.setdefault(key, base)
        for i, value in enumerate(values):
            if value is not None and (best[i] is None or value > best[i]):
                best[i] = value
    totals = [None, None, None]
    for key, figures in posts.items():
        now, before = best_in[key], best_before.get(key, [None, None, None])
        gained = [None if n is None else max(0, n - (b or 0)) for n, b in zip(now, before, strict=True)]
        figures.engagement = gained[0] or 0
        figures.impressions, figures.link_clicks = gained[1], gained[2]
        for i, value in enumerate(gained):
            if value is not None:
                totals[i] = (totals[i] or 0) + value
    result = Engagement(totals[0] if posts else None, totals[1], totals[2], len(posts), published,
                        {d: daily.get(d, 0) for d in _days(period)} if posts else {})
    if with_posts:
        result.posts = sorted(posts.values(), key=lambda p: (-p.engagement, p.remote_id))
    return result


def _days(period: Period) -> list[date]:
    return [period.start + timedelta(days=i) for i in range(period.days)]


def describe_posts(session: Session, posts: list[PostFigures]) -> None:
    """Fill in each post's text and link (posts published here; others keep their id)."""
    target_ids = [p.post_target_id for p in posts if p.post_target_id]
    if target_ids:
        found = {tid: (text, main, url) for tid, text, main, url in session.execute(
            select(PostTarget.id, PostTarget.text, Post.text, PostTarget.remote_url)
            .join(Post, Post.id == PostTarget.post_id).where(PostTarget.id.in_(target_ids)))}
        for post in posts:
            if post.post_target_id in found:
                text, main, url = found[post.post_target_id]
                post.text, post.url = (text or main or ""), url or ""


# --- paid -------------------------------------------------------------------------------------


@dataclass
class Paid:
    currency: str | None
    spend: Decimal | None
    impressions: int | None
    clicks: int | None
    conversions: int | None

    @property
    def cost_per_click(self) -> Decimal | None:
        return (self.spend / self.clicks).quantize(Decimal("0.01")) if self.spend is not None and self.clicks else None

    @property
    def cost_per_conversion(self) -> Decimal | None:
        if self.spend is None or not self.conversions:
            return None
        return (self.spend / self.conversions).quantize(Decimal("0.01"))


def paid(session: Session, client: Client, period: Period) -> Paid:
    row = session.execute(select(func.count(PaidResult.id), func.sum(PaidResult.spend), func.sum(PaidResult.impressions),
                                 func.sum(PaidResult.clicks), func.sum(PaidResult.conversions),
                                 func.max(PaidResult.currency))
                          .where(PaidResult.client_id == client.id, PaidResult.day.between(period.start, period.end))
                          ).one()
    count, spend, impressions, clicks, conversions, currency = row
    if not count:
        return Paid(analytics.reporting_currency(session=session, client_id=client.id), None, None, None, None)
    return Paid(currency, Decimal(spend).quantize(Decimal("0.01")),
                *(int(v) if v is not None else None for v in (impressions, clicks, conversions)))


# --- listening ----------------------------------------------------------------------------------


@dataclass
class Listening:
    mentions: int
    by_topic: dict[str, int]
    sentiment: dict[str, int]  # of the brand's mentions


def listening(session: Session, client: Client, period: Period) -> Listening:
    from socialdesk.listening.models import Mention, MentionMatch

    lo, hi = utc_bounds(client, period)
    where = (MentionMatch.client_id == client.id, MentionMatch.created_at >= lo, MentionMatch.created_at < hi,
             MentionMatch.duplicate.is_(False))
    by_topic = dict(session.execute(select(MentionMatch.topic, func.count(func.distinct(MentionMatch.mention_id)))
                                    .where(*where).group_by(MentionMatch.topic)).all())
    sentiment = dict(session.execute(
        select(Mention.sentiment, func.count(func.distinct(Mention.id)))
        .join(MentionMatch, MentionMatch.mention_id == Mention.id)
        .where(*where, MentionMatch.topic == "brand").group_by(Mention.sentiment)).all())
    total = session.scalar(select(func.count(func.distinct(MentionMatch.mention_id))).where(*where)) or 0
    return Listening(total, by_topic, sentiment)


# --- links ------------------------------------------------------------------------------------


@dataclass
class Links:
    clicks: int
    conversions: int
    values: dict[str, Decimal]
    top: list[tuple[str, int, int]]  # (link, clicks, conversions)


def links(session: Session, client: Client, period: Period) -> Links:
    from socialdesk.links import service as links_service

    lines, total = links_service.stats(session=session, client_id=client.id, start=period.start, end=period.end,
                                       by="link")
    values = links_service.conversion_values(session=session, client_id=client.id, start=period.start, end=period.end)
    top = [(line.label, line.clicks, line.conversions) for line in lines if line.clicks or line.conversions][:5]
    return Links(total.clicks, total.conversions, values, top)


def channel_names(session: Session, client: Client) -> dict[int, str]:
    return {cid: name or handle or network for cid, name, handle, network in session.execute(
        select(Channel.id, Channel.display_name, Channel.handle, Channel.network).where(Channel.client_id == client.id))}
