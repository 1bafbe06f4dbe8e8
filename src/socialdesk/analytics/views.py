"""Web pages of analytics: a client's Analytics page and the agency's analytics overview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from socialdesk.analytics import charts, insights
from socialdesk.analytics import service as analytics_service
from socialdesk.analytics.permissions import ANALYTICS_VIEW
from socialdesk.clients import service as clients_service
from socialdesk.clients.permissions import OVERVIEW_VIEW
from socialdesk.clients.schemas import WEEKDAYS
from socialdesk.clients.views import client_page
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.team.permissions import TEAM_VIEW
from socialdesk.web.deps import get_db, require
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]

RANGES = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last 365 days"}
COMPARE = {"": "No comparison", "previous": "The period before", "year": "The same days a year before"}


def _day(params, name: str, errors: dict) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{name}: give a day as YYYY-MM-DD"
        return None
    if not 1970 <= value.year <= 2200:
        errors[name] = f"{name}: give a day between the years 1970 and 2200"
        return None
    return value


@dataclass
class Picked:
    """The period and comparison the URL asks for; bad values are said and replaced by the default."""

    range: str
    start: date
    end: date
    compare: str
    compare_start: date | None
    compare_end: date | None
    errors: dict

    @classmethod
    def parse(cls, params, today: date) -> Picked:
        errors: dict[str, str] = {}
        days = params.get("range") if params.get("range") in RANGES else "30"
        start, end = _day(params, "start", errors), _day(params, "end", errors)
        if start or end:
            end = end or today
            start = start or end - timedelta(days=int(days) - 1)
            if end < start:
                errors["end"] = "end: must be on or after the start"
            elif (end - start).days >= insights.MAX_DAYS:
                errors["start"] = f"start: the period may span at most {insights.MAX_DAYS} days"
        if errors or not start:
            end, start = today, today - timedelta(days=int(days) - 1)
        compare = params.get("compare") if params.get("compare") in COMPARE else ""
        length = (end - start).days + 1
        c_start = c_end = None
        if compare == "previous":
            c_end = start - timedelta(days=1)
            c_start = c_end - timedelta(days=length - 1)
        elif compare == "year":
            c_start, c_end = _year_before(start), _year_before(end)
        return cls(days, start, end, compare, c_start, c_end, errors)

    def url(self, base: str, **override) -> str:
        values = {"start": self.start.isoformat(), "end": self.end.isoformat(), "compare": self.compare, **override}
        return f"{base}?{urlencode({k: v for k, v in values.items() if v})}"


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _paired(board: insights.Dashboard) -> list[tuple[insights.KpiResult, insights.KpiResult | None]]:
    before = board.compare_kpis
    return [(k, before[i] if i < len(before) else None) for i, k in enumerate(board.kpis)]


@router.get("/clients/{client_id}/analytics")
def analytics_page(client_id: int, request: Request, session: DB,
                   principal: Principal = Depends(require(ANALYTICS_VIEW))):
    """KPIs against targets, followers, engagement, what works, best times, recommendations, competitors."""
    client = clients_service.get(session=session, client_id=client_id)
    picked = Picked.parse(request.query_params, analytics_service.client_today(client))
    try:
        board = insights.dashboard(session=session, client_id=client_id, start=picked.start, end=picked.end,
                                   compare_start=picked.compare_start, compare_end=picked.compare_end)
    except InvalidInput as exc:  # a comparison outside the limits: show the period alone, and say why
        picked.errors[exc.errors[0].field if exc.errors else "compare"] = exc.message
        picked.compare, picked.compare_start, picked.compare_end = "", None, None
        board = insights.dashboard(session=session, client_id=client_id, start=picked.start, end=picked.end)
    context = {
        "board": board, "picked": picked, "ranges": RANGES, "compares": COMPARE, "errors": picked.errors,
        "kpi_pairs": _paired(board), "base": f"/clients/{client_id}/analytics",
        "follower_chart": charts.follower_chart(board.followers),
        "engagement_chart": charts.engagement_chart(board.engagement, board.engagement_bucket),
        "heat": charts.heat_map(board.best_times, WEEKDAYS), "weekdays": WEEKDAYS,
        "see_team": principal.can(TEAM_VIEW, client_id),
    }
    return client_page(request, session, client_id, "analytics/dashboard.html", context,
                       422 if picked.errors else 200)


@router.get("/analytics")
def agency_page(request: Request, session: DB, principal: Principal = Depends(require(OVERVIEW_VIEW))):
    """Every client's KPIs on one page, and where the team's time went."""
    raw = request.query_params.get("days") or "30"
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= insights.MAX_DAYS else 30
    board = insights.overview(session=session, principal=principal, days=days)
    return render(request, "analytics/agency.html", {"board": board, "ranges": RANGES, "days": str(days)})
