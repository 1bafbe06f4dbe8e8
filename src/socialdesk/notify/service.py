"""Telling people: every notification is kept in the app (the bell), and pushed to the person's
phone and chat targets unless their rules hold it; urgent ones get through mutes and quiet hours.

A push runs in a task queued only once the notification's unit of work commits, so a rolled-back
change never buzzes a phone. The worker claims the push first (``claim_push``), so one notification is
never pushed by two workers at once; a sweep each minute queues again the pushes whose task was lost
(``lost_pushes``): nothing is left unsent because a worker died or the queue was emptied. Apprise URLs hold tokens: they live in the vault, are decrypted only
to send, and never reach a log, an error text or a page.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import apprise
from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.kit import netguard
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput, NotFound
from socialdesk.notify.models import PushDelivery, PushPreference, PushTarget
from socialdesk.notify.schemas import DeliveryStatus, RuleIn, TargetIn, TargetPatch
from socialdesk.publishing.models import Notification
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

log = logging.getLogger("socialdesk.notify")
# Apprise's debug and info lines name what it sends to (hosts, addresses, sometimes more of the URL):
# keep them out of the process's logs whatever its level; its warnings are the reasons we record.
logging.getLogger("apprise").setLevel(logging.WARNING)
# Apprise sends from its own pool threads, so what it and the HTTP library log cannot be told apart
# by thread: pushes go one at a time per process, and while one is out the HTTP library's debug lines
# (they carry the request path, a token for many services) are dropped and Apprise's warnings are
# this push's reasons.
_SEND_LOCK = threading.Lock()
_sending = threading.Event()


class _WhileSending(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _sending.is_set()


for _name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
    logging.getLogger(_name).addFilter(_WhileSending())

# Schemes whose host is a server the person runs: the server must not be able to reach into its own
# network through them (cloud services' "hosts" are tokens and are never resolved).
SELF_HOSTED = {"json", "jsons", "xml", "xmls", "form", "forms", "ntfy", "ntfys", "gotify", "gotifys", "matrix",
               "matrixs", "mmost", "mmosts", "rocket", "rockets", "apprise", "apprises", "mailto", "mailtos"}


# --- sending --------------------------------------------------------------------------------------


def send(session: Session, user_ids: Iterable[int], *, client_id: int | None, kind: str, message: str,
         link: str = "", urgent: bool = False) -> list[Notification]:
    """Notify each person once (ids may repeat); returns the rows written. Pushes follow the commit."""
    rows = [Notification(user_id=uid, client_id=client_id, kind=kind[:30], message=message, link=link[:500],
                         urgent=urgent) for uid in sorted(set(user_ids))]
    if not rows:
        return rows
    session.add_all(rows)
    session.flush()
    pushed = set(session.scalars(select(PushTarget.user_id).where(
        PushTarget.user_id.in_([r.user_id for r in rows]), PushTarget.enabled.is_(True))))
    if pushed:
        from socialdesk.notify import tasks as notify_tasks  # the tasks module imports this one
        from socialdesk.tasks import enqueue_after_commit

        for row in rows:
            if row.user_id in pushed:
                enqueue_after_commit(session, notify_tasks.push_notification, row.id)
    return rows


PUSH_LOST_AFTER = timedelta(minutes=1)  # queued and not taken by then: the task is taken to be lost
PUSH_LEASE = timedelta(minutes=10)  # a worker that took a push and recorded nothing by then has stopped
PUSH_GIVE_UP_AFTER = timedelta(hours=6)  # older notifications are not pushed any more: the bell has them


def claim_push(*, session: Session, notification_id: int, now: datetime | None = None) -> bool:
    """Take the push of one notification for ``PUSH_LEASE``; False when another worker holds it.

    The caller commits the claim before pushing, so the other workers see it."""
    now = now or utcnow()
    taken = session.execute(update(Notification).where(
        Notification.id == notification_id,
        or_(Notification.push_claimed_at.is_(None), Notification.push_claimed_at < now - PUSH_LEASE),
    ).values(push_claimed_at=now))
    return taken.rowcount == 1


def lost_pushes(*, session: Session, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Recent notifications with a target still waiting for them whose push nobody holds: never taken
    within ``PUSH_LOST_AFTER`` of being written, or taken longer than ``PUSH_LEASE`` ago (the worker
    stopped mid-way; the targets it recorded are not sent to again, one it reached without recording
    may be). Targets added after the notification do not count."""
    now = now or utcnow()
    waiting = exists().where(
        PushTarget.user_id == Notification.user_id, PushTarget.enabled.is_(True),
        PushTarget.created_at <= Notification.created_at,
        ~exists().where(PushDelivery.notification_id == Notification.id, PushDelivery.target_id == PushTarget.id))
    return list(session.scalars(select(Notification.id).where(
        Notification.created_at >= now - PUSH_GIVE_UP_AFTER,
        or_(Notification.push_claimed_at.is_(None) & (Notification.created_at < now - PUSH_LOST_AFTER),
            Notification.push_claimed_at < now - PUSH_LEASE),
        waiting,
    ).order_by(Notification.id).limit(limit)))


def push(*, session: Session, vault: Vault, settings: Settings, notification_id: int,
         now: datetime | None = None) -> list[PushDelivery]:
    """Push one notification to its person's enabled targets, or record why it was held."""
    note = session.get(Notification, notification_id)
    if note is None:  # rolled back in a savepoint, or deleted meanwhile
        return []
    done = set(session.scalars(select(PushDelivery.target_id).where(PushDelivery.notification_id == note.id)))
    targets = [t for t in list_targets(session=session, user_id=note.user_id)
               if t.enabled and t.id not in done and t.created_at <= note.created_at]
    if not targets:
        return []
    held = hold_reason(rule_for(session=session, user_id=note.user_id, client_id=note.client_id),
                       urgent=note.urgent, at=now or utcnow())
    title, body = _message(session, settings, note)
    out = []
    for target in targets:
        status, error = (held, "") if held else _deliver(session, vault, target, title, body)
        out.append(_record(session, target, status, error, notification=note))
    return out


def test_target(*, session: Session, vault: Vault, target: PushTarget) -> PushDelivery:
    """Send a test message to one target now (whatever the rules say) and record the outcome."""
    status, error = _deliver(session, vault, target, "socialdesk: test",
                             f"This is a test from socialdesk to “{target.label}”. It works.")
    return _record(session, target, status, error, notification=None)


def _message(session: Session, settings: Settings, note: Notification) -> tuple[str, str]:
    from socialdesk.clients.models import Client

    client = session.get(Client, note.client_id) if note.client_id else None
    title = ("URGENT · " if note.urgent else "") + note.kind.replace("_", " ").capitalize()
    if client is not None:
        title += f" · {client.name}"
    body = note.message
    if note.link.startswith("/"):
        body += f"\n{settings.base_url.rstrip('/')}{note.link}"
    return title, body


def _deliver(session: Session, vault: Vault, target: PushTarget, title: str, body: str) -> tuple[str, str]:
    """Send through Apprise; returns (status, reason without the URL)."""
    try:
        url = vault_service.get(session=session, vault=vault, name=target.secret_name)
    except NotFound:
        return DeliveryStatus.FAILED, "the target's URL is missing from the vault; remove the target and add it again"
    sender = apprise.Apprise()
    if not sender.add(url):
        return DeliveryStatus.FAILED, "Apprise no longer accepts this target's URL; remove it and add it again"
    capture = _Reasons()
    apprise_log = logging.getLogger("apprise")
    with _SEND_LOCK:
        apprise_log.addHandler(capture)
        _sending.set()
        try:
            # TEXT: messages carry text from the public, which HTML targets (e-mail) must escape.
            ok = sender.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        finally:
            _sending.clear()
            apprise_log.removeHandler(capture)
    if ok:
        return DeliveryStatus.SENT, ""
    return DeliveryStatus.FAILED, _scrub(capture.lines, url) or "the service refused the notification"


class _Reasons(logging.Handler):
    """Apprise's warnings while one push is out."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _scrub(lines: list[str], url: str) -> str:
    """Apprise's reasons without any piece of the URL that could be a secret."""
    reason = " ".join(line.strip() for line in lines if line.strip())
    pieces = sorted({p for p in re.split(r"[/:@?&=#]+", url.split("://", 1)[-1]) if len(p) >= 4},
                    key=len, reverse=True)
    for piece in [url, *pieces]:
        reason = reason.replace(piece, "…")
    return reason[:500]


def _record(session: Session, target: PushTarget, status: str, error: str, *,
            notification: Notification | None) -> PushDelivery:
    row = PushDelivery(notification_id=notification.id if notification else None, user_id=target.user_id,
                       target_id=target.id, urgent=bool(notification and notification.urgent), status=status,
                       error=error)
    session.add(row)
    session.flush()
    log.info("push %s to target %s: %s", row.notification_id, target.id, status)
    return row


def deliveries(*, session: Session, user_id: int, limit: int = 50) -> list[PushDelivery]:
    """The person's latest pushes, newest first."""
    return list(session.scalars(select(PushDelivery).where(PushDelivery.user_id == user_id)
                                .order_by(PushDelivery.at.desc(), PushDelivery.id.desc()).limit(limit)))


# --- rules ----------------------------------------------------------------------------------------


def in_quiet_hours(rule: PushPreference, at: datetime) -> bool:
    """Whether ``at`` falls in the rule's quiet hours, read in its time zone (spans may cross midnight)."""
    if rule.quiet_start is None or rule.quiet_end is None:
        return False
    local = at.astimezone(ZoneInfo(rule.timezone or "UTC")).time().replace(tzinfo=None)
    start, end = _plain(rule.quiet_start), _plain(rule.quiet_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _plain(value: time) -> time:
    return value.replace(tzinfo=None)


def hold_reason(rule: PushPreference | None, *, urgent: bool, at: datetime) -> str | None:
    """Why a push waits (held_muted, held_quiet), or None to send it; urgent items are never held."""
    if rule is None or urgent:
        return None
    if rule.muted or rule.urgent_only:
        return DeliveryStatus.HELD_MUTED
    if in_quiet_hours(rule, at):
        return DeliveryStatus.HELD_QUIET
    return None


def rule_for(*, session: Session, user_id: int, client_id: int | None) -> PushPreference | None:
    """The person's rule for the client, else their default; a client rule replaces the default whole."""
    rules = {r.client_id: r for r in list_rules(session=session, user_id=user_id)}
    return rules.get(client_id) if client_id in rules else rules.get(None)


def list_rules(*, session: Session, user_id: int) -> list[PushPreference]:
    """The default rule first, then one per client."""
    rows = session.scalars(select(PushPreference).where(PushPreference.user_id == user_id))
    return sorted(rows, key=lambda r: (r.client_id is not None, r.client_id or 0))


def save_rule(*, session: Session, principal: Principal, client_id: int | None, data: RuleIn) -> PushPreference:
    """Set the default rule (``client_id`` None) or the rule for a client the person works on."""
    if client_id is not None:
        from socialdesk.clients import service as clients_service

        if principal.role_on(client_id) is None:
            raise NotFound(f"client {client_id} not found")
        clients_service.get(session=session, client_id=client_id)
    row = session.scalar(select(PushPreference).where(
        PushPreference.user_id == principal.user_id, _same_client(client_id)))
    if row is None:
        row = PushPreference(user_id=principal.user_id, client_id=client_id)
        session.add(row)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    session.flush()
    return row


def remove_rule(*, session: Session, user_id: int, client_id: int | None) -> bool:
    row = session.scalar(select(PushPreference).where(PushPreference.user_id == user_id, _same_client(client_id)))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def _same_client(client_id: int | None):
    return PushPreference.client_id.is_(None) if client_id is None else PushPreference.client_id == client_id


# --- targets --------------------------------------------------------------------------------------


def list_targets(*, session: Session, user_id: int) -> list[PushTarget]:
    return list(session.scalars(select(PushTarget).where(PushTarget.user_id == user_id).order_by(PushTarget.id)))


def get_target(*, session: Session, user_id: int, target_id: int) -> PushTarget:
    """One of the person's own targets (anyone else's is not found)."""
    row = session.get(PushTarget, target_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"push target {target_id} not found")
    return row


def add_target(*, session: Session, vault: Vault, settings: Settings, user_id: int, data: TargetIn) -> PushTarget:
    """Check the Apprise URL, keep it in the vault and the scheme and label in the row."""
    scheme = data.url.split("://", 1)[0].lower() if "://" in data.url else ""
    plugin = apprise.Apprise.instantiate(data.url) if scheme else None
    if plugin is None:
        raise InvalidInput.on("url", "not an Apprise URL that socialdesk can send to; write it like ntfy://topic, "
                                     "slack://tokenA/tokenB/tokenC, tgram://bottoken/chatid or mailto://user:pass@host "
                                     "(see the Apprise documentation for each service)")
    if scheme in SELF_HOSTED:
        host = getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
        if host:
            netguard.check_public_url(f"http://{host}/", field="url", allow_private=settings.allow_private_urls)
    row = PushTarget(user_id=user_id, label=data.label, scheme=scheme[:30], enabled=True)
    session.add(row)
    session.flush()
    vault_service.put(session=session, vault=vault, name=row.secret_name, value=data.url)
    return row


def update_target(*, session: Session, target: PushTarget, data: TargetPatch) -> PushTarget:
    for name, value in data.model_dump(exclude_none=True).items():
        setattr(target, name, value)
    session.flush()
    return target


def remove_target(*, session: Session, target: PushTarget) -> None:
    """Forget the target and its URL (its past deliveries stay, without the target)."""
    vault_service.delete(session=session, name=target.secret_name)
    session.delete(target)
    session.flush()


def masked(target: PushTarget) -> str:
    """What a target is without its secret: the scheme only."""
    return f"{target.scheme}://••••"
