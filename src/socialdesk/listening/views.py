"""Listening pages of a client: the dashboard (period and topic, charts, tables, the mentions with filters)
and the queries editor with a live syntax check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import charts, dashboard as dash
from socialdesk.listening import language
from socialdesk.listening import service as listening
from socialdesk.listening.permissions import LISTENING_CHECK, LISTENING_MANAGE, LISTENING_VIEW
from socialdesk.listening.query import QuerySyntaxError, caret, parse
from socialdesk.listening.schemas import QueryIn, QueryPatch, Sentiment, Topic
from socialdesk.web import templating
from socialdesk.web.deps import RowId, get_db, require
from socialdesk.web.forms import collect_errors, form_fields, validate

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]

PAGE = 25
RANGES = {"24h": ("Last 24 hours", timedelta(hours=24)), "7d": ("Last 7 days", timedelta(days=7)),
          "30d": ("Last 30 days", timedelta(days=30)), "90d": ("Last 90 days", timedelta(days=90))}
TOPIC_LABELS = {Topic.BRAND: "Brand", Topic.COMPETITOR: "Competitors", Topic.CAMPAIGN: "Campaigns",
                Topic.INDUSTRY: "Industry"}
SOURCES = ("bluesky", "mastodon", "x", "rss", "import")

templating.templates.env.globals.update(LISTENING_TOPICS=TOPIC_LABELS)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


@dataclass
class Picked:
    """The dashboard's period and filters as the URL gives them (unknown values are ignored, bad dates said)."""

    range: str
    first: date | None
    last: date | None
    topic: str
    query: int | None
    sentiment: str
    lang: str
    source: str
    duplicates: bool
    cursor: str
    errors: dict

    @classmethod
    def parse(cls, params, zone: str) -> Picked:
        get = params.get
        errors: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for name in ("start", "end"):
            raw = (get(name) or "").strip()
            try:
                days[name] = date.fromisoformat(raw) if raw else None
                if days[name] and not dash.FIRST_YEAR <= days[name].year <= dash.LAST_YEAR:
                    raise ValueError
            except ValueError:
                errors[name] = f"{name}: give a day as YYYY-MM-DD"
                days[name] = None
        first, last = days["start"], days["end"]
        if first or last:
            today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
            last = last or today
            first = first or last - timedelta(days=6)
            if last < first:
                errors["end"] = "end: must be on or after the first day"
            elif (last - first).days >= dash.MAX_DAYS:
                errors["start"] = f"start: the period may span at most {dash.MAX_DAYS} days"
        if errors:
            first = last = None
        lang = (get("lang") or "").strip()
        return cls(range=get("range") if get("range") in RANGES else "7d", first=first, last=last,
                   topic=get("topic") if get("topic") in set(Topic) else "", query=_int(get("query")),
                   sentiment=get("sentiment") if get("sentiment") in set(Sentiment) else "",
                   lang=(language.clean_tag(lang) or "") if lang else "",
                   source=(get("source") or "").strip().lower()[:40], duplicates=get("duplicates") == "1",
                   cursor=(get("cursor") or "")[:80], errors=errors)

    def period(self, zone: str) -> dash.Period:
        if self.first and self.last:
            return dash.day_period(first=self.first, last=self.last, zone=zone)
        return dash.period(start=datetime.now(UTC) - RANGES[self.range][1], zone=zone)

    def params(self, **override) -> dict[str, str]:
        values = {"range": "" if self.first else self.range, "start": self.first.isoformat() if self.first else "",
                  "end": self.last.isoformat() if self.last else "", "topic": self.topic, "query": self.query or "",
                  "sentiment": self.sentiment, "lang": self.lang, "source": self.source,
                  "duplicates": "1" if self.duplicates else "", "cursor": self.cursor}
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def url(self, base: str, **override) -> str:
        query = urlencode(self.params(**override))
        return f"{base}?{query}" if query else base


def _mentions(session: Session, client_id: int, picked: Picked, p: dash.Period):
    try:
        return listening.list_mentions(
            session=session, client_id=client_id, query_id=picked.query, topic=picked.topic or None,
            sentiment=picked.sentiment or None, lang=picked.lang or None, source=picked.source or None,
            since=p.start, until=p.end, include_duplicates=picked.duplicates, cursor=picked.cursor or None,
            limit=PAGE)
    except InvalidInput:  # a cursor mangled by hand: the newest page instead
        picked.cursor = ""
        return _mentions(session, client_id, picked, p)


def _export_params(picked: Picked, p: dash.Period, **extra) -> str:
    values = {"start": p.start.isoformat(), "end": p.end.isoformat(), "topic": picked.topic, **extra}
    return urlencode({k: v for k, v in values.items() if v})


def _mentions_context(session: Session, client_id: int, picked: Picked, p: dash.Period) -> dict:
    base = f"/clients/{client_id}/listening"
    views, next_cursor = _mentions(session, client_id, picked, p)
    csv_query = _export_params(picked, p, query_id=picked.query or "", sentiment=picked.sentiment,
                               lang=picked.lang, source=picked.source,
                               include_duplicates="true" if picked.duplicates else "")
    return {
        "mentions": views, "picked": picked, "zone": p.zone,
        "older_url": picked.url(f"{base}/mentions", cursor=next_cursor) if next_cursor else "",
        "newest_url": picked.url(f"{base}/mentions", cursor="") if picked.cursor else "",
        "mentions_csv": f"/api/clients/{client_id}/listening/mentions.csv?{csv_query}",
    }


@router.get("/clients/{client_id}/listening")
def dashboard_page(client_id: int, request: Request, session: DB,
                   principal: Principal = Depends(require(LISTENING_VIEW))):
    """The dashboard: volume, sentiment, share of voice, authors, terms, hashtags, rising terms, mentions."""
    client = clients_service.get(session=session, client_id=client_id)
    picked = Picked.parse(request.query_params, client.timezone)
    p = picked.period(client.timezone)
    board = dash.dashboard(session=session, client_id=client_id, period=p, topic=picked.topic or None)
    sentiment_bars, sentiment_height = charts.sentiment_bars(board.sentiment)
    voice_bars, voice_height = charts.voice_bars(board.share_of_voice)
    base = f"/clients/{client_id}/listening"
    context = {
        "board": board, "p": p, "base": base, "ranges": RANGES, "errors": picked.errors,
        "volume_chart": charts.volume_chart(board.volume), "sentiment_bars": sentiment_bars,
        "sentiment_height": sentiment_height, "voice_bars": voice_bars, "voice_height": voice_height,
        "bar": charts, "queries": listening.list_queries(session=session, client_id=client_id),
        "sources": SOURCES, "sentiments": [s.value for s in Sentiment],
        "table_csv": f"/api/clients/{client_id}/listening/dashboard.csv?{_export_params(picked, p)}",
        "may_manage": principal.can(LISTENING_MANAGE, client_id),
        "rising_min": dash.RISING_MIN_COUNT, "rising_ratio": f"{dash.RISING_MIN_RATIO:g}",
        "local_end": (p.end - timedelta(microseconds=1)).astimezone(p.tz),
        **_mentions_context(session, client_id, picked, p),
    }
    return client_page(request, session, client_id, "listening/dashboard.html", context,
                       422 if picked.errors else 200)


@router.get("/clients/{client_id}/listening/mentions")
def mentions_part(client_id: int, request: Request, session: DB, _: Principal = Depends(require(LISTENING_VIEW))):
    """The mentions list alone (HTMX paging and filters); a full page when opened directly."""
    if request.headers.get("hx-request") != "true":
        return see_other(f"/clients/{client_id}/listening?{request.url.query}#mentions")
    client = clients_service.get(session=session, client_id=client_id)
    picked = Picked.parse(request.query_params, client.timezone)
    p = picked.period(client.timezone)
    context = {"client": client, "base": f"/clients/{client_id}/listening",
               "queries": listening.list_queries(session=session, client_id=client_id),
               **_mentions_context(session, client_id, picked, p)}
    return templating.render(request, "listening/_mentions.html", context)


# --- the queries editor -------------------------------------------------------------------------


def _queries_page(request: Request, session: Session, principal: Principal, client_id: int, *, values=None,
                  errors=None, editing=None, status: int = 200):
    context = {
        "queries": listening.list_queries(session=session, client_id=client_id),
        "values": values or {"topic": Topic.BRAND.value, "enabled": True}, "errors": errors or {},
        "editing": editing, "may_manage": principal.can(LISTENING_MANAGE, client_id),
        "may_check": principal.can(LISTENING_CHECK, client_id), "base": f"/clients/{client_id}/listening",
    }
    return client_page(request, session, client_id, "listening/queries.html", context, status)


@router.get("/clients/{client_id}/listening/queries")
def queries_page(client_id: int, request: Request, session: DB,
                 principal: Principal = Depends(require(LISTENING_VIEW))):
    """The client's queries by topic, and the form to add one."""
    clients_service.get(session=session, client_id=client_id)
    return _queries_page(request, session, principal, client_id)


@router.post("/clients/{client_id}/listening/queries/check")
def check_part(client_id: int, request: Request, session: DB, form: Form,
               _: Principal = Depends(require(LISTENING_CHECK))):
    """The live check under the query text: how it is understood, or the error with a caret under it."""
    clients_service.get(session=session, client_id=client_id)
    text = form.get("text") if isinstance(form.get("text"), str) else ""
    context: dict = {"text": text}
    if text.strip():
        try:
            context["parsed"] = str(parse(text))
        except QuerySyntaxError as exc:
            context.update(error=exc.reason, position=exc.position, caret=caret(text, exc.position))
    return templating.render(request, "listening/_check.html", context)


def _query_values(form) -> dict:
    return form_fields(form, QueryIn, checkboxes=("enabled",))


@router.post("/clients/{client_id}/listening/queries")
def add_query(client_id: int, request: Request, session: DB, form: Form,
              principal: Principal = Depends(require(LISTENING_MANAGE))):
    """Add a query; a syntax error is shown under the text with its position."""
    clients_service.get(session=session, client_id=client_id)
    values = _query_values(form)
    with collect_errors(session) as errors:
        listening.create_query(session=session, client_id=client_id, data=validate(QueryIn, values),
                               user_id=principal.user_id)
        return see_other(f"/clients/{client_id}/listening/queries?saved=1")
    return _queries_page(request, session, principal, client_id, values=values, errors=errors, status=422)


@router.get("/clients/{client_id}/listening/queries/{query_id}")
def edit_query_page(client_id: int, query_id: RowId, request: Request, session: DB,
                    principal: Principal = Depends(require(LISTENING_MANAGE))):
    """The form to change one query."""
    row = listening.get_query(session=session, client_id=client_id, query_id=query_id)
    values = {"name": row.name, "topic": row.topic, "text": row.text, "enabled": row.enabled}
    return _queries_page(request, session, principal, client_id, values=values, editing=row)


@router.post("/clients/{client_id}/listening/queries/{query_id}")
def save_query(client_id: int, query_id: RowId, request: Request, session: DB, form: Form,
               principal: Principal = Depends(require(LISTENING_MANAGE))):
    """Save the changed query (its mentions stay; a new text matches from now on)."""
    row = listening.get_query(session=session, client_id=client_id, query_id=query_id)
    values = _query_values(form)
    with collect_errors(session) as errors:
        listening.update_query(session=session, client_id=client_id, query_id=query_id,
                               data=validate(QueryPatch, values))
        return see_other(f"/clients/{client_id}/listening/queries?saved=1")
    return _queries_page(request, session, principal, client_id, values=values, errors=errors, editing=row,
                         status=422)


@router.post("/clients/{client_id}/listening/queries/{query_id}/enabled")
def toggle_query(client_id: int, query_id: RowId, session: DB, form: Form,
                 _: Principal = Depends(require(LISTENING_MANAGE))):
    """Switch a query on or off (off keeps it and its mentions, and stops matching)."""
    listening.update_query(session=session, client_id=client_id, query_id=query_id,
                           data=QueryPatch(enabled=form.get("enabled") == "1"))
    return see_other(f"/clients/{client_id}/listening/queries?saved=1")


@router.post("/clients/{client_id}/listening/queries/{query_id}/delete")
def remove_query(client_id: int, query_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_MANAGE))):
    """Delete a query and its matches (mentions other queries matched stay)."""
    listening.delete_query(session=session, client_id=client_id, query_id=query_id)
    return see_other(f"/clients/{client_id}/listening/queries?saved=1")
