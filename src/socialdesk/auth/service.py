"""Accounts, passwords (Argon2), web sessions, API tokens and the login rate limit."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from socialdesk.auth.models import ApiToken, LoginAttempt, User, WebSession
from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.kit.authz import AgencyRole, Principal, Role
from socialdesk.kit.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, RateLimited

_hasher = PasswordHasher()
MIN_PASSWORD = 10
TOKEN_PREFIX = "sdk_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput.on(field, f"must be at least {MIN_PASSWORD} characters long")
    if password.strip() != password or not password.strip():
        raise InvalidInput.on(field, "must not start or end with spaces")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return True


def has_users(*, session: Session) -> bool:
    return session.scalar(select(func.count(User.id))) > 0


def get_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def get(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def create_user(*, session: Session, email: str, name: str, password: str, agency_role: AgencyRole) -> User:
    """Create an account; the e-mail address must be new."""
    check_password_strength(password)
    if not name.strip():
        raise InvalidInput.on("name", "must not be empty")
    if get_by_email(session=session, email=email) is not None:
        raise Conflict(f"an account with e-mail {normalize_email(email)} already exists", field="email")
    user = User(email=normalize_email(email), name=name.strip(), password_hash=hash_password(password), agency_role=agency_role)
    session.add(user)
    session.flush()
    return user


def create_owner(*, session: Session, email: str, name: str, password: str) -> User:
    """Create the first account, the agency's owner. Refused once any account exists."""
    if has_users(session=session):
        raise Conflict("the owner account already exists; sign in, or ask a director for an invitation")
    return create_user(session=session, email=email, name=name, password=password, agency_role=AgencyRole.OWNER)


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """Set a new password and end every web session of the user (a stolen cookie dies with it)."""
    if not verify_password(user, current):
        raise InvalidInput.on("current_password", "is not your current password")
    check_password_strength(new, field="new_password")
    user.password_hash = hash_password(new)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))


# --- login with a rate limit --------------------------------------------------------------


def authenticate(*, session: Session, settings: Settings, email: str, password: str, ip: str) -> User:
    """Check e-mail and password; too many recent failures (per address and per IP) are refused."""
    now = utcnow()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    keys = [f"email:{normalize_email(email)}", f"ip:{ip}"]
    for key in keys:
        failures = session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.key == key, LoginAttempt.at >= window_start, LoginAttempt.succeeded.is_(False)
            )
        )
        if failures >= settings.login_max_failures:
            oldest = session.scalar(
                select(func.min(LoginAttempt.at)).where(
                    LoginAttempt.key == key, LoginAttempt.at >= window_start, LoginAttempt.succeeded.is_(False)
                )
            )
            retry = max(1, int((oldest + timedelta(seconds=settings.login_window_seconds) - now).total_seconds()))
            raise RateLimited(f"too many failed sign-ins; try again in {retry} seconds", retry_after=retry)
    user = get_by_email(session=session, email=email)
    ok = user is not None and user.is_active and verify_password(user, password)
    if user is None:
        _hasher.hash(password)  # spend the same time whether or not the account exists
    session.add_all([LoginAttempt(key=key, succeeded=ok, at=now) for key in keys])
    if not ok:
        # The failure must be counted even though the caller's unit of work is rolled back.
        session.commit()
        raise NotAuthenticated("wrong e-mail or password")
    user.last_login_at = now
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < window_start))
    session.flush()
    return user


# --- web sessions -------------------------------------------------------------------------


def start_session(*, session: Session, settings: Settings, user: User) -> str:
    """Open a web session; returns the signed value for the cookie."""
    raw = secrets.token_urlsafe(32)
    session.add(
        WebSession(token_hash=_digest(raw), user_id=user.id, expires_at=utcnow() + timedelta(days=settings.session_days))
    )
    session.flush()
    return Signer(settings.session_secret(), salt="session").sign(raw).decode()


def _unsign(settings: Settings, cookie: str) -> str | None:
    try:
        return Signer(settings.session_secret(), salt="session").unsign(cookie).decode()
    except BadSignature:
        return None


def user_for_session(*, session: Session, settings: Settings, cookie: str) -> tuple[User, str] | None:
    """The user of a signed session cookie and the session's raw id, or None if invalid/expired."""
    raw = _unsign(settings, cookie)
    if raw is None:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(raw)))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user, raw


def end_session(*, session: Session, settings: Settings, cookie: str) -> None:
    raw = _unsign(settings, cookie)
    if raw is not None:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(raw)))


def csrf_token_for(settings: Settings, seed: str) -> str:
    """The CSRF token that goes with a browser's CSRF cookie (signed double submit)."""
    return Signer(settings.session_secret(), salt="csrf").get_signature(seed).decode()


def csrf_token_valid(settings: Settings, seed: str | None, token: str | None) -> bool:
    return bool(seed) and bool(token) and secrets.compare_digest(csrf_token_for(settings, seed), token)


# --- API tokens ---------------------------------------------------------------------------


def create_api_token(*, session: Session, user: User, name: str, read_only: bool) -> tuple[ApiToken, str]:
    """Make a token for scripts. It acts with the user's current rights (or fewer, if read-only).

    The raw token is returned once and only its digest is stored.
    """
    if not name.strip():
        raise InvalidInput.on("name", "give the token a name, e.g. 'reporting script'")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip(), prefix=raw[:10], token_hash=_digest(raw), read_only=read_only)
    session.add(row)
    session.flush()
    return row, raw


def list_api_tokens(*, session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id)
        )
    )


def revoke_api_token(*, session: Session, user: User, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(f"API token {token_id} not found")
    row.revoked_at = utcnow()


def user_for_api_token(*, session: Session, raw: str) -> tuple[User, ApiToken] | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    _touch(session, row)
    return user, row


TOKEN_TOUCH_SECONDS = 60  # how stale a token's last use may be shown


def _touch(session: Session, row: ApiToken) -> None:
    """Record the token's use, at most once a minute and best effort.

    A write in every request would make concurrent requests of one script collide on SQLite (a read
    transaction cannot take the write lock once another request has committed); a missed stamp
    only means the Account page shows an older "last used".
    """
    now = utcnow()
    if row.last_used_at is not None and (now - row.last_used_at).total_seconds() < TOKEN_TOUCH_SECONDS:
        return
    try:
        with session.begin_nested():
            row.last_used_at = now
            session.flush()
    except OperationalError:
        pass  # the rollback to the savepoint left the request's own work untouched


# --- principals ---------------------------------------------------------------------------


def principal_for(*, session: Session, user: User, read_only: bool = False) -> Principal:
    from socialdesk.team.models import Membership

    roles = {
        client_id: Role(role)
        for client_id, role in session.execute(
            select(Membership.client_id, Membership.role).where(Membership.user_id == user.id)
        )
    }
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        agency_role=AgencyRole(user.agency_role),
        client_roles=roles,
        read_only=read_only,
    )
