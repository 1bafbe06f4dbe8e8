"""What a client's figures mean: KPIs against their targets, what works, best times to post,
recommendations with their evidence, competitor benchmarks, and the agency's view of all clients.

Definitions (shown to the user next to every figure):

- **Engagements** of a post: likes + reposts + replies + quotes, from its newest snapshot on or before
  the period's last day (a count the network did not report is left out of the sum, and said).
- **Engagement rate** of a post: engagements / impressions when the network reports impressions, else
  engagements / the channel's followers on the day it was published (the newest account snapshot on or
  before that day). Each post names its basis. A period's rate is Σ engagements / Σ impressions over the
  posts with impressions; only when no post has impressions is it Σ engagements / Σ followers.
- **Posts of a period**: published from socialdesk (a post target with a publish time) between the
  period's first and last day, in the client's time zone. Posts made elsewhere have no content to
  classify and are not in "what works".
- **KPI status**: for a figure where more is better, green at or above the target, amber from
  ``AMBER_SHARE`` of it, red below; where less is better (response time, cost per result), green at or
  below the target, amber up to ``AMBER_OVER`` times it, red above. No figure -> unknown, with why.
  Targets of counts (clicks, posts, ...) are per KPI period and are scaled to the length of the period
  looked at, unless it is within 10 % of the KPI period's length.
- **Team time**: estimated, not measured: each recorded action of a person (inbox reply, triage change,
  post written, approval, crisis-room decision or action, report set up or shared, listening query
  written) counts the typical minutes of its kind (``EFFORTS``, shown on the page). Posts imported from a
  CSV file (their "created" event says so) are counted apart and not timed.

Every query aggregates in SQL or reads plain columns (no ORM objects per row): the newest snapshot of
each post is found with one GROUP BY, account totals with GROUP BY channel or day.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from socialdesk.analytics import service
from socialdesk.analytics.models import AccountSnapshot, MetricsSyncState, PaidResult, PostMetricSnapshot
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client, KpiTarget
from socialdesk.clients.schemas import WEEKDAYS, KpiMetric
from socialdesk.kit.errors import InvalidInput
from socialdesk.publishing.models import IMPORTED, Campaign, MediaFile, Post, PostEvent, PostTarget

MAX_DAYS = 400
FIRST_YEAR, LAST_YEAR = 1970, 2200  # clear of datetime's limits once history weeks are subtracted
AMBER_SHARE = 0.8  # more is better: amber from 80 % of the target
AMBER_OVER = 1.25  # less is better: amber up to 125 % of the target
PERIOD_DAYS = {"week": 7.0, "month": 30.4375, "quarter": 91.3125, "year": 365.25}
ENGAGEMENT_PARTS = ("likes", "reposts", "replies", "quotes")
ENGAGEMENT_FORMULA = ("(likes + reposts + replies + quotes) ÷ impressions, or ÷ the channel's followers on the "
                      "day of posting when the network reports no impressions")
HISTORY_WEEKS = 12
MIN_HISTORY = 20  # posts in the history below which best times fall back to general guidance
MIN_CELL = 3  # posts in a weekday x hour cell below which its ratio is not trusted
MIN_GROUP = 5  # posts a group needs before a recommendation rests on it
STRONG, WEAK = 1.25, 0.75  # ratios to the median worth a recommendation
TOP = 5
WINDOW_HOURS = 2  # "what works" and recommendations read hours in 2-hour windows
_HASHTAG = re.compile(r"(?<![\w#&])#(\w{1,100})")

# When a client's history is thin: general guidance, NOT measured on this client. Industry best-time
# studies published yearly (Sprout Social's "Best times to post on social media", Hootsuite's) agree on
# weekday mornings to midday, Tuesday to Thursday, in the audience's local time; we use that one window
# for every network rather than pretend to per-network precision those studies do not share.
FALLBACK_SOURCE = ("general guidance from published industry best-time studies (Sprout Social, Hootsuite): "
                   "Tuesday to Thursday, 9:00–12:00 local time; not measured on this client")
FALLBACK_SLOTS = [(day, hour) for day in (1, 2, 3) for hour in (9, 10, 11)]

LOWER_IS_BETTER = {KpiMetric.FIRST_RESPONSE_HOURS.value, KpiMetric.COST_PER_RESULT.value}
SCALED = {KpiMetric.REACH.value, KpiMetric.IMPRESSIONS.value, KpiMetric.LINK_CLICKS.value,
          KpiMetric.CONVERSIONS.value, KpiMetric.LEADS.value, KpiMetric.POSTS_PUBLISHED.value,
          KpiMetric.AD_SPEND.value, KpiMetric.FOLLOWER_GROWTH.value}


# --- the period -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Local days ``start`` to ``end`` (both included) of a client, and their UTC bounds [lo, hi)."""

    start: date
    end: date
    zone: str
    lo: datetime
    hi: datetime

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"


def span(client: Client, start: date, end: date, *, field_prefix: str = "") -> Span:
    """The client's local days as a span; a reversed or overlong one is refused, naming the field."""
    for name, day in (("start", start), ("end", end)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise InvalidInput.on(f"{field_prefix}{name}", f"give a day between the years {FIRST_YEAR} and {LAST_YEAR}")
    if end < start:
        raise InvalidInput.on(f"{field_prefix}end", f"{end} is before the start {start}")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput.on(f"{field_prefix}start", f"the period may span at most {MAX_DAYS} days")
    zone = _zone(client)
    lo = datetime.combine(start, time(), ZoneInfo(zone)).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), ZoneInfo(zone)).astimezone(UTC)
    return Span(start, end, zone, lo, hi)


def _zone(client: Client) -> str:
    try:
        ZoneInfo(client.timezone or "UTC")
        return client.timezone or "UTC"
    except (KeyError, ValueError):
        return "UTC"


def default_period(client: Client, days: int = 30) -> tuple[date, date]:
    end = service.client_today(client)
    return end - timedelta(days=days - 1), end


# --- posts and their figures ----------------------------------------------------------------------


@dataclass
class PostFigures:
    """One published post with its newest counts up to the period's end and what it was."""

    target_id: int
    post_id: int
    channel_id: int
    network: str
    remote_id: str | None
    url: str | None
    published: datetime  # in the client's time zone
    text: str
    content_type: str  # text | link | image | gif | video
    media_count: int
    length: int
    hashtags: list[str]
    campaign: str | None
    counts: dict[str, int | None]
    engagements: int | None
    impressions: int | None
    followers: int | None
    link_clicks: int | None
    rate: float | None  # engagements / basis
    basis: str  # impressions | followers | none
    missing: list[str]  # engagement parts the network did not report
    gone: bool
    snapshot_day: date

    @property
    def weekday(self) -> int:
        return self.published.weekday()

    @property
    def hour(self) -> int:
        return self.published.hour


def _posts(session: Session, client_id: int, s: Span, zone: str, channel_id: int | None = None) -> list[PostFigures]:
    """The posts published in ``s`` with their newest snapshot on or before its last day (3 queries)."""
    pms = PostMetricSnapshot
    newest = (select(pms.post_target_id.label("tid"),
                     func.max(case((pms.gone.is_(False), pms.day))).label("day"),
                     func.max(case((pms.gone.is_(True), 1), else_=0)).label("gone"))
              .join(PostTarget, PostTarget.id == pms.post_target_id)
              .where(PostTarget.client_id == client_id, PostTarget.published_at >= s.lo,
                     PostTarget.published_at < s.hi, pms.client_id == client_id, pms.day <= s.end,
                     *([PostTarget.channel_id == channel_id] if channel_id else []))
              .group_by(pms.post_target_id).subquery())
    rows = session.execute(
        select(PostTarget.id, PostTarget.post_id, PostTarget.channel_id, PostTarget.network, PostTarget.remote_id,
               PostTarget.remote_url, PostTarget.published_at, PostTarget.text, Post.text, Post.link, Post.media_ids,
               Post.campaign_id, newest.c.gone, pms.day, pms.likes, pms.reposts, pms.replies, pms.quotes,
               pms.impressions, pms.link_clicks)
        .join(newest, newest.c.tid == PostTarget.id)
        .join(Post, Post.id == PostTarget.post_id)
        .join(pms, and_(pms.post_target_id == newest.c.tid, pms.day == newest.c.day))
        .order_by(PostTarget.published_at, PostTarget.id)).all()
    if not rows:
        return []
    media_ids = {int(m) for r in rows for m in (r[10] or []) if str(m).isdigit()}
    kinds = dict(session.execute(select(MediaFile.id, MediaFile.kind).where(MediaFile.id.in_(media_ids)))
                 .all()) if media_ids else {}
    campaign_ids = {r[11] for r in rows if r[11]}
    campaigns = dict(session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids)))
                     .all()) if campaign_ids else {}
    followers = _followers_by_day(session, client_id, s.start - timedelta(days=60), s.end)
    tz = ZoneInfo(zone)
    seen: set[int] = set()
    out: list[PostFigures] = []
    for (tid, post_id, ch, network, remote_id, url, published_at, variant, text, link, media, campaign_id, gone,
         day, likes, reposts, replies, quotes, impressions, link_clicks) in rows:
        if tid in seen:  # two snapshot rows on one day (imported and collected): the first is enough
            continue
        seen.add(tid)
        body = variant if variant is not None else (text or "")
        media_kinds = [kinds.get(int(m)) for m in (media or []) if str(m).isdigit()]
        media_kinds = [k for k in media_kinds if k]
        content_type = ("video" if "video" in media_kinds else "gif" if "gif" in media_kinds
                        else "image" if media_kinds else "link" if link else "text")
        counts = {"likes": likes, "reposts": reposts, "replies": replies, "quotes": quotes}
        known = [v for v in counts.values() if v is not None]
        engagements = sum(known) if known else None
        local = published_at.astimezone(tz)
        reach = _followers_on(followers.get(ch), local.date())
        if engagements is not None and impressions:
            rate, basis = engagements / impressions, "impressions"
        elif engagements is not None and reach:
            rate, basis = engagements / reach, "followers"
        else:
            rate, basis = None, "none"
        out.append(PostFigures(
            target_id=tid, post_id=post_id, channel_id=ch, network=network, remote_id=remote_id, url=url,
            published=local, text=body[:280], content_type=content_type, media_count=len(media_kinds),
            length=len(body), hashtags=sorted({t.lower() for t in _HASHTAG.findall(body)}),
            campaign=campaigns.get(campaign_id), counts=counts, engagements=engagements, impressions=impressions,
            followers=reach, rate=rate, basis=basis, link_clicks=link_clicks, missing=[k for k, v in counts.items() if v is None],
            gone=bool(gone), snapshot_day=day))
    return out


def _followers_by_day(session: Session, client_id: int, first: date, last: date) -> dict[int, tuple[list, list]]:
    """Per channel, the days with a follower count and the counts (sorted by day)."""
    out: dict[int, tuple[list, list]] = {}
    for ch, day, n in session.execute(
            select(AccountSnapshot.channel_id, AccountSnapshot.day, AccountSnapshot.followers)
            .where(AccountSnapshot.client_id == client_id, AccountSnapshot.day.between(first, last),
                   AccountSnapshot.followers.is_not(None))
            .order_by(AccountSnapshot.channel_id, AccountSnapshot.day)):
        days, values = out.setdefault(ch, ([], []))
        days.append(day)
        values.append(n)
    return out


def _followers_on(series: tuple[list, list] | None, day: date) -> int | None:
    if not series:
        return None
    at = bisect.bisect_right(series[0], day) - 1
    return series[1][at] if at >= 0 else None


@dataclass
class PeriodRate:
    """A period's engagement rate and how it was reached."""

    rate: float | None
    basis: str  # impressions | followers | none
    engagements: int
    denominator: int
    posts: int  # posts published in the period
    used: int  # posts the rate is computed over
    left_out: int  # posts with engagements but not on this basis
    unreported: int  # posts whose network reported no engagement count at all


def period_rate(posts: list[PostFigures]) -> PeriodRate:
    """Σ engagements / Σ impressions over the posts with impressions; else / Σ followers at posting."""
    counted = [p for p in posts if p.engagements is not None]
    unreported = len(posts) - len(counted)
    with_impressions = [p for p in counted if p.impressions]
    chosen, basis = (with_impressions, "impressions") if with_impressions else (
        [p for p in counted if p.followers], "followers")
    if not chosen:
        return PeriodRate(None, "none", sum(p.engagements for p in counted), 0, len(posts), 0, len(counted),
                          unreported)
    engagements = sum(p.engagements for p in chosen)
    denominator = sum((p.impressions if basis == "impressions" else p.followers) for p in chosen)
    return PeriodRate(engagements / denominator if denominator else None, basis, engagements, denominator,
                      len(posts), len(chosen), len(counted) - len(chosen), unreported)


# --- follower totals and growth -------------------------------------------------------------------


@dataclass
class Growth:
    """Followers at the start and end of a period, summed over the channels that reported both."""

    first: int | None
    last: int | None
    change: int | None
    percent: float | None
    channels: int  # channels counted
    silent: list[str]  # channels with no follower count in the period
    gaps: int  # days inside the period without a snapshot on a counted channel
    message: str


def follower_growth(*, session: Session, client_id: int, start: date, end: date) -> Growth:
    """Per channel, its first and last follower count in the period; summed (a gap between is crossed,
    not guessed: the change over it is real, only its timing is unknown)."""
    a = AccountSnapshot
    ends = (select(a.channel_id.label("ch"), func.min(a.day).label("first"), func.max(a.day).label("last"),
                   func.count(a.id).label("n"))
            .where(a.client_id == client_id, a.day.between(start, end), a.followers.is_not(None))
            .group_by(a.channel_id).subquery())
    rows = session.execute(
        select(ends.c.ch, ends.c.first, ends.c.last, ends.c.n, a.day, a.followers)
        .join(a, and_(a.channel_id == ends.c.ch, a.day.in_([ends.c.first, ends.c.last])))).all()
    per: dict[int, dict] = {}
    for ch, first, last, n, day, followers in rows:
        row = per.setdefault(ch, {"n": n, "days": (last - first).days + 1})
        if day == first:
            row["first"] = followers
        if day == last:
            row["last"] = followers
    names = dict(session.execute(select(Channel.id, Channel.display_name).where(Channel.client_id == client_id)).all())
    silent = sorted(name for ch, name in names.items() if ch not in per)
    if not per:
        return Growth(None, None, None, None, 0, silent, 0,
                      f"no follower counts from {start} to {end}; nothing to compare")
    first = sum(r["first"] for r in per.values())
    last = sum(r["last"] for r in per.values())
    gaps = sum(r["days"] - r["n"] for r in per.values())
    parts = []
    if gaps:
        parts.append(f"{gaps} channel-day{'s' if gaps != 1 else ''} without a snapshot inside the period; the "
                     "growth across them is counted once, from the counts on either side")
    if silent:
        parts.append("no follower count from " + ", ".join(silent))
    return Growth(first, last, last - first, (last - first) / first * 100 if first else None, len(per), silent, gaps,
                  "; ".join(parts))


# --- KPIs -------------------------------------------------------------------------------------------


@dataclass
class KpiResult:
    metric: str
    label: str
    target: float | None
    period: str  # the target's period (week, month, ...)
    target_for_period: float | None  # the target for the period looked at
    actual: float | None
    unit: str
    status: str  # green | amber | red | unknown
    better: str  # higher | lower
    formula: str
    numbers: dict
    sentence: str
    source: str = ""
    notes: str = ""

    @property
    def progress(self) -> float | None:
        """Actual as a percentage of the target (capped display is the page's business)."""
        if self.actual is None or not self.target_for_period:
            return None
        return self.actual / self.target_for_period * 100


def status_of(actual: float | None, target: float | None, *, lower_is_better: bool) -> str:
    if actual is None or target is None:
        return "unknown"
    if lower_is_better:
        if actual <= target:
            return "green"
        return "amber" if actual <= target * AMBER_OVER else "red"
    if actual >= target:
        return "green"
    return "amber" if actual >= target * AMBER_SHARE else "red"


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no figure"
    text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} %"


@dataclass
class _Context:
    """Figures several KPIs share, read once per period."""

    session: Session
    client: Client
    span: Span
    posts: list[PostFigures] | None = None
    cache: dict = field(default_factory=dict)

    def get_posts(self) -> list[PostFigures]:
        if self.posts is None:
            self.posts = _posts(self.session, self.client.id, self.span, self.span.zone)
        return self.posts

    def once(self, key: str, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


def _links():
    """The links domain's readers, or None where it is not installed."""
    try:
        from socialdesk.links import service as links_service
        from socialdesk.links.models import Conversion, TrackedLink
    except ImportError:  # pragma: no cover - the links domain ships with socialdesk
        return None
    return links_service, TrackedLink, Conversion


def _measure(ctx: _Context, metric: str) -> dict:
    """actual, formula, numbers, source and a note for one metric over the context's span; actual None
    with ``why`` when there is no figure."""
    s, session, cid = ctx.span, ctx.session, ctx.client.id
    if metric == KpiMetric.ENGAGEMENT_RATE:
        r = period_rate(ctx.get_posts())
        numbers = {"engagements": r.engagements, "denominator": r.denominator, "basis": r.basis, "posts": r.posts,
                   "posts_used": r.used, "posts_left_out": r.left_out, "posts_unreported": r.unreported}
        formula = ("Σ (likes + reposts + replies + quotes) ÷ Σ impressions × 100 over the posts published in the "
                   "period that report impressions" if r.basis != "followers" else
                   "Σ (likes + reposts + replies + quotes) ÷ Σ followers on the day of posting × 100 (no post of "
                   "the period reports impressions)")
        if r.rate is None:
            why = ("no post was published in the period" if not r.posts else
                   "the networks reported neither impressions nor follower counts for the period's posts")
            return {"actual": None, "why": why, "formula": formula, "numbers": numbers}
        note = f"{r.left_out} post{'s' if r.left_out != 1 else ''} without impressions left out" if r.left_out else ""
        return {"actual": r.rate * 100, "formula": formula, "numbers": numbers, "note": note,
                "source": f"{r.used} post{'s' if r.used != 1 else ''}, {r.engagements:,} engagements ÷ "
                          f"{r.denominator:,} {r.basis}"}
    if metric in (KpiMetric.FOLLOWERS, KpiMetric.FOLLOWER_GROWTH):
        g = ctx.once("growth", lambda: follower_growth(session=session, client_id=cid, start=s.start, end=s.end))
        numbers = {"first": g.first, "last": g.last, "change": g.change, "channels": g.channels}
        if metric == KpiMetric.FOLLOWERS:
            if g.last is None:
                return {"actual": None, "why": g.message, "formula": "followers on the last day with a count, "
                        "summed over the channels", "numbers": numbers}
            return {"actual": g.last, "numbers": numbers, "note": g.message,
                    "formula": "followers on each channel's last day with a count in the period, summed",
                    "source": f"{g.channels} channel{'s' if g.channels != 1 else ''}"}
        formula = "(followers at the end − followers at the start) ÷ followers at the start × 100, per channel's " \
                  "first and last count in the period, summed over channels"
        if g.percent is None:
            why = g.message if g.first is None else "there were no followers at the start to grow from"
            return {"actual": None, "why": why, "formula": formula, "numbers": numbers}
        return {"actual": g.percent, "formula": formula, "numbers": numbers, "note": g.message,
                "source": f"{g.first:,} → {g.last:,} followers ({g.change:+,})"}
    if metric == KpiMetric.IMPRESSIONS:
        posts = [p for p in ctx.get_posts() if p.impressions is not None]
        numbers = {"posts": len(ctx.get_posts()), "posts_with_impressions": len(posts)}
        if not posts:
            return {"actual": None, "why": "no post of the period reports impressions (Mastodon and Bluesky never "
                    "do)", "formula": "Σ impressions of the period's posts", "numbers": numbers}
        total = sum(p.impressions for p in posts)
        return {"actual": total, "formula": "Σ impressions of the posts published in the period", "numbers":
                {**numbers, "impressions": total}, "source": f"{len(posts)} posts"}
    if metric == KpiMetric.REACH:
        return {"actual": None, "formula": "unique accounts reached", "numbers": {},
                "why": "unknown — no data source: the connected networks report impressions, not reach (unique "
                       "accounts); set an impressions KPI instead"}
    if metric == KpiMetric.POSTS_PUBLISHED:
        n = session.scalar(select(func.count(distinct(PostTarget.post_id))).where(
            PostTarget.client_id == cid, PostTarget.published_at >= s.lo, PostTarget.published_at < s.hi)) or 0
        return {"actual": n, "formula": "posts with at least one channel published in the period",
                "numbers": {"posts": n}, "source": "the publishing history"}
    if metric == KpiMetric.FIRST_RESPONSE_HOURS:
        from socialdesk.inbox.reports import response_report

        report = response_report(session=session, client_ids=[cid], start=s.lo, end=s.hi)
        numbers = {"conversations": report.total.conversations, "answered": report.total.answered,
                   "median_seconds": report.total.median_seconds, "p90_seconds": report.total.p90_seconds}
        formula = "median time to the first answer of the conversations that began in the period, in hours"
        if report.total.median_seconds is None:
            why = report.message or "no conversation of the period was answered"
            return {"actual": None, "why": why, "formula": formula, "numbers": numbers}
        return {"actual": report.total.median_seconds / 3600, "formula": formula, "numbers": numbers,
                "source": f"{report.total.answered} of {report.total.conversations} conversations answered (inbox)"}
    if metric in (KpiMetric.SHARE_OF_VOICE, KpiMetric.POSITIVE_SENTIMENT):
        board = ctx.once("listening", lambda: competitors(session=session, client_id=cid, start=s.start, end=s.end))
        if metric == KpiMetric.SHARE_OF_VOICE:
            formula = "brand mentions ÷ (brand + competitor mentions) × 100 (listening)"
            numbers = {"brand": board.brand.mentions, "total": board.total}
            if not board.competitors:
                return {"actual": None, "formula": formula, "numbers": numbers,
                        "why": "unknown — no data source: add a competitor query in Listening to measure share of voice"}
            if not board.total:
                return {"actual": None, "formula": formula, "numbers": numbers,
                        "why": "no brand or competitor mention in the period"}
            return {"actual": board.brand.percent, "formula": formula, "numbers": numbers,
                    "source": f"{board.brand.mentions:,} of {board.total:,} mentions"}
        formula = "positive brand mentions ÷ all brand mentions × 100 (listening, VADER sentiment)"
        numbers = {"brand_mentions": board.brand.mentions, **board.brand.sentiment}
        if not board.brand.mentions:
            return {"actual": None, "formula": formula, "numbers": numbers,
                    "why": "no brand mention in the period" if board.has_brand_query else
                    "unknown — no data source: add a brand query in Listening"}
        return {"actual": board.brand.percents.get("positive", 0.0), "formula": formula, "numbers": numbers,
                "source": f"{board.brand.sentiment.get('positive', 0):,} of {board.brand.mentions:,} brand mentions"}
    if metric in (KpiMetric.AD_SPEND, KpiMetric.COST_PER_RESULT):
        paid = ctx.once("paid", lambda: _paid(session, cid, s))
        if metric == KpiMetric.AD_SPEND:
            if not paid["rows"]:
                return {"actual": None, "formula": "Σ spend of the imported paid results",
                        "numbers": paid, "why": "no paid results imported for the period"}
            return {"actual": float(paid["spend"]), "formula": "Σ spend of the imported paid results",
                    "numbers": paid, "source": f"{paid['rows']} rows in {paid['currency']}"}
        results, kind = (paid["conversions"], "conversions") if paid["conversions"] else (paid["clicks"], "clicks")
        formula = "Σ spend ÷ Σ conversions of the paid results (÷ clicks when no conversions are reported)"
        if not paid["rows"]:
            return {"actual": None, "formula": formula, "numbers": paid, "why": "no paid results imported for the period"}
        if not results:
            return {"actual": None, "formula": formula, "numbers": paid,
                    "why": f"{paid['spend']} {paid['currency']} spent but no conversions or clicks to divide by"}
        return {"actual": float(paid["spend"]) / results, "formula": formula, "numbers": {**paid, "results": kind},
                "source": f"{paid['spend']} {paid['currency']} ÷ {results:,} {kind}"}
    if metric in (KpiMetric.LINK_CLICKS, KpiMetric.CONVERSIONS, KpiMetric.LEADS):
        return _link_measure(ctx, metric)
    return {"actual": None, "formula": "", "numbers": {},
            "why": f"unknown — no data source: socialdesk does not measure {metric!r}"}


def _paid(session: Session, client_id: int, s: Span) -> dict:
    row = session.execute(select(func.count(PaidResult.id), func.sum(PaidResult.spend), func.sum(PaidResult.clicks),
                                 func.sum(PaidResult.conversions), func.min(PaidResult.currency))
                          .where(PaidResult.client_id == client_id, PaidResult.day.between(s.start, s.end))).one()
    rows, spend, clicks, conversions, currency = row
    return {"rows": rows or 0, "spend": Decimal(spend or 0).quantize(Decimal("0.01")), "clicks": int(clicks or 0),
            "conversions": int(conversions or 0), "currency": currency or ""}


def _link_measure(ctx: _Context, metric: str) -> dict:
    s, session, cid = ctx.span, ctx.session, ctx.client.id
    links = _links()
    has_links = False
    if links is not None:
        links_service, TrackedLink, Conversion = links
        has_links = bool(session.scalar(select(func.count(TrackedLink.id)).where(TrackedLink.client_id == cid)))
    if metric == KpiMetric.LINK_CLICKS:
        formula = "clicks on the client's tracked short links in the period"
        if has_links:
            n = sum(links_service.clicks(session=session, client_id=cid, start=s.start, end=s.end).values())
            return {"actual": n, "formula": formula, "numbers": {"clicks": n}, "source": "tracked links"}
        reported = [p.link_clicks for p in ctx.get_posts() if p.link_clicks is not None]
        if reported:
            return {"actual": sum(reported), "formula": "Σ link clicks the networks report for the period's posts",
                    "numbers": {"clicks": sum(reported), "posts": len(reported)},
                    "source": f"{len(reported)} posts (network counts)"}
        paid = ctx.once("paid", lambda: _paid(session, cid, s))
        if paid["rows"] and paid["clicks"]:
            return {"actual": paid["clicks"], "formula": "clicks of the imported paid results",
                    "numbers": {"clicks": paid["clicks"]}, "source": "paid results"}
        return {"actual": None, "formula": formula, "numbers": {},
                "why": "unknown — no data source: no tracked links, no link clicks from the networks and no paid results with clicks"}
    kind = "lead" if metric == KpiMetric.LEADS else None
    formula = ("conversions of kind 'lead' recorded through tracked links" if kind else
               "conversions recorded through tracked links (the pixel or server calls)")
    if has_links:
        n = sum(links_service.conversions(session=session, client_id=cid, start=s.start, end=s.end,
                                          kind=kind).values())
        return {"actual": n, "formula": formula, "numbers": {"conversions": n}, "source": "tracked links"}
    if metric == KpiMetric.CONVERSIONS:
        paid = ctx.once("paid", lambda: _paid(session, cid, s))
        if paid["rows"] and paid["conversions"]:
            return {"actual": paid["conversions"], "formula": "conversions of the imported paid results",
                    "numbers": {"conversions": paid["conversions"]}, "source": "paid results"}
    return {"actual": None, "formula": formula, "numbers": {},
            "why": "unknown — no data source: no tracked links" + ("" if kind else " and no paid conversions")}


def _scaled(target: float, metric: str, period: str, days: int) -> tuple[float, str]:
    """The target for ``days`` days, and a note when it was scaled from the KPI's period."""
    length = PERIOD_DAYS.get(period)
    if metric not in SCALED or not length or abs(days - length) / length <= 0.1:
        return target, ""
    scaled = target * days / length
    return scaled, f"{_fmt(target)} per {period} is {_fmt(round(scaled, 2))} for these {days} days"


def _kpi(ctx: _Context, target: KpiTarget) -> KpiResult:
    metric = str(target.metric)
    try:
        label = KpiMetric(metric).label
    except ValueError:
        label = metric.replace("_", " ").capitalize()
    lower = metric in LOWER_IS_BETTER
    unit = target.unit or ("%" if metric.endswith("_percent") else "")
    period = str(target.period.value if hasattr(target.period, "value") else target.period)
    goal, scale_note = _scaled(float(target.target), metric, period, ctx.span.days)
    m = _measure(ctx, metric)
    actual = m["actual"]
    if actual is not None:
        actual = round(float(actual), 2)
    state = status_of(actual, goal, lower_is_better=lower)
    goal_text = _fmt(round(goal, 2), unit) + (f" ({scale_note})" if scale_note else f" per {period}")
    if actual is None:
        sentence = f"{label}: no figure for {ctx.span.label} — {m['why'].removeprefix('unknown — ')}."
    else:
        verb = {"green": "on target", "amber": "close to target", "red": "off target"}[state]
        direction = "at most" if lower else "at least"
        sentence = (f"{label} was {_fmt(actual, unit)} for {ctx.span.label} against a target of {direction} "
                    f"{goal_text}: {verb}" + (f" ({m['source']})" if m.get("source") else "") + ".")
        if m.get("note"):
            sentence += f" Note: {m['note']}."
    return KpiResult(metric=metric, label=label, target=float(target.target), period=period,
                     target_for_period=round(goal, 4), actual=actual, unit=unit, status=state,
                     better="lower" if lower else "higher", formula=m.get("formula", ""), numbers=m.get("numbers", {}),
                     sentence=sentence, source=m.get("source", ""), notes=m.get("note", "") or m.get("why", ""))


def kpis(*, session: Session, client_id: int, start: date, end: date) -> list[KpiResult]:
    """Each KPI target of the client against its actual figure from ``start`` to ``end``."""
    client = clients_service.get(session=session, client_id=client_id)
    return _kpis(_Context(session, client, span(client, start, end)))


def _kpis(ctx: _Context) -> list[KpiResult]:
    targets = session_targets(ctx.session, ctx.client.id)
    return [_kpi(ctx, t) for t in targets]


def session_targets(session: Session, client_id: int) -> list[KpiTarget]:
    return list(session.scalars(select(KpiTarget).where(KpiTarget.client_id == client_id).order_by(KpiTarget.id)))


# --- what works -------------------------------------------------------------------------------------


@dataclass
class Group:
    dimension: str
    key: str
    label: str
    n: int
    median_rate: float
    ratio: float | None  # median rate of the group ÷ median rate of all posts
    engagements: int


@dataclass
class WhatWorks:
    start: date
    end: date
    posts: int  # posts published in the period
    rated: int  # posts with an engagement rate
    median_rate: float | None
    top: list[PostFigures]
    bottom: list[PostFigures]
    groups: dict[str, list[Group]]  # dimension -> groups, best first
    message: str
    formula: str = ENGAGEMENT_FORMULA


def _window(hour: int) -> tuple[int, str]:
    first = hour - hour % WINDOW_HOURS
    return first, f"{first:02d}:00–{first + WINDOW_HOURS:02d}:00"


def _length_bucket(n: int) -> tuple[str, str]:
    if n < 80:
        return "short", "short (under 80 characters)"
    if n < 200:
        return "medium", "medium (80–199 characters)"
    return "long", "long (200 characters or more)"


def _keys(p: PostFigures) -> dict[str, list[tuple[str, str]]]:
    window, window_label = _window(p.hour)
    length, length_label = _length_bucket(p.length)
    media = "none" if not p.media_count else "one" if p.media_count == 1 else "several"
    return {
        "content_type": [(p.content_type, p.content_type.capitalize() + " posts")],
        "network": [(p.network, p.network.capitalize() if p.network != "x" else "X")],
        "hashtag": [(t, f"#{t}") for t in p.hashtags] or [("", "no hashtag")],
        "campaign": [(p.campaign or "", p.campaign or "no campaign")],
        "length": [(length, length_label.capitalize())],
        "media": [(media, {"none": "No media", "one": "One media file", "several": "Several media files"}[media])],
        "weekday": [(str(p.weekday), WEEKDAYS[p.weekday])],
        "hour": [(str(window), window_label)],
    }


def _groups(posts: list[PostFigures], median: float | None) -> dict[str, list[Group]]:
    buckets: dict[str, dict[str, tuple[str, list[PostFigures]]]] = defaultdict(dict)
    for p in posts:
        for dim, keys in _keys(p).items():
            for key, label in keys:
                buckets[dim].setdefault(key, (label, []))[1].append(p)
    out: dict[str, list[Group]] = {}
    for dim, groups in buckets.items():
        rows = []
        for key, (label, members) in groups.items():
            rate = statistics.median(m.rate for m in members)
            rows.append(Group(dim, key, label, len(members), rate, rate / median if median else None,
                              sum(m.engagements or 0 for m in members)))
        rows.sort(key=lambda g: (-(g.ratio or 0), -g.n, g.label))
        out[dim] = rows
    return out


def _what_works(posts: list[PostFigures], start: date, end: date) -> WhatWorks:
    rated = [p for p in posts if p.rate is not None]
    if not rated:
        message = ("no post was published in the period" if not posts else
                   f"none of the {len(posts)} posts has an engagement rate (no impressions or follower counts)")
        return WhatWorks(start, end, len(posts), 0, None, [], [], {}, message)
    median = statistics.median(p.rate for p in rated)
    ordered = sorted(rated, key=lambda p: (-p.rate, -(p.engagements or 0), p.target_id))
    # With few posts the two lists share them out rather than repeat the same posts.
    top = ordered[:min(TOP, -(-len(ordered) // 2))]
    bottom = list(reversed(ordered[len(top):]))[:TOP]
    message = "" if median else "the median post got no engagement, so groups are not compared with it"
    if len(rated) < len(posts):
        message = "; ".join(filter(None, [message, f"{len(posts) - len(rated)} of {len(posts)} posts have no rate "
                                                   "(no impressions or follower counts) and are left out"]))
    return WhatWorks(start, end, len(posts), len(rated), median, top, bottom, _groups(rated, median), message)


def what_works(*, session: Session, client_id: int, start: date, end: date) -> WhatWorks:
    """Top and bottom posts of the period and their engagement rate by content type, network, hashtag,
    campaign, length, media, weekday and hour, against the median post."""
    client = clients_service.get(session=session, client_id=client_id)
    s = span(client, start, end)
    return _what_works(_posts(session, client_id, s, s.zone), start, end)


# --- best times -------------------------------------------------------------------------------------


@dataclass
class Cell:
    weekday: int
    hour: int
    n: int
    median_rate: float | None
    ratio: float | None  # the cell's median rate ÷ the median of all posts
    thin: bool  # fewer than MIN_CELL posts


@dataclass
class BestTimes:
    channel_id: int | None
    start: date
    end: date
    weeks: int
    n: int  # posts with a rate in the history
    median_rate: float | None
    cells: list[list[Cell]]  # [weekday][hour]
    best: list[Cell]  # the best cells with at least MIN_CELL posts (or the fallback's slots)
    fallback: bool
    source: str  # "this client's history" or FALLBACK_SOURCE
    message: str
    zone: str
    min_history: int = MIN_HISTORY
    min_cell: int = MIN_CELL


def _best_times(posts: list[PostFigures], start: date, end: date, weeks: int, channel_id: int | None,
                zone: str) -> BestTimes:
    rated = [p for p in posts if p.rate is not None and (channel_id is None or p.channel_id == channel_id)]
    median = statistics.median(p.rate for p in rated) if rated else None
    by_cell: dict[tuple[int, int], list[float]] = defaultdict(list)
    for p in rated:
        by_cell[(p.weekday, p.hour)].append(p.rate)
    cells = []
    for day in range(7):
        row = []
        for hour in range(24):
            rates = by_cell.get((day, hour), [])
            rate = statistics.median(rates) if rates else None
            row.append(Cell(day, hour, len(rates), rate, rate / median if rate is not None and median else None,
                            len(rates) < MIN_CELL))
        cells.append(row)
    trusted = sorted((c for row in cells for c in row if not c.thin and c.ratio is not None),
                     key=lambda c: (-c.ratio, -c.n, c.weekday, c.hour))
    where = "on this channel" if channel_id else "on this client's channels"
    if len(rated) < MIN_HISTORY or not trusted:
        reason = (f"only {len(rated)} post{'s' if len(rated) != 1 else ''} with an engagement rate {where} in the "
                  f"last {weeks} weeks (at least {MIN_HISTORY} are needed)" if len(rated) < MIN_HISTORY else
                  f"no weekday and hour has {MIN_CELL} or more posts yet (n={len(rated)})")
        if median == 0:
            reason = f"the median post got no engagement (n={len(rated)})"
        best = [cells[d][h] for d, h in FALLBACK_SLOTS]
        return BestTimes(channel_id, start, end, weeks, len(rated), median, cells, best, True, FALLBACK_SOURCE,
                         f"{reason}; showing {FALLBACK_SOURCE}", zone)
    better = [c for c in trusted if c.ratio > 1] or trusted[:1]
    return BestTimes(channel_id, start, end, weeks, len(rated), median, cells, better[:3], False,
                     f"this client's history: {len(rated)} posts over {weeks} weeks", "", zone)


def _history_span(client: Client, end: date | None, weeks: int) -> Span:
    if not 1 <= weeks <= 52:
        raise InvalidInput.on("weeks", "give between 1 and 52 weeks")
    end = end or service.client_today(client)
    if not FIRST_YEAR <= end.year <= LAST_YEAR:
        raise InvalidInput.on("end", f"give a day between the years {FIRST_YEAR} and {LAST_YEAR}")
    return span(client, end - timedelta(days=weeks * 7 - 1), end)


def best_times(*, session: Session, client_id: int, channel_id: int | None = None, weeks: int = HISTORY_WEEKS,
               end: date | None = None) -> BestTimes:
    """Engagement rate per weekday × hour of posting (client's time) against the median post, with n per
    cell, over the ``weeks`` before ``end``; general guidance (labelled) when the history is thin."""
    client = clients_service.get(session=session, client_id=client_id)
    s = _history_span(client, end, weeks)
    posts = _posts(session, client_id, s, s.zone, channel_id)
    return _best_times(posts, s.start, s.end, weeks, channel_id, s.zone)


# --- recommendations --------------------------------------------------------------------------------


@dataclass
class Recommendation:
    text: str
    kind: str  # do_more | do_less | timing | kpi | thin
    ratio: float | None = None
    n: int | None = None
    weeks: int | None = None
    evidence: dict = field(default_factory=dict)


def _times(ratio: float) -> str:
    return f"{ratio:.1f}x"


def _recommendations(posts: list[PostFigures], weeks: int, results: list[KpiResult]) -> list[Recommendation]:
    rated = [p for p in posts if p.rate is not None]
    out: list[Recommendation] = []
    over = f"over the last {weeks} weeks"
    if len(rated) < MIN_GROUP * 2 or not statistics.median(p.rate for p in rated):
        out.append(Recommendation(
            f"Not enough history to compare posts yet: {len(rated)} post{'s' if len(rated) != 1 else ''} with an "
            f"engagement rate {over} (n={len(rated)}; at least {MIN_GROUP * 2} needed). Until then, post in the "
            f"windows of the {FALLBACK_SOURCE}.", "thin", None, len(rated), weeks))
    else:
        median = statistics.median(p.rate for p in rated)
        candidates: list[Recommendation] = []
        # Content type x weekday x 2-hour window: the sharpest advice when enough posts share it.
        combo: dict[tuple, list[PostFigures]] = defaultdict(list)
        for p in rated:
            combo[(p.content_type, p.weekday, _window(p.hour)[0])].append(p)
        for (kind, day, first), members in combo.items():
            if len(members) < MIN_GROUP:
                continue
            ratio = statistics.median(m.rate for m in members) / median
            if ratio >= STRONG:
                label = _window(first)[1]
                candidates.append(Recommendation(
                    f"{kind.capitalize()} posts on {WEEKDAYS[day]} {label} got {_times(ratio)} the median "
                    f"engagement rate {over}, n={len(members)}: schedule more of them there.", "timing", ratio,
                    len(members), weeks, {"content_type": kind, "weekday": day, "hours": label,
                                          "median_rate": round(median * 100, 3),
                                          "group_rate": round(ratio * median * 100, 3)}))
        for dim, groups in _groups(rated, median).items():
            if dim in ("campaign",):
                continue
            for g in groups:
                if g.n < MIN_GROUP or g.ratio is None or g.key == "":
                    continue
                name = {"content_type": g.label, "network": f"Posts on {g.label}", "hashtag": f"Posts with {g.label}",
                        "length": f"{g.label} posts", "media": f"Posts with {g.label.lower()}",
                        "weekday": f"Posts on {g.label}", "hour": f"Posts at {g.label}"}[dim]
                if g.ratio >= STRONG:
                    candidates.append(Recommendation(
                        f"{name} got {_times(g.ratio)} the median engagement rate {over}, n={g.n}: do more of "
                        "this.", "do_more", g.ratio, g.n, weeks,
                        {"dimension": dim, "group": g.key, "median_rate": round(median * 100, 3),
                         "group_rate": round(g.median_rate * 100, 3)}))
                elif g.ratio <= WEAK:
                    candidates.append(Recommendation(
                        f"{name} got only {_times(g.ratio)} the median engagement rate {over}, n={g.n}: rework "
                        "or reduce them.", "do_less", g.ratio, g.n, weeks,
                        {"dimension": dim, "group": g.key, "median_rate": round(median * 100, 3),
                         "group_rate": round(g.median_rate * 100, 3)}))
        # Strongest evidence first: distance from the median weighted by how many posts back it.
        candidates.sort(key=lambda r: -(abs((r.ratio or 1) - 1) * min(r.n or 0, 50)))
        # At most four things to do more of and two to do less of, so a warning is never crowded out.
        seen: set[str] = set()
        room = {"do_more": 4, "do_less": 2}
        for rec in candidates:
            key = rec.text.split(" got ")[0]
            pool = "do_less" if rec.kind == "do_less" else "do_more"
            if key in seen or room[pool] == 0:
                continue
            seen.add(key)
            room[pool] -= 1
            out.append(rec)
        if not out:
            out.append(Recommendation(
                f"No kind of post stands out {over}: every group of at least {MIN_GROUP} posts is within "
                f"{_times(WEAK)}–{_times(STRONG)} of the median engagement rate (n={len(rated)}).", "thin", None,
                len(rated), weeks))
    for k in results:
        if k.status == "red":
            out.append(Recommendation(k.sentence, "kpi", None, None, None,
                                      {"metric": k.metric, "actual": k.actual, "target": k.target_for_period}))
    return out


def recommendations(*, session: Session, client_id: int, end: date | None = None,
                    weeks: int = HISTORY_WEEKS) -> list[Recommendation]:
    """Advice as sentences, each with its evidence (ratio to the median, n, weeks), from the ``weeks``
    before ``end``, and the KPIs of the last 30 days that are off target."""
    client = clients_service.get(session=session, client_id=client_id)
    s = _history_span(client, end, weeks)
    posts = _posts(session, client_id, s, s.zone)
    recent = span(client, s.end - timedelta(days=29), s.end)
    ctx = _Context(session, client, recent, [p for p in posts if p.published.date() >= recent.start])
    return _recommendations(posts, weeks, _kpis(ctx))


# --- competitors ------------------------------------------------------------------------------------


@dataclass
class Benchmark:
    name: str
    kind: str  # brand | competitor
    query_id: int | None
    mentions: int
    percent: float  # share of voice
    sentiment: dict[str, int]
    percents: dict[str, float]


@dataclass
class Competitors:
    start: date
    end: date
    brand: Benchmark
    competitors: list[Benchmark]
    total: int
    has_brand_query: bool
    message: str

    @property
    def rows(self) -> list[Benchmark]:
        return [self.brand, *self.competitors]


def competitors(*, session: Session, client_id: int, start: date, end: date) -> Competitors:
    """The brand against each competitor query: mentions, share of voice (adding up to 100 %) and sentiment."""
    from socialdesk.listening import dashboard as dash
    from socialdesk.listening.models import ListeningQuery, Mention, MentionMatch

    client = clients_service.get(session=session, client_id=client_id)
    s = span(client, start, end)
    p = dash.day_period(first=start, last=end, zone=s.zone)
    voices = dash.share_of_voice(session=session, client_id=client_id, period=p)
    mm = MentionMatch
    where = [mm.client_id == client_id, mm.created_at >= p.start, mm.created_at < p.end]
    per_query: dict[int, dict[str, int]] = defaultdict(dict)
    for qid, label, n in session.execute(
            select(mm.query_id, Mention.sentiment, func.count(distinct(mm.mention_id)))
            .join(Mention, Mention.id == mm.mention_id).where(*where, mm.topic == "competitor")
            .group_by(mm.query_id, Mention.sentiment)):
        per_query[qid][label] = n
    brand_sentiment = dict(session.execute(
        select(Mention.sentiment, func.count(distinct(mm.mention_id))).join(Mention, Mention.id == mm.mention_id)
        .where(*where, mm.topic == "brand").group_by(Mention.sentiment)).all())
    has_brand = bool(session.scalar(select(func.count(ListeningQuery.id)).where(
        ListeningQuery.client_id == client_id, ListeningQuery.topic == "brand")))

    def bench(v, counts: dict[str, int]) -> Benchmark:
        values = [counts.get(x, 0) for x in ("positive", "neutral", "negative")]
        return Benchmark(v.name, v.kind, v.query_id, v.mentions, v.percent,
                         dict(zip(("positive", "neutral", "negative"), values, strict=True)),
                         dict(zip(("positive", "neutral", "negative"), dash.shares(values), strict=True)))

    brand = bench(voices[0], brand_sentiment)
    rivals = [bench(v, per_query.get(v.query_id, {})) for v in voices[1:]]
    total = sum(v.mentions for v in voices)
    message = ("no competitor queries yet: add them in Listening to benchmark against competitors" if not rivals
               else "no brand or competitor mention in the period" if not total else "")
    return Competitors(start, end, brand, rivals, total, has_brand, message)


# --- the whole dashboard ----------------------------------------------------------------------------


@dataclass
class DayFigures:
    day: date  # the first day of the bucket
    posts: int
    engagements: int
    rate: float | None
    basis: str


@dataclass
class Dashboard:
    client_id: int
    client_name: str
    zone: str
    period: Span
    compare: Span | None
    kpis: list[KpiResult]
    compare_kpis: list[KpiResult]
    followers: service.Series
    followers_delta: service.Delta
    growth: Growth
    compare_growth: Growth | None
    engagement: list[DayFigures]
    engagement_bucket: str  # day | week
    period_rate: PeriodRate
    compare_rate: PeriodRate | None
    what_works: WhatWorks
    best_times: BestTimes
    recommendations: list[Recommendation]
    competitors: Competitors
    notes: list[str]
    formula: str = ENGAGEMENT_FORMULA


def _engagement_over_time(posts: list[PostFigures], s: Span) -> tuple[list[DayFigures], str]:
    bucket = "week" if s.days > 92 else "day"
    starts = []
    day = s.start
    while day <= s.end:
        starts.append(day)
        day += timedelta(days=7 if bucket == "week" else 1)
    grouped: dict[int, list[PostFigures]] = defaultdict(list)
    for p in posts:
        grouped[(p.published.date() - s.start).days // (7 if bucket == "week" else 1)].append(p)
    out = []
    for i, first in enumerate(starts):
        members = grouped.get(i, [])
        r = period_rate(members)
        out.append(DayFigures(first, len(members), sum(p.engagements or 0 for p in members), r.rate, r.basis))
    return out, bucket


def _notes(session: Session, client_id: int, growth: Growth, series_delta: service.Delta, rate: PeriodRate) -> list[str]:
    notes = []
    for name, stopped in session.execute(
            select(Channel.display_name, MetricsSyncState.stopped)
            .join(MetricsSyncState, MetricsSyncState.channel_id == Channel.id)
            .where(Channel.client_id == client_id)):
        for key, since in sorted((stopped or {}).items()):
            notes.append(f"{name}: the network stopped returning {key.replace('.', ' ')} on {since}; those days "
                         "are unknown, not 0")
    if growth.message:
        notes.append(f"Followers: {growth.message}")
    if series_delta.decreases:
        notes.append(f"Followers went down on {len(series_delta.decreases)} day"
                     f"{'s' if len(series_delta.decreases) != 1 else ''} (kept as reported)")
    if rate.unreported:
        notes.append(f"{rate.unreported} post{'s' if rate.unreported != 1 else ''} of the period have no "
                     "engagement count from their network")
    return notes


def dashboard(*, session: Session, client_id: int, start: date, end: date, compare_start: date | None = None,
              compare_end: date | None = None, weeks: int = HISTORY_WEEKS) -> Dashboard:
    """Everything the Analytics page and a report need for one period (and a comparison period)."""
    client = clients_service.get(session=session, client_id=client_id)
    s = span(client, start, end)
    compare = None
    if compare_start is not None or compare_end is not None:
        if compare_start is None or compare_end is None:
            raise InvalidInput.on("compare_start" if compare_start is None else "compare_end",
                                  "give both days of the comparison period, or neither")
        compare = span(client, compare_start, compare_end, field_prefix="compare_")
    history = span(client, max(date(FIRST_YEAR, 1, 1), min(s.start, s.end - timedelta(days=weeks * 7 - 1))), s.end)
    posts = _posts(session, client_id, history, s.zone)
    in_period = [p for p in posts if s.lo <= p.published.astimezone(UTC) < s.hi]
    ctx = _Context(session, client, s, in_period)
    results = _kpis(ctx)
    compare_results, compare_growth, compare_rate = [], None, None
    if compare is not None:
        cctx = _Context(session, client, compare)
        compare_results = _kpis(cctx)
        compare_growth = cctx.once("growth", lambda: follower_growth(session=session, client_id=client_id,
                                                                      start=compare.start, end=compare.end))
        compare_rate = period_rate(cctx.get_posts())
    growth = ctx.once("growth", lambda: follower_growth(session=session, client_id=client_id, start=start, end=end))
    followers = service.series(session=session, client_id=client_id, metric="followers", start=start, end=end)
    moved = service.delta(followers)
    rate = period_rate(in_period)
    engagement, bucket = _engagement_over_time(in_period, s)
    recent = [p for p in posts if p.published.date() > s.end - timedelta(days=weeks * 7)]
    return Dashboard(
        client_id=client_id, client_name=client.name, zone=s.zone, period=s, compare=compare, kpis=results,
        compare_kpis=compare_results, followers=followers, followers_delta=moved, growth=growth,
        compare_growth=compare_growth, engagement=engagement, engagement_bucket=bucket, period_rate=rate,
        compare_rate=compare_rate, what_works=_what_works(in_period, start, end),
        best_times=_best_times(recent, s.end - timedelta(days=weeks * 7 - 1), s.end, weeks, None, s.zone),
        recommendations=_recommendations(recent, weeks, results),
        competitors=ctx.once("listening", lambda: competitors(session=session, client_id=client_id, start=start,
                                                              end=end)),
        notes=_notes(session, client_id, growth, moved, rate))


# --- the agency overview ----------------------------------------------------------------------------


@dataclass
class ClientKpis:
    client_id: int
    name: str
    start: date
    end: date
    kpis: list[KpiResult]

    @property
    def counts(self) -> dict[str, int]:
        out = {"green": 0, "amber": 0, "red": 0, "unknown": 0}
        for k in self.kpis:
            out[k.status] += 1
        return out


@dataclass
class Overview:
    start: date | None
    end: date | None
    clients: list[ClientKpis]
    time_use: TeamTime | None  # None: the person sees no client's team
    days: int
    team_clients: int = 0  # clients whose team the person sees (time use is only counted there)


def overview(*, session: Session, principal, days: int = 30) -> Overview:
    """All clients the person may see the analytics of, with their KPI statuses over the last ``days``
    days (each in its own time zone), and where the team's time went on the clients whose team they see."""
    from socialdesk.analytics.permissions import ANALYTICS_VIEW
    from socialdesk.team.permissions import TEAM_VIEW

    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput.on("days", f"give between 1 and {MAX_DAYS} days")
    rows, team_clients = [], []
    first_day = last_day = None
    lo = hi = None
    for client in clients_service.list_visible(session=session, principal=principal):
        if not principal.can(ANALYTICS_VIEW, client.id):
            continue
        start, end = default_period(client, days)
        s = span(client, start, end)
        rows.append(ClientKpis(client.id, client.name, start, end, _kpis(_Context(session, client, s))))
        if principal.can(TEAM_VIEW, client.id):
            team_clients.append(client)
            lo, hi = min(lo or s.lo, s.lo), max(hi or s.hi, s.hi)
            first_day, last_day = min(first_day or start, start), max(last_day or end, end)
    return Overview(first_day, last_day, rows, time_use(session=session, client_ids=[c.id for c in team_clients],
                                                      start=lo, end=hi) if team_clients else None, days,
                    len(team_clients))


# --- where the team's time goes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Effort:
    """The typical minutes one kind of recorded action takes (an estimate, shown beside the hours)."""

    kind: str
    label: str  # "inbox reply written by hand": shown as "4 min per inbox reply written by hand"
    heading: str  # the column's heading
    minutes: int


# The records say who did what and when, never how long it took: a reply's ``created_at`` is when it was
# sent, and the time since the message arrived is waiting in the queue, not work, so it measures nothing
# here. Every hour below is therefore a count of actions times a typical duration, and the page says so.
# The figures are deliberately round working assumptions for an agency team, not measurements.
EFFORTS = (
    Effort("replies", "inbox reply written by hand", "Replies", 4),  # read the thread, write, send
    Effort("triage", "triage change (assign, status, tags, hand-off)", "Triage", 1),
    Effort("posts", "post written", "Posts written", 15),  # text, variants, media, alt text
    Effort("approvals", "approval decision by the team", "Approvals", 3),
    Effort("crisis_decisions", "crisis-room decision", "Crisis decisions", 10),  # strategy, renaming, closing
    Effort("crisis_actions", "crisis-room action (step, action, note, pinned mention, pause)", "Crisis actions", 5),
    Effort("reports", "report set up", "Reports set up", 20),  # sections, period, recipients, next steps
    Effort("report_links", "report link shared", "Report links", 2),
    Effort("queries", "listening query written", "Queries written", 10),
)
MINUTES = {e.kind: e.minutes for e in EFFORTS}
TRIAGE_KINDS = ("status", "assigned", "tags", "handoff")  # not "replied": the reply is counted itself
# Crisis-room timeline kinds that are a person's work. "statement" is left out: a holding statement is a
# post and its approval, counted in publishing; "alert" and the alert's sample mentions have no actor.
CRISIS_KINDS = {"decision": "crisis_decisions", "action": "crisis_actions", "note": "crisis_actions",
                "mention": "crisis_actions", "pause": "crisis_actions"}
NOT_COUNTED = ("automatic replies; the client's own approvals (their time, not the team's); reports sent by "
               "the schedule or by hand and listening query edits (no person is recorded for them)")


@dataclass
class Spent:
    """Actions of each kind (:data:`EFFORTS`), the estimated time they took, and its share of the team's."""

    counts: dict[str, int]
    posts_imported: int  # imported from a CSV file: not written here, not timed
    minutes: int
    hours: float
    share: float  # percent of the team's estimated time in the period


@dataclass
class TimeUse:
    """What one person did on one client in the period."""

    user_id: int | None
    name: str
    client_id: int
    client_name: str
    spent: Spent


@dataclass
class ClientTime:
    client_id: int
    client_name: str
    spent: Spent


@dataclass
class PersonTime:
    user_id: int | None
    name: str
    spent: Spent


@dataclass
class TeamTime:
    """Where the team's time went in [start, end): per client (most time first), per person, and per person
    on each client, with the estimates the hours rest on."""

    start: datetime
    end: datetime
    minutes: int
    hours: float
    clients: list[ClientTime]
    people: list[PersonTime]
    rows: list[TimeUse]
    estimates: list[Effort] = field(default_factory=lambda: list(EFFORTS))
    not_counted: str = NOT_COUNTED


def time_use(*, session: Session, client_ids: list[int], start: datetime, end: datetime) -> TeamTime:
    """Where the team's time went on the given clients in [start, end): each person's recorded actions
    (:data:`EFFORTS`) times their typical minutes, per client and in total, and each client's and
    person's share of the whole. One GROUP BY per source."""
    from socialdesk.auth.models import User

    counts: dict[tuple[int | None, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MINUTES, 0))
    imported: dict[tuple[int | None, int], int] = defaultdict(int)
    if client_ids:
        for uid, cid, kind, n in _actions(session, client_ids, start, end):
            counts[(uid, cid)][kind] += n
        for uid, cid, written, bulk in _posts_written(session, client_ids, start, end):
            counts[(uid, cid)]["posts"] += written
            imported[(uid, cid)] += bulk
    parts = {key: (counts[key], imported[key]) for key in set(counts) | set(imported)}
    users = {u for u, _ in parts if u is not None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(users))).all()) if users else {}
    client_names = dict(session.execute(select(Client.id, Client.name).where(Client.id.in_(client_ids))).all()
                        ) if client_ids else {}
    team = sum(_minutes(done) for done, _ in parts.values())

    def person(uid):
        return names.get(uid, "a removed person") if uid else "unknown"

    by_client: dict[int, list] = defaultdict(list)
    by_person: dict[int | None, list] = defaultdict(list)
    for (uid, cid), part in parts.items():
        by_client[cid].append(part)
        by_person[uid].append(part)
    clients = sorted((ClientTime(cid, client_names.get(cid, ""), _spent(done, team))
                      for cid, done in by_client.items()), key=lambda c: (-c.spent.minutes, c.client_name))
    people = sorted((PersonTime(uid, person(uid), _spent(done, team)) for uid, done in by_person.items()),
                    key=lambda p: (-p.spent.minutes, p.name))
    order = {c.client_id: i for i, c in enumerate(clients)}
    rows = sorted((TimeUse(uid, person(uid), cid, client_names.get(cid, ""), _spent([part], team))
                   for (uid, cid), part in parts.items()),
                  key=lambda t: (order[t.client_id], -t.spent.minutes, t.name))
    return TeamTime(start, end, team, round(team / 60, 2), clients, people, rows)


def _minutes(counts: dict[str, int]) -> int:
    return sum(n * MINUTES[kind] for kind, n in counts.items())


def _spent(parts: list[tuple[dict[str, int], int]], team_minutes: int) -> Spent:
    """(counts, posts imported) of some person-and-client parts added up, timed, and as a share of the team."""
    counts = dict.fromkeys(MINUTES, 0)
    for part, _ in parts:
        for kind, n in part.items():
            counts[kind] += n
    minutes = _minutes(counts)
    return Spent(counts, sum(n for _, n in parts), minutes, round(minutes / 60, 2),
                 round(100 * minutes / team_minutes, 1) if team_minutes else 0.0)


def _actions(session: Session, client_ids: list[int], start: datetime, end: datetime):
    """(person, client, kind of :data:`EFFORTS`, count) of every recorded action but posts written."""
    from socialdesk.crisis.models import CrisisEvent
    from socialdesk.inbox.models import InboxEvent, InboxReply
    from socialdesk.listening.models import ListeningQuery
    from socialdesk.publishing.models import Approval
    from socialdesk.publishing.schemas import Capacity
    from socialdesk.reports.models import ReportDefinition, ReportShare

    def grouped(kind, who, client, at, *where):
        return select(who, client, func.count()).where(client.in_(client_ids), at >= start, at < end, *where
                                                       ).group_by(who, client), kind

    queries = [
        grouped("replies", InboxReply.author_id, InboxReply.client_id, InboxReply.created_at,
                InboxReply.automatic.is_(False)),
        grouped("triage", InboxEvent.actor_id, InboxEvent.client_id, InboxEvent.at, InboxEvent.actor_id.is_not(None),
                InboxEvent.kind.in_(TRIAGE_KINDS)),
        grouped("approvals", Approval.user_id, Approval.client_id, Approval.at, Approval.user_id.is_not(None),
                Approval.capacity != Capacity.CLIENT.value),
        grouped("reports", ReportDefinition.created_by_id, ReportDefinition.client_id, ReportDefinition.created_at,
                ReportDefinition.created_by_id.is_not(None)),
        grouped("report_links", ReportShare.created_by_id, ReportShare.client_id, ReportShare.created_at,
                ReportShare.created_by_id.is_not(None)),
        grouped("queries", ListeningQuery.created_by_id, ListeningQuery.client_id, ListeningQuery.created_at,
                ListeningQuery.created_by_id.is_not(None)),
    ]
    for stmt, kind in queries:
        for uid, cid, n in session.execute(stmt):
            yield uid, cid, kind, n
    crisis = select(CrisisEvent.actor_id, CrisisEvent.client_id, CrisisEvent.kind, func.count()).where(
        CrisisEvent.client_id.in_(client_ids), CrisisEvent.actor_id.is_not(None),
        CrisisEvent.kind.in_(list(CRISIS_KINDS)), CrisisEvent.at >= start, CrisisEvent.at < end,
    ).group_by(CrisisEvent.actor_id, CrisisEvent.client_id, CrisisEvent.kind)
    for uid, cid, kind, n in session.execute(crisis):
        yield uid, cid, CRISIS_KINDS[kind], n


def _posts_written(session: Session, client_ids: list[int], start: datetime, end: datetime):
    """(person, client, posts written, posts imported) of the posts created in [start, end), from their
    "created" events: an imported post's event notes ``IMPORTED`` (the calendar's CSV import)."""
    imported = case((PostEvent.note == IMPORTED, 1), else_=0)
    rows = session.execute(
        select(PostEvent.actor_id, PostEvent.client_id, func.count(), func.sum(imported))
        .where(PostEvent.client_id.in_(client_ids), PostEvent.kind == "created", PostEvent.actor_id.is_not(None),
               PostEvent.at >= start, PostEvent.at < end)
        .group_by(PostEvent.actor_id, PostEvent.client_id))
    return [(uid, cid, int(n) - int(bulk or 0), int(bulk or 0)) for uid, cid, n, bulk in rows]
