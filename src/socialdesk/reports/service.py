"""Client reports: definitions, building a report's sections and plain-language summary, share links, logos.

:func:`build` reads the numbers (see :mod:`socialdesk.reports.figures`, and the Analytics dashboard's
:func:`socialdesk.analytics.insights.dashboard` for the engagement rate, KPIs, best times, advice and
competitor benchmarks) for the period and the one it is compared with, and writes the summary a client
reads first: what happened, why it matters, what we do next. It is composed from the numbers only, and
says so plainly when a figure is missing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.analytics import insights
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.clients.schemas import WEEKDAYS
from socialdesk.db import utcnow
from socialdesk.kit.errors import InvalidInput, NotFound
from socialdesk.reports import figures, periods
from socialdesk.reports.models import (
    DEFAULT_SECTIONS,
    SECTIONS,
    AgencyBranding,
    ClientLogo,
    ReportDefinition,
    ReportShare,
)
from socialdesk.reports.periods import Period
from socialdesk.reports.schemas import AgencyBrandingIn, DefinitionIn, DefinitionPatch

SHARE_PREFIX = "sdr_"
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS = 4000  # either side
LOGO_TYPES = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "WEBP": ("image/webp", ".webp"),
              "GIF": ("image/gif", ".gif")}


# --- definitions --------------------------------------------------------------------------------


def list_definitions(*, session: Session, client_id: int) -> list[ReportDefinition]:
    return list(session.scalars(select(ReportDefinition).where(ReportDefinition.client_id == client_id)
                                .order_by(ReportDefinition.name, ReportDefinition.id)))


def get_definition(*, session: Session, client_id: int, report_id: int) -> ReportDefinition:
    row = session.get(ReportDefinition, report_id)
    if row is None or row.client_id != client_id:
        raise NotFound(f"report {report_id} not found")
    return row


def create_definition(*, session: Session, client_id: int, data: DefinitionIn, user_id: int | None) -> ReportDefinition:
    clients_service.get(session=session, client_id=client_id)
    row = ReportDefinition(client_id=client_id, created_by_id=user_id, last_sent_at=None)
    _apply(row, data.model_dump())
    session.add(row)
    session.flush()
    return row


def update_definition(*, session: Session, definition: ReportDefinition, data: DefinitionPatch) -> ReportDefinition:
    _apply(definition, {**_values(definition), **data.model_dump(exclude_unset=True)})
    definition.updated_at = utcnow()
    session.flush()
    return definition


def delete_definition(*, session: Session, definition: ReportDefinition) -> None:
    session.delete(definition)
    session.flush()


def _values(row: ReportDefinition) -> dict:
    return {name: getattr(row, name) for name in DefinitionIn.model_fields}


def _apply(row: ReportDefinition, values: dict) -> None:
    """Set the definition's fields after the checks that span several of them."""
    checked = DefinitionIn.model_validate(values)
    if checked.period_kind == "custom":
        if checked.custom_start is None or checked.custom_end is None:
            raise InvalidInput.on("custom_start", "a custom period needs custom_start and custom_end (YYYY-MM-DD)")
        periods.custom(checked.custom_start, checked.custom_end)
        if checked.schedule != "off":
            raise InvalidInput.on("schedule", "a custom period is sent by hand; choose weekly or monthly periods to "
                                              "schedule it, or set schedule to off")
    if checked.schedule != "off" and not checked.recipients:
        raise InvalidInput.on("recipients", "a scheduled report needs at least one recipient e-mail address")
    if checked.schedule == "weekly" and checked.period_kind == "month":
        raise InvalidInput.on("schedule", "a monthly report is sent monthly; set period_kind to week for a weekly one")
    if checked.schedule == "monthly" and checked.period_kind == "week":
        raise InvalidInput.on("schedule", "a weekly report is sent weekly; set period_kind to month for a monthly one")
    for name, value in checked.model_dump().items():
        setattr(row, name, value)


def definition_period(definition: ReportDefinition, *, today: date, text: str | None = None) -> Period:
    """The period asked for (``text``), else the definition's custom days or its last whole month or week."""
    if text:
        return periods.parse(text)
    if definition.period_kind == "custom" and definition.custom_start and definition.custom_end:
        return periods.custom(definition.custom_start, definition.custom_end)
    return periods.last_complete(definition.period_kind, today)


# --- the report ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One number with the comparison's; ``better`` says which way is good (for the arrow's colour)."""

    label: str
    value: float | int | None
    previous: float | int | None = None
    unit: str = ""  # "" | "%" | "min" | a currency code
    better: str = "up"  # up | down

    @property
    def change_percent(self) -> float | None:
        if self.value is None or self.previous is None or self.previous == 0:
            return None  # no comparison rather than a division by zero
        return 100 * (self.value - self.previous) / abs(self.previous)

    @property
    def good(self) -> bool | None:
        change = self.change_percent
        if change is None or abs(change) < 0.5:
            return None
        return (change > 0) == (self.better == "up")


@dataclass
class Section:
    key: str
    title: str
    empty: bool = False
    message: str = ""  # why there is nothing (or what is partial), in words
    figures: list[Figure] = field(default_factory=list)
    chart: dict | None = None  # {"kind": "line"|"bars", "labels": [...], "values": [...], "previous": [...]}
    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # paragraphs or list items


@dataclass
class Summary:
    happened: list[str]
    matters: list[str]
    next: list[str]


@dataclass
class Branding:
    name: str
    color: str
    logo: str | None  # a data: URI


@dataclass
class Report:
    client_id: int
    client_name: str
    report_name: str
    period: Period
    compare: Period | None
    comparison: str
    client: Branding
    agency: Branding
    summary: Summary
    sections: list[Section]
    generated_at: datetime
    has_data: bool

    @property
    def title(self) -> str:
        return f"{self.client_name}: {self.report_name}, {self.period.label}"

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def to_dict(self) -> dict:
        """The report as JSON-ready data (the preview API)."""
        out = asdict(self)
        for name in ("period", "compare"):
            p = getattr(self, name)
            out[name] = {"key": p.key, "kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat(),
                         "label": p.label} if p else None
        for section, data in zip(self.sections, out["sections"], strict=True):
            for fig, fig_data in zip(section.figures, data["figures"], strict=True):
                fig_data["change_percent"] = fig.change_percent
        out["client"].pop("logo"), out["agency"].pop("logo")
        out["title"], out["generated_at"] = self.title, self.generated_at.isoformat()
        return _plain(out)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "unknown"
    return f"{value:,.{digits}f}"


def _percent_phrase(now: float | int | None, before: float | int | None, what: str, label: str) -> str:
    if now is None or before is None:
        return ""
    if before == 0:
        return f" ({what} in {label}: none)" if now else ""
    change = 100 * (now - before) / abs(before)
    if abs(change) < 0.5:
        return f", about the same as in {label}"
    return f", {abs(change):.0f}% {'more' if change > 0 else 'less'} than in {label}"


def build(*, session: Session, client_id: int, period: Period, comparison: str = "previous",
          sections: list[str] | None = None, next_steps: str = "", name: str = "Monthly report",
          settings=None, now: datetime | None = None) -> Report:
    """The report of ``client_id`` for ``period``: each chosen section's numbers and the summary."""
    client = clients_service.get(session=session, client_id=client_id)
    compare = periods.compared(period, comparison)
    keys = [k for k in (sections or DEFAULT_SECTIONS) if k in SECTIONS]
    wanted = set(keys) | {"kpis"}  # the summary needs the key figures either way

    aud = figures.audience(session, client, period)
    aud_before = figures.audience(session, client, compare) if compare else None
    eng = figures.engagement(session, client, period)
    eng_before = figures.engagement(session, client, compare, with_posts=False) if compare else None
    if eng.posts:
        figures.describe_posts(session, eng.posts[:5])
    # The engagement rate, KPIs, best times, advice and competitor benchmarks are the Analytics
    # dashboard's own for the same days, so the PDF a client gets cannot contradict what the agency sees.
    board = insights.dashboard(session=session, client_id=client.id, start=period.start, end=period.end,
                               compare_start=compare.start if compare else None,
                               compare_end=compare.end if compare else None)
    rivals_before = insights.competitors(session=session, client_id=client.id, start=compare.start,
                                         end=compare.end) if compare and "competitors" in wanted else None
    responses = responses_before = None
    if {"response_times", "summary", "recommendations"} & wanted:
        responses = _responses(session, client, period)
        responses_before = _responses(session, client, compare) if compare else None
    heard = heard_before = None
    if "listening" in wanted:
        heard = figures.listening(session, client, period)
        heard_before = figures.listening(session, client, compare) if compare else None
    money = money_before = clicks = clicks_before = None
    if {"paid", "links"} & wanted:
        money = figures.paid(session, client, period)
        money_before = figures.paid(session, client, compare) if compare else None
        clicks = figures.links(session, client, period)
        clicks_before = figures.links(session, client, compare) if compare else None

    advice = [r.text for r in board.recommendations if r.kind != "thin"] if "recommendations" in keys else []
    has_data = aud.followers_end is not None or eng.total is not None
    label_before = compare.label if compare else ""
    ctx = _Context(client, period, compare, aud, aud_before, eng, eng_before, board, rivals_before, responses,
                   responses_before, heard, heard_before, money, money_before, clicks, clicks_before, next_steps)
    recommendations = ctx.recommendations() + [a for a in advice if a not in ctx.recommendations()]
    summary = ctx.summary(recommendations, label_before)
    built = []
    for key in keys:
        section = getattr(ctx, f"s_{key}")(recommendations) if key in ("recommendations", "next_steps") \
            else getattr(ctx, f"s_{key}")()
        section.key, section.title = key, SECTIONS[key]
        if key == "summary":
            section.text = summary.happened + summary.matters + summary.next
        built.append(section)
    return Report(client.id, client.name, name, period, compare, comparison,
                  client_branding(session=session, settings=settings, client=client),
                  agency_branding_view(session=session, settings=settings),
                  summary, built, now or utcnow(), has_data)


def _responses(session: Session, client: Client, period: Period):
    from socialdesk.inbox.reports import response_report

    lo, hi = figures.utc_bounds(client, period)
    return response_report(session=session, client_ids=[client.id], start=lo, end=hi).total


@dataclass
class _Context:
    """The numbers of one build, and the sections and sentences made from them."""

    client: Client
    period: Period
    compare: Period | None
    aud: figures.Audience
    aud_before: figures.Audience | None
    eng: figures.Engagement
    eng_before: figures.Engagement | None
    board: insights.Dashboard  # the Analytics dashboard for the period (and the comparison period)
    rivals_before: insights.Competitors | None
    responses: object
    responses_before: object
    heard: figures.Listening | None
    heard_before: figures.Listening | None
    money: figures.Paid | None
    money_before: figures.Paid | None
    clicks: figures.Links | None
    clicks_before: figures.Links | None
    next_steps: str

    def _before(self, obj, name):
        return getattr(obj, name) if obj is not None else None

    def _rate_text(self) -> str:
        """The dashboard's engagement rate for the period, with its formula and what it was computed over."""
        r = self.board.period_rate
        text = (f"Engagement rate (the Analytics dashboard's) = {insights.ENGAGEMENT_FORMULA}, over the posts "
                f"published from socialdesk in {self.period.label}: ")
        if r.rate is None:
            return text + ("no post was published from socialdesk in the period, so there is no rate." if not r.posts
                           else "the networks reported neither impressions nor follower counts for its posts, so "
                                "there is no rate.")
        text += (f"{r.engagements:,} engagements ÷ {r.denominator:,} {r.basis} over {r.used} of {r.posts} "
                 f"post{'s' if r.posts != 1 else ''} = {100 * r.rate:.2f} %")
        if r.left_out:
            text += f" ({r.left_out} post{'s' if r.left_out != 1 else ''} without {r.basis} left out)"
        return text + "."

    def _gained_text(self) -> str:
        return ("Interactions gained = for every post with figures (older posts and posts made outside socialdesk "
                "included), its highest likes + reposts + replies + quotes in the period minus its highest in the "
                f"{figures.BASELINE_DAYS} days before; it counts activity in the period and is not the engagement "
                "rate. Impressions and link clicks gained are counted the same way.")

    # --- sections ---

    def s_summary(self) -> Section:
        return Section("summary", "")

    def s_kpis(self) -> Section:
        eng, before = self.eng, self.eng_before
        rows = [
            Figure("Followers at the end", self.aud.followers_end, self._before(self.aud_before, "followers_end")),
            Figure("New followers", self.aud.change, self._before(self.aud_before, "change")),
            Figure("Interactions gained (likes, shares, replies, quotes)", eng.total, self._before(before, "total")),
            Figure("Impressions gained", eng.impressions, self._before(before, "impressions")),
            Figure("Engagement rate", _percent(self.board.period_rate), _percent(self.board.compare_rate), "%"),
            Figure("Posts published", eng.posts_published, self._before(before, "posts_published")),
        ]
        empty = all(f.value in (None, 0) for f in rows)
        status = {"green": "on track", "amber": "close", "red": "behind", "unknown": "not known"}
        targets = self.board.kpis
        return Section("kpis", "", empty=empty and not targets, figures=rows,
                       columns=["Goal", "Target for the period", "Actual", "Status"] if targets else [],
                       rows=[[t.label, t.target_for_period, t.actual, status.get(t.status, t.status)]
                             for t in targets],
                       text=[] if empty else [self._rate_text(), self._gained_text()],
                       message=f"No figures were collected for {self.period.label}." if empty else "")

    def s_audience_growth(self) -> Section:
        points = self.aud.daily
        if self.aud.followers_end is None:
            return Section("", "", empty=True, message=f"No follower counts were collected in {self.period.label}, "
                           "so we cannot show how the audience grew.")
        chart = {"kind": "line", "labels": [d.isoformat() for d, _ in points], "values": [v for _, v in points]}
        text = []
        if self.aud.change is not None:
            text.append(f"From {_num(self.aud.followers_start)} to {_num(self.aud.followers_end)} followers "
                        f"({self.aud.change:+,d}).")
        if self.aud.message:
            text.append(_sentence(self.aud.message))
        return Section("", "", figures=[Figure("Followers", self.aud.followers_end,
                                               self._before(self.aud_before, "followers_end")),
                                        Figure("Change", self.aud.change, self._before(self.aud_before, "change"))],
                       chart=chart, text=text)

    def s_engagement(self) -> Section:
        """The dashboard's engagement rate, then the interactions gained in the period under their own name."""
        eng, board = self.eng, self.board
        if eng.total is None and not board.period_rate.posts:
            return Section("", "", empty=True, message=f"No post figures were collected in {self.period.label}.")
        days = sorted(eng.daily)
        chart = {"kind": "bars", "labels": [d.isoformat() for d in days],
                 "values": [eng.daily[d] for d in days]} if days else None
        text = [self._rate_text(), self._gained_text()]
        if days:
            text.append(f"{_num(eng.posts_measured)} posts had figures in the period; the chart shows the "
                        "interactions gained each day.")
        return Section("", "", figures=[
            Figure("Engagement rate", _percent(board.period_rate), _percent(board.compare_rate), "%"),
            Figure("Interactions gained", eng.total, self._before(self.eng_before, "total")),
            Figure("Impressions gained", eng.impressions, self._before(self.eng_before, "impressions")),
            Figure("Link clicks gained", eng.link_clicks, self._before(self.eng_before, "link_clicks")),
        ], chart=chart, text=text)

    def s_top_posts(self) -> Section:
        top = [p for p in self.eng.posts[:5] if p.engagement > 0]
        if not top:
            return Section("", "", empty=True, message=f"No post gained interactions in {self.period.label}.")
        return Section("", "", columns=["Post", "Network", "Interactions gained", "Impressions gained"],
                       rows=[[_clip(p.text) or f"post {p.remote_id}", _network(p.network), p.engagement,
                              p.impressions] for p in top])

    def s_best_times(self) -> Section:
        """The dashboard's best times: over the weeks up to the period's end, on every channel, the weekdays
        and hours whose posts' median engagement rate stands highest against the median post's, each with
        its n; when the history is thin, general guidance that says it is not measured on this client."""
        bt = self.board.best_times
        over = (f"Over the {bt.weeks} weeks from {bt.start:%-d %b %Y} to {bt.end:%-d %b %Y} ({bt.zone} time): "
                f"n = {bt.n} post{'s' if bt.n != 1 else ''} with an engagement rate.")
        if bt.fallback:
            return Section("", "", columns=["Day", "Hour", "Source"],
                           rows=[[WEEKDAYS[c.weekday], _hour(c.hour), "general guidance, not measured on this client"]
                                 for c in bt.best], text=[over, _sentence(bt.message)])
        median = f"{100 * bt.median_rate:.2f} %"
        return Section("", "", columns=["Day", "Hour", "Posts (n)", "Median engagement rate (%)",
                                        "Against the median post"],
                       rows=[[WEEKDAYS[c.weekday], _hour(c.hour), c.n, round(100 * c.median_rate, 2), f"{c.ratio:.1f}x"]
                             for c in bt.best],
                       text=[over, f"From {bt.source}. Each time is the median engagement rate of the posts published "
                                   f"then, against the median post ({median}); only times with at least "
                                   f"{bt.min_cell} posts are ranked. Engagement rate = {insights.ENGAGEMENT_FORMULA}."])

    def s_response_times(self) -> Section:
        now, before = self.responses, self.responses_before
        if now is None or now.conversations == 0:
            return Section("", "", empty=True, message=f"No conversation started in the inbox in {self.period.label}.")
        minutes = (lambda v: round(v / 60, 1) if v is not None else None)
        text = [] if now.answered else ["No conversation of this period has been answered yet."]
        return Section("", "", figures=[
            Figure("Conversations", now.conversations, before.conversations if before else None),
            Figure("Answered", now.answered, before.answered if before else None),
            Figure("Median first answer", minutes(now.median_seconds),
                   minutes(before.median_seconds) if before else None, "min", "down"),
            Figure("90% answered within", minutes(now.p90_seconds), minutes(before.p90_seconds) if before else None,
                   "min", "down"),
            Figure("Answered late or still waiting", now.breaches, before.breaches if before else None, "", "down"),
        ], text=text)

    def s_listening(self) -> Section:
        heard = self.heard
        if heard is None or heard.mentions == 0:
            return Section("", "", empty=True, message=f"No mention was found by listening in {self.period.label}.")
        brand = heard.by_topic.get("brand", 0)
        sentiment = heard.sentiment
        total = sum(sentiment.values())
        rows = [[name.capitalize(), sentiment.get(name, 0), f"{100 * sentiment.get(name, 0) / total:.0f}%"]
                for name in ("positive", "neutral", "negative")] if total else []
        return Section("", "", figures=[
            Figure("Mentions found", heard.mentions, self._before(self.heard_before, "mentions")),
            Figure("Mentions of the brand", brand, self.heard_before.by_topic.get("brand", 0) if self.heard_before else None),
            Figure("Negative share", 100 * sentiment.get("negative", 0) / total if total else None,
                   (100 * self.heard_before.sentiment.get("negative", 0) / sum(self.heard_before.sentiment.values())
                    if self.heard_before and sum(self.heard_before.sentiment.values()) else None), "%", "down"),
        ], columns=["Tone of brand mentions", "Mentions", "Share"] if rows else [], rows=rows,
            chart={"kind": "bars", "labels": [r[0] for r in rows], "values": [r[1] for r in rows]} if rows else None)

    def s_competitors(self) -> Section:
        """The dashboard's competitor benchmarks: each one's mentions, share of voice and tone."""
        comp, before = self.board.competitors, self.rivals_before
        if not comp.competitors:
            return Section("", "", empty=True, message="No competitor is followed by listening yet (add competitor "
                           "queries to compare).")
        if not comp.total:
            return Section("", "", empty=True, message="No brand or competitor mention was found by listening in "
                           f"{self.period.label}.")
        text = ["Share of voice = mentions of each ÷ all brand and competitor mentions × 100 (a post naming several "
                "counts for each). Positive, neutral and negative: the share of each one's own mentions that "
                "sentiment analysis reads that way."]
        if not comp.has_brand_query:
            text.append("There is no brand query in listening, so the brand's own mentions are not counted.")
        return Section("", "", figures=[Figure("Share of voice", comp.brand.percent,
                                               before.brand.percent if before and before.total else None, "%")],
                       columns=["Who", "Mentions", "Share of voice (%)", "Positive (%)", "Neutral (%)", "Negative (%)"],
                       rows=[[b.name, b.mentions, b.percent, b.percents["positive"], b.percents["neutral"],
                              b.percents["negative"]] for b in comp.rows],
                       chart={"kind": "bars", "labels": [b.name for b in comp.rows],
                              "values": [b.percent for b in comp.rows]}, text=text)

    def s_paid(self) -> Section:
        money, before = self.money, self.money_before
        if money is None or money.spend is None:
            return Section("", "", empty=True, message=f"No paid results were imported for {self.period.label}.")
        currency = money.currency or ""
        revenue = self.clicks.values.get(currency) if self.clicks else None
        roi = float(100 * (revenue - money.spend) / money.spend) if revenue is not None and money.spend else None
        text = [] if roi is not None else ["No conversion values in the same currency were recorded, so the return "
                                           "on spend cannot be worked out."]
        return Section("", "", figures=[
            Figure("Spend", money.spend, before.spend if before else None, currency, "down"),
            Figure("Clicks", money.clicks, before.clicks if before else None),
            Figure("Conversions", money.conversions, before.conversions if before else None),
            Figure("Cost per click", money.cost_per_click, before.cost_per_click if before else None, currency, "down"),
            Figure("Cost per conversion", money.cost_per_conversion, before.cost_per_conversion if before else None,
                   currency, "down"),
            Figure("Return on spend", roi, None, "%"),
        ], text=text)

    def s_links(self) -> Section:
        links = self.clicks
        if links is None or (links.clicks == 0 and links.conversions == 0):
            return Section("", "", empty=True, message=f"No tracked link was clicked in {self.period.label}.")
        values = ", ".join(f"{v:,.2f} {c}" for c, v in sorted(links.values.items()))
        return Section("", "", figures=[
            Figure("Link clicks", links.clicks, self._before(self.clicks_before, "clicks")),
            Figure("Conversions", links.conversions, self._before(self.clicks_before, "conversions")),
        ], columns=["Link", "Clicks", "Conversions"], rows=[list(t) for t in links.top],
            text=[f"Conversions were worth {values}."] if values else [])

    def s_recommendations(self, recommendations: list[str]) -> Section:
        if not recommendations:
            return Section("", "", empty=True, message="There is not enough data in this period for recommendations.")
        return Section("", "", text=recommendations)

    def s_next_steps(self, recommendations: list[str]) -> Section:
        steps = [line.strip(" -*\t") for line in self.next_steps.splitlines() if line.strip(" -*\t")]
        if steps:
            return Section("", "", text=steps)
        if recommendations:
            return Section("", "", text=recommendations[:3])
        return Section("", "", empty=True, message="The team has not written next steps for this report yet.")

    # --- words ---

    def recommendations(self) -> list[str]:
        out = []
        times, eng = self.board.best_times, self.eng
        if not times.fallback and times.best[0].ratio > 1:  # a time below the median post is no advice
            best = times.best[0]
            out.append(f"Publish the most important posts on {WEEKDAYS[best.weekday]}s around {best.hour:02d}:00, "
                       f"when posts got {best.ratio:.1f}x the median engagement rate over the last {times.weeks} weeks "
                       f"(n={best.n}).")
        top = [p for p in eng.posts[:3] if p.engagement > 0]
        if top and top[0].text:
            out.append(f"Make more posts like \u201c{_clip(top[0].text, 80)}\u201d, the post people responded to most.")
        if self.aud.change is not None and self.aud.change < 0:
            out.append("Look at what made people unfollow (topics, posting too often) and adjust the plan.")
        if eng.total is not None and self.eng_before and self.eng_before.total and \
                eng.total < 0.8 * self.eng_before.total:
            out.append("Interactions fell: try more questions, short videos and replies to comments to start "
                       "conversations again.")
        if self.responses is not None and self.responses.median_seconds and self.responses.median_seconds > 4 * 3600:
            out.append("Answer messages faster: half waited more than four hours for a first answer.")
        if eng.total is None and self.aud.followers_end is None:
            out.append("Connect the channels and switch on daily collection (or import the figures) so the next "
                       "report has numbers.")
        return out

    def summary(self, recommendations: list[str], label_before: str) -> Summary:
        label = self.period.label
        happened, matters = [], []
        aud, eng = self.aud, self.eng
        if aud.followers_end is None and eng.total is None:
            happened.append(f"We have no figures for {label}: no follower or post counts were collected or imported "
                            "for this period.")
            matters.append("Without figures we cannot say how the period went; the numbers below stay empty rather "
                           "than guess.")
        else:
            if aud.change is not None:
                verb = "gained" if aud.change >= 0 else "lost"
                happened.append(f"You {verb} {abs(aud.change):,d} followers in {label} and now have "
                                f"{aud.followers_end:,d}"
                                + _percent_phrase(aud.change, self._before(self.aud_before, "change"),
                                                  "new followers", label_before) + ".")
            elif aud.followers_end is not None:
                happened.append(f"You have {aud.followers_end:,d} followers; there were not enough days with counts "
                                "to tell how many joined.")
            else:
                happened.append(f"No follower counts were collected in {label}.")
            if eng.total is not None:
                happened.append(f"People liked, shared, quoted or replied to your posts {eng.total:,d} times"
                                + _percent_phrase(eng.total, self._before(self.eng_before, "total"), "interactions",
                                                  label_before) + ".")
                top = next((p for p in eng.posts if p.engagement > 0), None)
                if top is not None:
                    happened.append(f"The post that did best was \u201c{_clip(top.text, 90) or top.remote_id}\u201d "
                                    f"with {top.engagement:,d} interactions.")
            else:
                happened.append(f"No post figures were collected in {label}.")
            if aud.change is not None and aud.change > 0:
                matters.append("A growing audience means every post reaches more people without paying for it.")
            elif aud.change is not None and aud.change < 0:
                matters.append("Losing followers shrinks how many people each post reaches, so we want to know why.")
            before_total = self._before(self.eng_before, "total")
            if eng.total is not None and before_total:
                if eng.total >= before_total:
                    matters.append("When more people interact, the networks show your posts to more people.")
                else:
                    matters.append("Fewer interactions usually mean the networks show the posts to fewer people.")
        if self.responses is not None and self.responses.answered and self.responses.median_seconds is not None:
            happened.append(f"We answered {self.responses.answered:,d} of {self.responses.conversations:,d} "
                            "conversations; half got a first answer within "
                            f"{_duration(self.responses.median_seconds)}.")
            matters.append("Quick answers keep customers happy and stop small problems from growing.")
        steps = [line.strip(" -*\t") for line in self.next_steps.splitlines() if line.strip(" -*\t")]
        return Summary(happened, matters, (steps or recommendations)[:3] or
                       ["Keep the plan as it is and look again at the next report."])


def _percent(rate: insights.PeriodRate | None) -> float | None:
    return 100 * rate.rate if rate is not None and rate.rate is not None else None


def _hour(hour: int) -> str:
    return f"{hour:02d}:00–{hour + 1:02d}:00"


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def _clip(text: str, length: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "\u2026"


def _network(name: str) -> str:
    return "X" if name == "x" else name.capitalize()


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 90:
        return f"{max(1, round(minutes))} minute{'s' if round(minutes) != 1 else ''}"
    hours = minutes / 60
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


def build_for(*, session: Session, definition: ReportDefinition, period: Period, comparison: str | None = None,
              settings=None, now: datetime | None = None) -> Report:
    """The report a definition describes, for ``period``."""
    return build(session=session, client_id=definition.client_id, period=period,
                 comparison=comparison or definition.comparison, sections=list(definition.sections or []),
                 next_steps=definition.next_steps or "", name=definition.name, settings=settings, now=now)


# --- share links ----------------------------------------------------------------------------------


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_share(*, session: Session, definition: ReportDefinition, period: Period, comparison: str | None,
                 days: int, user_id: int | None, now: datetime | None = None) -> tuple[ReportShare, str]:
    """A link to this report for this period; the raw token is returned once, only its digest is kept."""
    raw = SHARE_PREFIX + secrets.token_urlsafe(32)
    row = ReportShare(client_id=definition.client_id, definition_id=definition.id, period=period.key,
                      comparison=comparison or definition.comparison, token_hash=_digest(raw), prefix=raw[:10],
                      expires_at=(now or utcnow()) + timedelta(days=days), created_by_id=user_id, revoked_at=None)
    session.add(row)
    session.flush()
    return row, raw


def list_shares(*, session: Session, client_id: int) -> list[ReportShare]:
    return list(session.scalars(select(ReportShare).where(ReportShare.client_id == client_id)
                                .order_by(ReportShare.created_at.desc(), ReportShare.id.desc())))


def revoke_share(*, session: Session, client_id: int, share_id: int) -> ReportShare:
    row = session.get(ReportShare, share_id)
    if row is None or row.client_id != client_id:
        raise NotFound(f"share link {share_id} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


class ShareGone(NotFound):
    """The link existed but was revoked or has expired."""

    status = 410


def share_for_token(*, session: Session, raw: str, now: datetime | None = None) -> ReportShare:
    """The live share a token opens; NotFound for an unknown token, ShareGone when revoked or expired."""
    row = session.scalar(select(ReportShare).where(ReportShare.token_hash == _digest(raw or "")))
    if row is None:
        raise NotFound("this report link is not known; ask the agency for a new one")
    if row.revoked_at is not None:
        raise ShareGone("this report link was withdrawn; ask the agency for a new one")
    if row.expires_at <= (now or utcnow()):
        raise ShareGone("this report link has expired; ask the agency for a new one")
    return row


# --- branding -------------------------------------------------------------------------------------


def branding_root(data_dir) -> Path:
    return Path(data_dir) / "branding"


def agency_branding(*, session: Session) -> AgencyBranding:
    row = session.get(AgencyBranding, 1)
    if row is None:
        row = AgencyBranding(id=1, name="", color="#1f2937", logo=None)
        session.add(row)
        session.flush()
    return row


def set_agency_branding(*, session: Session, data: AgencyBrandingIn) -> AgencyBranding:
    row = agency_branding(session=session)
    row.name, row.color, row.updated_at = data.name, data.color, utcnow()
    session.flush()
    return row


def save_logo(*, root, source, prefix: str) -> str:
    """Store an uploaded logo after checking it is a PNG, JPEG, WebP or GIF image of a sensible size;
    returns the stored file name. Nothing is kept when it is refused."""
    from PIL import Image, UnidentifiedImageError

    raw = source.read(MAX_LOGO_BYTES + 1)
    if not raw:
        raise InvalidInput.on("file", "is empty; choose a PNG, JPEG, WebP or GIF logo")
    if len(raw) > MAX_LOGO_BYTES:
        raise InvalidInput.on("file", f"is larger than {MAX_LOGO_BYTES // 2**20} MB; use a smaller logo")
    try:
        with Image.open(io.BytesIO(raw)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidInput.on("file", "is not an image; choose a PNG, JPEG, WebP or GIF logo") from None
    if kind not in LOGO_TYPES:
        raise InvalidInput.on("file", f"is a {kind} image; choose a PNG, JPEG, WebP or GIF logo")
    if max(width, height) > MAX_LOGO_PIXELS:
        raise InvalidInput.on("file", f"is {width}x{height} pixels; use a logo at most {MAX_LOGO_PIXELS} pixels wide "
                                      "and high")
    folder = Path(root)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{prefix}-{hashlib.sha256(raw).hexdigest()[:24]}{LOGO_TYPES[kind][1]}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        out.write(raw)
    os.replace(tmp, folder / name)
    return name


def set_client_logo(*, session: Session, settings, client_id: int, source) -> ClientLogo:
    clients_service.get(session=session, client_id=client_id)
    name = save_logo(root=branding_root(settings.data_dir), source=source, prefix=f"client-{client_id}")
    row = session.get(ClientLogo, client_id)
    if row is None:
        row = ClientLogo(client_id=client_id, logo=name)
        session.add(row)
    row.logo, row.updated_at = name, utcnow()
    session.flush()
    return row


def remove_client_logo(*, session: Session, client_id: int) -> None:
    row = session.get(ClientLogo, client_id)
    if row is not None:
        session.delete(row)
        session.flush()


def set_agency_logo(*, session: Session, settings, source) -> AgencyBranding:
    name = save_logo(root=branding_root(settings.data_dir), source=source, prefix="agency")
    row = agency_branding(session=session)
    row.logo, row.updated_at = name, utcnow()
    session.flush()
    return row


def _data_uri(settings, name: str | None) -> str | None:
    if not name or settings is None:
        return None
    path = branding_root(settings.data_dir) / Path(name).name
    suffix = path.suffix.lower()
    mime = next((m for m, ext in LOGO_TYPES.values() if ext == suffix), None)
    if mime is None or not path.is_file():
        return None  # a logo file removed by hand: the report goes without it
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def client_branding(*, session: Session, settings, client: Client) -> Branding:
    row = session.get(ClientLogo, client.id)
    return Branding(client.name, _color(client.brand_color, "#3b5bdb"), _data_uri(settings, row.logo if row else None))


def agency_branding_view(*, session: Session, settings) -> Branding:
    row = session.get(AgencyBranding, 1)
    if row is None:
        return Branding("", "#1f2937", None)
    return Branding(row.name, _color(row.color, "#1f2937"), _data_uri(settings, row.logo))


def _color(value: str | None, default: str) -> str:
    """A #rrggbb colour, or the default: only such a value goes into the report's styles."""
    text = (value or "").strip()
    if len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:]):
        return text.lower()
    return default


def client_by_name(*, session: Session, name: str) -> Client:
    """A client by its name (any case), for the command line; a clear error naming ``CLIENT`` otherwise."""
    row = clients_service.get_by_name(session=session, name=name)
    if row is None:
        raise NotFound(f"CLIENT: no client is named {name!r}; see `socialdesk clients list`")
    return row
