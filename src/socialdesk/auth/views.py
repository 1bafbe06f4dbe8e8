"""Web pages for first set-up, signing in and out, and your own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.auth import service as auth_service
from socialdesk.auth.permissions import ACCOUNT_TOKENS, ACCOUNT_VIEW
from socialdesk.auth.schemas import ApiTokenIn, LoginIn, PasswordChange, SignupIn
from socialdesk.clients.views import see_other
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput, NotAuthenticated, RateLimited
from socialdesk.web.deps import RowId, client_ip, get_db, public, require
from socialdesk.web.forms import collect_errors, form_data, form_fields, validate
from socialdesk.web.session import begin_browser_session, end_browser_session
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Form = Annotated[FormData, Depends(form_data)]


def _safe_next(value: str | None) -> str:
    """Only local paths may be redirected to after signing in."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


# --- first set-up -----------------------------------------------------------------------------


@router.get("/setup", dependencies=[Depends(public)])
def setup_form(request: Request, session: DB):
    """The form that creates the owner account on a fresh install."""
    if auth_service.has_users(session=session):
        return see_other("/login")
    return render(request, "auth/setup.html", {"values": {}, "errors": {}})


@router.post("/setup", dependencies=[Depends(public)])
def setup(request: Request, session: DB, form: Form):
    """Create the owner account, sign in and open the overview."""
    if auth_service.has_users(session=session):
        return see_other("/login")
    values = form_fields(form, SignupIn)
    with collect_errors(session) as errors:
        data = validate(SignupIn, values)
        user = auth_service.create_owner(session=session, email=data.email, name=data.name, password=data.password)
        response = see_other("/")
        begin_browser_session(request, response, session, user)
        return response
    values.pop("password", None)
    return render(request, "auth/setup.html", {"values": values, "errors": errors}, 422)


# --- signing in and out -----------------------------------------------------------------------


@router.get("/login", dependencies=[Depends(public)])
def login_form(request: Request, session: DB, next: str = "/"):
    """The sign-in form (the set-up form on a fresh install)."""
    if not auth_service.has_users(session=session):
        return see_other("/setup")
    return render(request, "auth/login.html", {"values": {}, "errors": {}, "next": _safe_next(next)})


@router.post("/login", dependencies=[Depends(public)])
def login(request: Request, session: DB, form: Form):
    """Check e-mail and password, start a browser session and go where the person was heading."""
    values = form_fields(form, LoginIn)
    target = _safe_next(form.get("next"))
    status, headers = 401, None
    try:
        data = validate(LoginIn, values)
        user = auth_service.authenticate(
            session=session,
            settings=request.app.state.settings,
            email=data.email,
            password=data.password,
            ip=client_ip(request),
        )
    except (InvalidInput, NotAuthenticated):
        message = "wrong e-mail or password"
    except RateLimited as exc:
        message, status, headers = exc.message, 429, {"Retry-After": str(exc.retry_after)}
    else:
        response = see_other(target)
        begin_browser_session(request, response, session, user)
        return response
    ctx = {"values": {"email": values.get("email", "")}, "errors": {"_form": message}, "next": target}
    response = render(request, "auth/login.html", ctx, status)
    response.headers.update(headers or {})
    return response


@router.post("/logout", dependencies=[Depends(public)])
def logout(request: Request, session: DB):
    """End this browser session."""
    response = see_other("/login")
    end_browser_session(request, response, session)
    return response


# --- your account -----------------------------------------------------------------------------


def _account_page(request: Request, session: Session, principal: Principal, status: int = 200, **extra):
    user = auth_service.get(session=session, user_id=principal.user_id)
    ctx = {"user": user, "tokens": auth_service.list_api_tokens(session=session, user=user), "errors": {}, "password_errors": {}}
    ctx.update(extra)
    return render(request, "auth/account.html", ctx, status)


@router.get("/account")
def account(request: Request, session: DB, principal: Principal = Depends(require(ACCOUNT_VIEW))):
    """Your API tokens and password."""
    return _account_page(request, session, principal, changed=bool(request.query_params.get("password")))


@router.post("/account/tokens")
def create_token(request: Request, session: DB, form: Form, principal: Principal = Depends(require(ACCOUNT_TOKENS))):
    """Make an API token; its secret is shown on this response only."""
    values = form_fields(form, ApiTokenIn, checkboxes=("read_only",))
    with collect_errors(session) as errors:
        data = validate(ApiTokenIn, values)
        user = auth_service.get(session=session, user_id=principal.user_id)
        row, raw = auth_service.create_api_token(session=session, user=user, name=data.name, read_only=data.read_only)
        return _account_page(request, session, principal, 201, new_token=raw, new_token_row=row)
    return _account_page(request, session, principal, 422, errors=errors, values=values)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: RowId, session: DB, principal: Principal = Depends(require(ACCOUNT_TOKENS))):
    """Revoke one of your API tokens."""
    user = auth_service.get(session=session, user_id=principal.user_id)
    auth_service.revoke_api_token(session=session, user=user, token_id=token_id)
    return see_other("/account")


@router.post("/account/password")
def change_password(request: Request, session: DB, form: Form, principal: Principal = Depends(require(ACCOUNT_TOKENS))):
    """Change your password; other sessions are signed out and this one starts afresh."""
    values = form_fields(form, PasswordChange)
    with collect_errors(session) as errors:
        data = validate(PasswordChange, values)
        if data.new_password != form.get("new_password_again"):
            raise InvalidInput.on("new_password_again", "does not match the new password")
        user = auth_service.get(session=session, user_id=principal.user_id)
        auth_service.change_password(session=session, user=user, current=data.current_password, new=data.new_password)
        response = see_other("/account?password=changed")
        begin_browser_session(request, response, session, user)
        return response
    return _account_page(request, session, principal, 422, password_errors=errors)
