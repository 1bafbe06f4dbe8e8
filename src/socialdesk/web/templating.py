"""Jinja2 set-up shared by every domain's views: one loader over each domain's templates/."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from socialdesk.clients.schemas import WEEKDAYS

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [ROOT / "web" / "templates"] + [
    ROOT / domain / "templates" for domain in ("auth", "clients", "team") if (ROOT / domain / "templates").is_dir()
]

_env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_env.globals["WEEKDAYS"] = WEEKDAYS
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    """Render a page with the things every page needs (who is signed in, CSRF token, client menu)."""
    from socialdesk.web.session import csrf_token

    ctx = {"principal": getattr(request.state, "principal", None), "csrf_token": csrf_token(request)}
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
