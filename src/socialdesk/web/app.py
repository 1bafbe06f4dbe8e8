"""The FastAPI application: JSON API under /api, web pages, static assets, error handling."""

from __future__ import annotations

import gc
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import socialdesk
from socialdesk.config import Settings, get_settings
from socialdesk.db import Database
from socialdesk.kit.errors import DomainError, NotAuthenticated, describe, field_errors
from socialdesk.web.deps import audit_routes, csrf_protect, public
from socialdesk.web.middleware import SendAfterCommit
from socialdesk.web.session import set_pending_cookies

log = logging.getLogger("socialdesk.web")
STATIC = Path(__file__).resolve().parent / "static"
# Front-end libraries installed from the npm registry at set-up, served from node_modules.
ASSETS = {"htmx": "htmx.org/dist", "pico": "@picocss/pico/css", "swagger": "swagger-ui-dist"}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def create_served_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The app as ``socialdesk serve`` runs it (one per server process): the objects it holds on start
    are frozen out of garbage collection, which only tests must not do (each makes apps of its own)."""
    app = create_app(settings, database)
    app.state.freeze_heap = True
    return app


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or Database(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.auto_migrate:
            database.migrate()
        if getattr(app.state, "freeze_heap", False):
            # Routes, models and libraries are some 300,000 objects that live as long as the process: left
            # in the collector's generations, every full collection walked them all (200 ms, the slowest
            # requests of bench/inbox_list.py). Frozen, a collection only walks what requests made.
            gc.collect()
            gc.freeze()
        yield

    app = FastAPI(
        title="socialdesk",
        version=socialdesk.__version__,
        description="Self-hosted command center for social media directors and their agency teams. "
        "Authenticate scripts with an API token (`Authorization: Bearer sdk_...`).",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.database = database

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError):
        if isinstance(exc, NotAuthenticated) and _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
        body = {"detail": exc.message, "errors": [{"field": e.field, "message": e.message} for e in exc.errors]}
        if _wants_html(request):
            from socialdesk.web.templating import render

            return render(request, "error.html", {"status": exc.status, "message": exc.message}, exc.status)
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = field_errors(exc.errors())
        body = {"detail": describe(errors), "errors": [{"field": e.field, "message": e.message} for e in errors]}
        return JSONResponse(body, status_code=422)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        set_pending_cookies(request, response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.url.path != "/docs":
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
            )
        return response

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(public)])
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="socialdesk API",
            swagger_js_url="/assets/swagger/swagger-ui-bundle.js",
            swagger_css_url="/assets/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/healthz", include_in_schema=False, dependencies=[Depends(public)])
    def healthz() -> dict:
        return {"status": "ok", "version": socialdesk.__version__}

    from socialdesk.analytics import api as analytics_api, views as analytics_views
    from socialdesk.auth import api as auth_api, views as auth_views
    from socialdesk.channels import api as channels_api, views as channels_views
    from socialdesk.clients import api as clients_api, views as clients_views
    from socialdesk.crisis import api as crisis_api, views as crisis_views
    from socialdesk.inbox import api as inbox_api, views as inbox_views
    from socialdesk.links import api as links_api, public as links_public, views as links_views
    from socialdesk.listening import api as listening_api, views as listening_views
    from socialdesk.notify import api as notify_api, views as notify_views
    from socialdesk.publishing import api as publishing_api, views as publishing_views
    from socialdesk.reports import api as reports_api, views as reports_views
    from socialdesk.team import api as team_api, views as team_views

    for module in (analytics_api, auth_api, clients_api, channels_api, team_api, publishing_api, inbox_api,
                   auth_views, clients_views,
                   channels_views, team_views, publishing_views, inbox_views, notify_api, notify_views,
                   listening_api, listening_views, links_api, links_views, links_public, crisis_api, crisis_views,
                   reports_api, reports_views):
        app.include_router(module.router)
    app.include_router(listening_api.agency_router)  # agency-wide listening sources
    app.include_router(analytics_api.agency_router)  # the agency's analytics overview
    app.include_router(analytics_views.router)
    app.include_router(reports_api.agency_router)  # the agency's branding on reports

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    node_modules = settings.resolved_assets_dir
    for name, sub in ASSETS.items():
        folder = node_modules / sub
        if folder.is_dir():
            app.mount(f"/assets/{name}", StaticFiles(directory=folder), name=f"assets-{name}")
        else:
            log.warning("front-end library missing: %s (run `npm ci` in the project folder)", folder)

    app.add_middleware(SendAfterCommit)
    audit_routes(app)
    return app
