"""The signed-in person's notification settings page: push targets (the URL is write-only), the
default rule and per-client rules, and what was pushed lately."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.clients import service as clients_service
from socialdesk.clients.views import Form, see_other
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.notify import service as notify_service
from socialdesk.notify.permissions import PUSH_MANAGE, PUSH_VIEW
from socialdesk.notify.schemas import RuleIn, TargetIn, TargetPatch
from socialdesk.vault.service import Vault
from socialdesk.web.deps import RowId, get_db, get_settings, require
from socialdesk.web.forms import collect_errors, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
PAGE = "/notifications/settings"
STATUS_WORDS = {"sent": "Sent", "failed": "Failed", "held_quiet": "Held (quiet hours)", "held_muted": "Held (muted)"}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _page(request: Request, session: Session, principal: Principal, *, errors=None, values=None, tested=None,
          status: int = 200):
    clients = clients_service.list_visible(session=session, principal=principal)
    rules = notify_service.list_rules(session=session, user_id=principal.user_id)
    ctx = {
        "targets": notify_service.list_targets(session=session, user_id=principal.user_id),
        "masked": notify_service.masked,
        "default_rule": next((r for r in rules if r.client_id is None), None),
        "client_rules": [r for r in rules if r.client_id is not None],
        "clients": clients, "client_names": {c.id: c.name for c in clients},
        "deliveries": notify_service.deliveries(session=session, user_id=principal.user_id, limit=20),
        "status_words": STATUS_WORDS, "errors": errors or {}, "values": values or {}, "tested": tested,
    }
    return render(request, "notify/settings.html", ctx, status)


def _rule_in(form: FormData) -> RuleIn:
    data = {"muted": "muted" in form, "urgent_only": "urgent_only" in form,
            "quiet_start": _text(form, "quiet_start") or None, "quiet_end": _text(form, "quiet_end") or None,
            "timezone": _text(form, "timezone") or "UTC"}
    return validate(RuleIn, data)


@router.get(PAGE)
def settings_page(request: Request, session: DB, principal: Principal = Depends(require(PUSH_VIEW))):
    """Where your notifications go beyond the app, and when they wait."""
    return _page(request, session, principal)


@router.post(f"{PAGE}/targets")
def add_target(request: Request, session: DB, form: Form, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Add an Apprise URL (never shown again)."""
    settings = get_settings(request)
    with collect_errors(session) as errors:
        data = validate(TargetIn, {"label": _text(form, "label"), "url": _text(form, "url")})
        notify_service.add_target(session=session, vault=Vault.from_settings(settings), settings=settings,
                                  user_id=principal.user_id, data=data)
        return see_other(f"{PAGE}?saved=1")
    # The URL is not filled back in: it holds a token, and pages never carry it.
    return _page(request, session, principal, errors={"target": errors},
                 values={"target": {"label": _text(form, "label")}}, status=422)


@router.post(f"{PAGE}/targets/{{target_id}}/test")
def test_target(target_id: RowId, request: Request, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Send a test message to the target now and show the outcome."""
    target = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    delivery = notify_service.test_target(session=session, vault=Vault.from_settings(get_settings(request)),
                                          target=target)
    return _page(request, session, principal, tested={"target": target, "delivery": delivery})


@router.post(f"{PAGE}/targets/{{target_id}}/toggle")
def toggle_target(target_id: RowId, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Pause or resume a target."""
    target = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    notify_service.update_target(session=session, target=target, data=TargetPatch(enabled=not target.enabled))
    return see_other(f"{PAGE}?saved=1")


@router.post(f"{PAGE}/targets/{{target_id}}/remove")
def remove_target(target_id: RowId, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Remove a target and its stored URL."""
    target = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    notify_service.remove_target(session=session, target=target)
    return see_other(f"{PAGE}?saved=1")


@router.post(f"{PAGE}/rules")
def save_rule(request: Request, session: DB, form: Form, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Save the default rule (no client chosen) or the rule of one client."""
    raw = _text(form, "client_id")
    form_name = "client_rule" if raw else "default_rule"
    with collect_errors(session) as errors:
        if raw and not raw.isdigit():
            raise InvalidInput.on("client_id", "choose one of your clients")
        notify_service.save_rule(session=session, principal=principal, client_id=int(raw) if raw else None,
                                 data=_rule_in(form))
        return see_other(f"{PAGE}?saved=1")
    values = {key: _text(form, key) for key in form if key != "csrf_token"}
    return _page(request, session, principal, errors={form_name: errors}, values={form_name: values}, status=422)


@router.post(f"{PAGE}/rules/{{client_id}}/remove")
def remove_rule(client_id: RowId, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Drop the rule of one client: the default applies to it again."""
    notify_service.remove_rule(session=session, user_id=principal.user_id, client_id=client_id)
    return see_other(f"{PAGE}?saved=1")
