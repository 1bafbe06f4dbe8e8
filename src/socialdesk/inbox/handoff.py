"""Handing a conversation to sales (a lead) or customer service (a support case).

The destination comes from the client's inbox settings: the kind's webhook when one is set, else its
e-mail address (one destination per handoff, so a team that wants both uses a webhook that mails).
The handoff row is written with the request; a task delivers it after the commit (a JSON POST, or a
plain-text and HTML e-mail over SMTP) and retries with back-off until ``handoff_attempts`` is spent.
The conversation carries text from the public: the HTML e-mail escapes every piece of it.
"""

from __future__ import annotations

import enum
import html
import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.auth.models import User
from socialdesk.clients.models import Client
from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.inbox import service as inbox_service
from socialdesk.inbox.models import Conversation, Handoff, InboxEvent, InboxSettings
from socialdesk.inbox.schemas import Tag, tag_mask
from socialdesk.kit import mail, netguard
from socialdesk.kit.errors import InvalidInput

log = logging.getLogger("socialdesk.inbox.handoff")
# Answers that will not change on a retry (the receiver refuses this request as such).
PERMANENT = frozenset(range(400, 500)) - {408, 409, 425, 429}


class HandoffKind(enum.StrEnum):
    LEAD = "lead"  # to sales
    SUPPORT = "support"  # to customer service

    @property
    def team(self) -> str:
        return "sales" if self is HandoffKind.LEAD else "customer service"


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: HandoffKind


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    conversation_id: int
    kind: HandoffKind
    destination: str
    address: str  # a webhook shows as its scheme and host: its path often holds a secret
    status: str
    attempts: int
    error: str
    created_by_id: int | None
    created_at: datetime
    delivered_at: datetime | None


class _Undelivered(Exception):
    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


# --- handing off ----------------------------------------------------------------------------------


def create(*, session: Session, settings: Settings, conversation: Conversation, kind: HandoffKind,
           actor_id: int | None) -> Handoff:
    """Write the handoff (pending), tag a lead, record the event; delivery is queued for after the commit."""
    destination, address = destination_for(session=session, settings=settings, client_id=conversation.client_id,
                                           kind=kind)
    row = Handoff(conversation_id=conversation.id, client_id=conversation.client_id, kind=kind,
                  destination=destination, address=address, status="pending", attempts=0, error="",
                  created_by_id=actor_id, next_attempt_at=utcnow())
    session.add(row)
    if kind is HandoffKind.LEAD and Tag.LEAD not in (conversation.tags or []):
        conversation.tags = sorted({*(conversation.tags or []), Tag.LEAD.value})
        conversation.tag_mask = tag_mask(conversation.tags)
        _event(session, conversation, actor_id, "tags", "+lead")
    _event(session, conversation, actor_id, "handoff", f"to {kind.team} by {destination} ({shown_address(row)})")
    session.flush()
    from socialdesk.notify import tasks as delivery_tasks  # the tasks module imports this one
    from socialdesk.tasks import enqueue_after_commit

    enqueue_after_commit(session, delivery_tasks.deliver_handoff, row.id)
    return row


def _event(session: Session, conversation: Conversation, actor_id: int | None, kind: str, detail: str) -> None:
    session.add(InboxEvent(conversation_id=conversation.id, client_id=conversation.client_id, actor_id=actor_id,
                           kind=kind, detail=detail))


def _configured(rules: InboxSettings | None, kind: HandoffKind) -> tuple[str, str]:
    """The kind's (webhook URL, e-mail address) in the client's inbox settings, "" where unset."""
    if rules is None:
        return "", ""
    return (getattr(rules, f"{kind}_webhook_url") or "").strip(), (getattr(rules, f"{kind}_email") or "").strip()


def configured_kinds(*, session: Session, client_id: int) -> list[HandoffKind]:
    """The kinds the client's inbox settings give somewhere to go (read, not created: a page view writes
    no settings row)."""
    rules = session.get(InboxSettings, client_id)
    return [kind for kind in HandoffKind if any(_configured(rules, kind))]


def destination_for(*, session: Session, settings: Settings, client_id: int, kind: HandoffKind) -> tuple[str, str]:
    """('webhook', url) when the kind's webhook is set, else ('email', address); a clear error when neither."""
    webhook, address = _configured(session.get(InboxSettings, client_id), kind)
    if webhook:
        return "webhook", webhook
    if address:
        if not settings.smtp_host:
            raise InvalidInput.on("kind", f"{kind.team} gets {kind.value}s by e-mail, but this server has no SMTP "
                                          "server: set SOCIALDESK_SMTP_HOST (and _PORT, _USERNAME, _PASSWORD, _FROM), "
                                          f"or set {kind}_webhook_url in the client's inbox settings")
        return "email", address
    raise InvalidInput.on("kind", f"nowhere to send {kind.value}s for this client: fill in {kind}_webhook_url or "
                                  f"{kind}_email in the client's inbox settings")


def list_for(*, session: Session, conversation: Conversation) -> list[Handoff]:
    """The conversation's handoffs, oldest first."""
    return list(session.scalars(select(Handoff).where(Handoff.conversation_id == conversation.id)
                                .order_by(Handoff.created_at, Handoff.id)))


def shown_address(row: Handoff) -> str:
    """The address as people see it: an e-mail in full, a webhook as its scheme and host."""
    if row.destination != "webhook":
        return row.address
    parts = urlsplit(row.address)
    return f"{parts.scheme}://{parts.hostname}/…"


def out(row: Handoff) -> HandoffOut:
    return HandoffOut.model_validate({**{k: getattr(row, k) for k in HandoffOut.model_fields},
                                      "address": shown_address(row)})


# --- delivering -----------------------------------------------------------------------------------


def attempt(*, session: Session, settings: Settings, handoff_id: int) -> float | None:
    """Try one delivery; returns the seconds to wait before the next try, or None when done."""
    row = session.get(Handoff, handoff_id)
    if row is None or row.status != "pending":  # delivered or given up by an earlier run
        return None
    row.attempts += 1
    try:
        document = conversation_document(session=session, settings=settings, handoff=row)
        if row.destination == "webhook":
            _post(settings, row, document)
        else:
            _mail(settings, row, document)
    except _Undelivered as exc:
        row.error = exc.reason[:2000]
        if exc.permanent or row.attempts >= settings.handoff_attempts:
            row.status, row.next_attempt_at = "failed", None
            log.warning("handoff %s failed after %s attempts", row.id, row.attempts)
            return None
        wait = settings.handoff_retry_seconds * 2 ** (row.attempts - 1)
        row.next_attempt_at = utcnow() + timedelta(seconds=wait)
        return wait
    row.status, row.error, row.delivered_at, row.next_attempt_at = "delivered", "", utcnow(), None
    log.info("handoff %s delivered by %s", row.id, row.destination)
    return None


STALLED_AFTER = timedelta(minutes=15)  # past its due time with no attempt: the queued task was lost


def requeue_stalled(*, session: Session, now: datetime | None = None) -> list[int]:
    """The pending handoffs whose delivery task is overdue by ``STALLED_AFTER`` (a worker died holding it,
    or the queue was emptied): their due time moves to now, so the next sweep leaves them alone while
    the task the caller queues runs. Should the lost task turn up after all, the receiver sees the same
    Idempotency-Key twice."""
    now = now or utcnow()
    rows = list(session.scalars(select(Handoff).where(
        Handoff.status == "pending", Handoff.next_attempt_at < now - STALLED_AFTER).order_by(Handoff.id)))
    for row in rows:
        log.warning("handoff %s was due at %s and not tried: queued again", row.id, row.next_attempt_at)
        row.next_attempt_at = now
    session.flush()
    return [row.id for row in rows]


def conversation_document(*, session: Session, settings: Settings, handoff: Handoff) -> dict:
    """What the receiving team gets: the client, the conversation, every item, the notes, who handed it off."""
    conversation = session.get(Conversation, handoff.conversation_id)
    client = session.get(Client, handoff.client_id)
    actor = session.get(User, handoff.created_by_id) if handoff.created_by_id else None
    items = sorted(conversation.items, key=lambda i: (i.created_at, i.id))
    notes = inbox_service.notes(session=session, conversation=conversation)
    authors = {u.id: u.name for u in session.scalars(select(User).where(
        User.id.in_({n.author_id for n in notes if n.author_id})))}
    base = settings.base_url.rstrip("/")
    return {
        "handoff": {"id": handoff.id, "kind": str(handoff.kind), "at": handoff.created_at.isoformat(),
                    "by": {"name": actor.name, "email": actor.email} if actor else None},
        "client": {"id": client.id, "name": client.name},
        "conversation": {
            "id": conversation.id, "network": conversation.network, "status": conversation.status,
            "tags": list(conversation.tags or []), "author_handle": conversation.author_handle,
            "started_at": conversation.first_item_at.isoformat(),
            "link": f"{base}/clients/{client.id}/inbox/{conversation.id}",
        },
        "items": [{"kind": i.kind, "at": i.created_at.isoformat(), "text": i.text, "link": i.url,
                   "author": {"handle": i.author_handle, "name": i.author_name, "link": i.author_url,
                              "followers": i.author_followers}} for i in items],
        "notes": [{"at": n.at.isoformat(), "author": authors.get(n.author_id, ""), "text": n.text} for n in notes],
    }


def _post(settings: Settings, row: Handoff, document: dict) -> None:
    try:
        netguard.check_public_url(row.address, field="webhook", allow_private=settings.allow_private_urls)
    except InvalidInput as exc:
        raise _Undelivered(exc.message, permanent=True) from None
    transport = netguard.guarded_transport(allow_private=settings.allow_private_urls)
    try:
        with httpx.Client(transport=transport, timeout=settings.handoff_timeout_seconds, follow_redirects=False) as http:
            response = http.post(row.address, json=document, headers={
                "User-Agent": "socialdesk", "Idempotency-Key": f"socialdesk-handoff-{row.id}"})
    except httpx.HTTPError as exc:
        if reason := netguard.refusal(exc):
            raise _Undelivered(reason, permanent=True) from None
        raise _Undelivered(f"the webhook could not be reached ({type(exc).__name__})") from None
    if not 200 <= response.status_code < 300:
        raise _Undelivered(f"the webhook answered HTTP {response.status_code}: {response.text[:300]}",
                           permanent=response.status_code in PERMANENT)


def _mail(settings: Settings, row: Handoff, document: dict) -> None:
    message = email_message(settings=settings, to=row.address, document=document)
    try:
        mail.send(settings, message, timeout=settings.handoff_timeout_seconds)
    except mail.MailError as exc:
        raise _Undelivered(exc.reason, permanent=exc.permanent) from None


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def email_message(*, settings: Settings, to: str, document: dict) -> EmailMessage:
    """The conversation as a plain-text e-mail with an HTML alternative in which all text is escaped."""
    kind, client, conv = document["handoff"]["kind"], document["client"], document["conversation"]
    who = document["handoff"]["by"]
    title = f"{'Lead' if kind == 'lead' else 'Support case'} from {conv['network']}: {conv['author_handle']}"
    lines = [title, f"Client: {client['name']}", f"Handed off by: {who['name'] if who else 'socialdesk'}",
             f"Conversation: {conv['link']}", ""]
    for item in document["items"]:
        author = item["author"]
        lines += [f"{author['name'] or author['handle']} ({author['handle']}) · {item['at']}", item["text"]]
        if item["link"]:
            lines.append(item["link"])
        lines.append("")
    if document["notes"]:
        lines.append("Notes from the team:")
        lines += [f"- {n['author']}: {n['text']}" for n in document["notes"]]

    e = html.escape
    parts = [f"<h1>{e(title)}</h1>", f"<p>Client: {e(client['name'])}<br>Handed off by: "
             f"{e(who['name'] if who else 'socialdesk')}<br><a href=\"{e(conv['link'])}\">Open the conversation</a></p>"]
    for item in document["items"]:
        author = item["author"]
        link = f' · <a href="{e(item["link"])}">link</a>' if item["link"].startswith(("https://", "http://")) else ""
        parts.append(f"<p><strong>{e(author['name'] or author['handle'])}</strong> ({e(author['handle'])}) · "
                     f"{e(item['at'])}{link}</p><blockquote>{e(item['text'])}</blockquote>")
    if document["notes"]:
        parts.append("<h2>Notes from the team</h2><ul>" + "".join(
            f"<li>{e(n['author'])}: {e(n['text'])}</li>" for n in document["notes"]) + "</ul>")

    message = EmailMessage()
    message["Subject"] = _one_line(f"{title} · {client['name']}")[:250]
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "socialdesk")
    message.set_content("\n".join(lines))
    message.add_alternative("<!doctype html><html><body>" + "".join(parts) + "</body></html>", subtype="html")
    return message
