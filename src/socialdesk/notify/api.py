"""JSON routes of a person's push targets, rules and deliveries (always their own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from socialdesk.kit.authz import Principal
from socialdesk.notify import service as notify_service
from socialdesk.notify.permissions import PUSH_CLIENT_RULE, PUSH_MANAGE, PUSH_VIEW
from socialdesk.notify.schemas import DeliveryOut, RuleIn, RuleOut, TargetIn, TargetOut, TargetPatch
from socialdesk.vault.service import Vault
from socialdesk.web.deps import MAX_ROW_ID, RowId, get_db, get_settings, require

router = APIRouter(prefix="/api", tags=["push notifications"])
DB = Annotated[Session, Depends(get_db)]
TargetId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="One of your push targets")]


def _out(target) -> TargetOut:
    return TargetOut(id=target.id, label=target.label, scheme=target.scheme, enabled=target.enabled,
                     created_at=target.created_at, masked=notify_service.masked(target))


@router.get("/push/targets", response_model=list[TargetOut])
def targets(session: DB, principal: Principal = Depends(require(PUSH_VIEW))):
    """Your push targets; each URL shows as its scheme only."""
    return [_out(t) for t in notify_service.list_targets(session=session, user_id=principal.user_id)]


@router.post("/push/targets", response_model=TargetOut, status_code=201)
def add_target(data: TargetIn, request: Request, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Add an Apprise URL (ntfy, Slack, Telegram, e-mail ...); it is kept encrypted and never shown again."""
    settings = get_settings(request)
    row = notify_service.add_target(session=session, vault=Vault.from_settings(settings), settings=settings,
                                    user_id=principal.user_id, data=data)
    return _out(row)


@router.patch("/push/targets/{target_id}", response_model=TargetOut)
def update_target(target_id: TargetId, data: TargetPatch, session: DB,
                  principal: Principal = Depends(require(PUSH_MANAGE))):
    """Rename, pause (enabled false) or resume a target."""
    row = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    return _out(notify_service.update_target(session=session, target=row, data=data))


@router.delete("/push/targets/{target_id}", status_code=204)
def remove_target(target_id: TargetId, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Remove a target and its stored URL."""
    row = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    notify_service.remove_target(session=session, target=row)


@router.post("/push/targets/{target_id}/test", response_model=DeliveryOut)
def test_target(target_id: TargetId, request: Request, session: DB,
                principal: Principal = Depends(require(PUSH_MANAGE))):
    """Send a test message now; ``status`` says sent or failed (with the service's reason)."""
    row = notify_service.get_target(session=session, user_id=principal.user_id, target_id=target_id)
    return notify_service.test_target(session=session, vault=Vault.from_settings(get_settings(request)), target=row)


@router.get("/push/rules", response_model=list[RuleOut])
def rules(session: DB, principal: Principal = Depends(require(PUSH_VIEW))):
    """Your default rule (client_id null) and your rules per client; a client rule replaces the default."""
    return notify_service.list_rules(session=session, user_id=principal.user_id)


@router.put("/push/rules/default", response_model=RuleOut)
def save_default_rule(data: RuleIn, session: DB, principal: Principal = Depends(require(PUSH_MANAGE))):
    """Mute, urgent only and quiet hours wherever no client rule applies."""
    return notify_service.save_rule(session=session, principal=principal, client_id=None, data=data)


@router.put("/clients/{client_id}/push-rule", response_model=RuleOut)
def save_client_rule(client_id: RowId, data: RuleIn, session: DB,
                     principal: Principal = Depends(require(PUSH_CLIENT_RULE))):
    """Your rule for this client (replaces your default for its notifications)."""
    return notify_service.save_rule(session=session, principal=principal, client_id=client_id, data=data)


@router.delete("/clients/{client_id}/push-rule", status_code=204)
def remove_client_rule(client_id: RowId, session: DB, principal: Principal = Depends(require(PUSH_CLIENT_RULE))):
    """Drop your rule for this client: your default applies again."""
    notify_service.remove_rule(session=session, user_id=principal.user_id, client_id=client_id)


@router.get("/push/deliveries", response_model=list[DeliveryOut])
def deliveries(session: DB, principal: Principal = Depends(require(PUSH_VIEW))):
    """Your latest 50 pushes: sent, failed (why) or held (quiet hours, muted)."""
    return notify_service.deliveries(session=session, user_id=principal.user_id)
