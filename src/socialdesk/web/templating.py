"""Jinja2 set-up shared by every domain's views: one loader over each domain's templates/."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import available_timezones

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from socialdesk.clients.schemas import WEEKDAYS, KpiMetric

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "web" / "templates"] + [
    ROOT / domain / "templates" for domain in ("auth", "clients", "channels", "team", "publishing", "inbox", "notify", "listening", "crisis", "analytics", "links", "reports") if (ROOT / domain / "templates").is_dir()
]

_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_env.globals["WEEKDAYS"] = WEEKDAYS
_env.globals["TIMEZONES"] = sorted(available_timezones())


def _label(value) -> str:
    """A readable name for an enum value: a KPI metric, a role, a policy."""
    if hasattr(value, "label"):
        return value.label
    text = str(value)
    if text in KpiMetric.__members__.values():
        return KpiMetric(text).label
    return text.replace("_", " ").capitalize()


def _number(value: float | int | None) -> str:
    """1200.0 -> '1,200', 2.5 -> '2.5'."""
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


def _day(value: date | datetime | None) -> str:
    return value.strftime("%-d %b %Y") if value else ""


_env.filters.update(label=_label, number=_number, day=_day)
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    """Render a page with the things every page needs (who is signed in, CSRF token, client menu)."""
    from socialdesk.web.session import csrf_token

    ctx = {"principal": getattr(request.state, "principal", None), "csrf_token": csrf_token(request)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
