"""Browser session and CSRF cookies."""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.web.deps import CSRF_COOKIE, SESSION_COOKIE


def _cookie_args(request: Request) -> dict:
    settings = request.app.state.settings
    return {"httponly": True, "samesite": "lax", "secure": settings.secure_cookies, "path": "/"}


def csrf_seed(request: Request) -> str:
    """The browser's CSRF cookie value, made on first need (kept on request.state until set)."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if seed is None:
        seed = secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return auth_service.csrf_token_for(request.app.state.settings, csrf_seed(request))


def set_pending_cookies(request: Request, response: Response) -> None:
    """Attach the CSRF cookie if this request created it."""
    seed = getattr(request.state, "new_csrf_seed", None)
    if seed is not None and CSRF_COOKIE not in request.cookies:
        response.set_cookie(CSRF_COOKIE, seed, max_age=60 * 60 * 24 * 365, **_cookie_args(request))


def begin_browser_session(request: Request, response: Response, session: Session, user: User) -> None:
    settings = request.app.state.settings
    value = auth_service.start_session(session=session, settings=settings, user=user)
    response.set_cookie(SESSION_COOKIE, value, max_age=settings.session_days * 86400, **_cookie_args(request))


def end_browser_session(request: Request, response: Response, session: Session) -> None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        auth_service.end_session(session=session, settings=request.app.state.settings, cookie=cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
