"""Request dependencies: the database session, who is asking, and the permission check.

Every route declares what it needs with :func:`require` (or :data:`public`); the app refuses to
start if a route declares neither (see :func:`audit_routes`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.config import Settings
from socialdesk.kit.authz import Permission, Principal, Scope, authorize
from socialdesk.kit.errors import NotAuthenticated, NotFound

SESSION_COOKIE = "sd_session"
CSRF_COOKIE = "sd_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Row ids are 32-bit integers on PostgreSQL; a larger one in a URL would fail in the database.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The row's id")]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.database.session() as session:
        yield session


def client_ip(request: Request) -> str:
    """The caller's address, as the login rate limit keys it."""
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def optional_principal(request: Request, session: Session = Depends(get_db)) -> Principal | None:
    """Who is asking: an API token (Authorization: Bearer) or a signed session cookie."""
    settings = get_settings(request)
    token = _bearer(request)
    if token is not None:
        found = auth_service.user_for_api_token(session=session, raw=token)
        if found is None:
            raise NotAuthenticated("the API token is unknown or revoked")
        user, row = found
        return auth_service.principal_for(session=session, user=user, read_only=row.read_only)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = auth_service.user_for_session(session=session, settings=settings, cookie=cookie)
        if found is not None:
            return auth_service.principal_for(session=session, user=found[0])
    return None


def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise NotAuthenticated("sign in first (or send an API token as 'Authorization: Bearer ...')")
    return principal


def require(perm: Permission):
    """A dependency that lets the request through only if the principal holds ``perm``.

    For client permissions the client is the route's ``{client_id}`` path parameter.
    """

    def dependency(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
        client_id = None
        if perm.scope is Scope.CLIENT:
            raw = request.path_params.get("client_id")
            try:
                client_id = int(raw)
            except (TypeError, ValueError):
                raise NotFound(f"client {raw!r} not found") from None
            if not 1 <= client_id <= MAX_ROW_ID:
                raise NotFound(f"client {client_id} not found")
        request.state.principal = principal  # error pages still show who is signed in
        authorize(principal, perm, client_id)
        return principal

    dependency.permission = perm
    dependency.__name__ = f"require_{perm.name.replace('.', '_')}"
    return dependency


def public() -> None:
    """Marks a route anyone may call (sign-in, first set-up, accepting an invitation)."""


public.public = True


async def csrf_protect(request: Request) -> None:
    """Refuse state-changing browser requests that lack the CSRF token.

    Requests with an API token carry no ambient authority and are exempt; so are JSON requests
    that carry no session cookie (a cross-site page cannot send JSON without a CORS preflight,
    which this app never grants).
    """
    if request.method not in UNSAFE_METHODS or _bearer(request):
        return
    is_json = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    if is_json and SESSION_COOKIE not in request.cookies:
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        token = (await request.form()).get(CSRF_FIELD)
    settings = get_settings(request)
    if not auth_service.csrf_token_valid(settings, request.cookies.get(CSRF_COOKIE), token):
        from socialdesk.kit.errors import Forbidden

        raise Forbidden("the form's security token is missing or stale; reload the page and try again")


def declared_access(route) -> tuple[list[Permission], bool]:
    """The permissions a route's dependencies check, and whether it is marked public."""
    perms, is_public = [], False
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        call = dep.call
        if getattr(call, "permission", None) is not None:
            perms.append(call.permission)
        if getattr(call, "public", False):
            is_public = True
        stack.extend(dep.dependencies)
    return perms, is_public


def api_routes(app) -> list:
    """Every FastAPI route of ``app``, included routers' ones too, with its effective path, methods
    and dependencies. (Recent FastAPI keeps an included router's routes inside a wrapper object
    instead of copying them into ``app.routes``.)"""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: included routes are copied into app.routes
        return [route for route in app.routes if isinstance(route, APIRoute)]
    return [ctx for ctx in iter_route_contexts(app.routes) if isinstance(ctx.original_route, APIRoute)]


def audit_routes(app) -> None:
    """Fail at start-up if any route forgot to declare who may call it."""
    problems = []
    for route in api_routes(app):
        perms, is_public = declared_access(route)
        if not perms and not is_public:
            problems.append(f"{sorted(route.methods)} {route.path}: no require(...) or public dependency")
        for perm in perms:
            if perm.scope is Scope.CLIENT and "{client_id}" not in route.path:
                problems.append(f"{route.path}: client permission {perm.name} needs a {{client_id}} path parameter")
    if problems:
        raise RuntimeError("routes without an access rule:\n  " + "\n  ".join(problems))
