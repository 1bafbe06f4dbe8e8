"""JSON routes for signing up, signing in and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.permissions import ACCOUNT_TOKENS, ACCOUNT_VIEW
from socialdesk.auth.schemas import ApiTokenCreated, ApiTokenIn, ApiTokenOut, LoginIn, MeOut, PasswordChange, SignupIn
from socialdesk.kit.authz import Principal
from socialdesk.web.deps import SESSION_COOKIE, RowId, client_ip, get_db, public, require
from socialdesk.web.session import begin_browser_session, end_browser_session

router = APIRouter(prefix="/api/auth", tags=["auth"])


def me_out(principal: Principal, request: Request) -> MeOut:
    """The signed-in person as the API shows them, with the CSRF token for browser callers."""
    from socialdesk.web.session import csrf_token

    return MeOut(
        id=principal.user_id,
        email=principal.email,
        name=principal.name,
        agency_role=principal.agency_role,
        read_only=principal.read_only,
        client_roles=principal.client_roles,
        csrf_token=csrf_token(request),
    )


@router.post("/signup", response_model=MeOut, status_code=201, dependencies=[Depends(public)])
def signup(data: SignupIn, request: Request, response: Response, session: Session = Depends(get_db)):
    """Create the first account (the agency owner) and sign in. Refused once an account exists."""
    user = auth_service.create_owner(session=session, email=data.email, name=data.name, password=data.password)
    begin_browser_session(request, response, session, user)
    return me_out(auth_service.principal_for(session=session, user=user), request)


@router.post("/login", response_model=MeOut, dependencies=[Depends(public)])
def login(data: LoginIn, request: Request, response: Response, session: Session = Depends(get_db)):
    """Sign in with e-mail and password; sets the session cookie."""
    user = auth_service.authenticate(
        session=session,
        settings=request.app.state.settings,
        email=data.email,
        password=data.password,
        ip=client_ip(request),
    )
    begin_browser_session(request, response, session, user)
    return me_out(auth_service.principal_for(session=session, user=user), request)


@router.post("/logout", status_code=204, dependencies=[Depends(public)])
def logout(request: Request, response: Response, session: Session = Depends(get_db)):
    end_browser_session(request, response, session)


@router.get("/me", response_model=MeOut)
def me(request: Request, principal: Principal = Depends(require(ACCOUNT_VIEW))):
    return me_out(principal, request)


@router.post("/password", status_code=204)
def change_password(
    data: PasswordChange,
    request: Request,
    response: Response,
    principal: Principal = Depends(require(ACCOUNT_TOKENS)),
    session: Session = Depends(get_db),
):
    """Change your password; every session is signed out and a browser caller gets a fresh one."""
    user = auth_service.get(session=session, user_id=principal.user_id)
    auth_service.change_password(session=session, user=user, current=data.current_password, new=data.new_password)
    if SESSION_COOKIE in request.cookies:
        begin_browser_session(request, response, session, user)


@router.get("/tokens", response_model=list[ApiTokenOut])
def list_tokens(principal: Principal = Depends(require(ACCOUNT_VIEW)), session: Session = Depends(get_db)):
    user = auth_service.get(session=session, user_id=principal.user_id)
    return auth_service.list_api_tokens(session=session, user=user)


@router.post("/tokens", response_model=ApiTokenCreated, status_code=201)
def create_token(data: ApiTokenIn, principal: Principal = Depends(require(ACCOUNT_TOKENS)), session: Session = Depends(get_db)):
    """Make an API token that acts with your rights (or only reads, if ``read_only``)."""
    user = auth_service.get(session=session, user_id=principal.user_id)
    row, raw = auth_service.create_api_token(session=session, user=user, name=data.name, read_only=data.read_only)
    return ApiTokenCreated(**ApiTokenOut.model_validate(row).model_dump(), token=raw)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, principal: Principal = Depends(require(ACCOUNT_TOKENS)), session: Session = Depends(get_db)):
    user = auth_service.get(session=session, user_id=principal.user_id)
    auth_service.revoke_api_token(session=session, user=user, token_id=token_id)
