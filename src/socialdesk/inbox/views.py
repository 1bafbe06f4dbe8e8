"""The inbox pages: across clients and per client, a conversation, triage, replies, settings, reports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, NamedTuple
from zoneinfo import ZoneInfo
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.auth.models import User
from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.inbox import handoff as handoffs
from socialdesk.inbox import importing as review_import
from socialdesk.inbox import service as inbox
from socialdesk.inbox import sla
from socialdesk.inbox import reports
from socialdesk.inbox.permissions import INBOX_REPORT, INBOX_REPORT_ALL, INBOX_SETTINGS
from socialdesk.inbox.schemas import Clock as SlaClock
from socialdesk.inbox.schemas import InboxSettingsIn
from socialdesk.inbox.models import Conversation, InboxItem, InboxReply, InboxSettings, SavedReply
from socialdesk.inbox.permissions import INBOX_ALL, INBOX_BULK, INBOX_HANDOFF, INBOX_TRIAGE, INBOX_VIEW
from socialdesk.inbox.schemas import BulkTriage, ConversationPatch, NoteIn, Sentiment, Status, Tag
from socialdesk.kit.authz import Principal, Role
from socialdesk.kit.errors import DomainError, Forbidden, InvalidInput
from socialdesk.web import templating
from socialdesk.web.deps import RowId, get_db, require
from socialdesk.web.forms import collect_errors, error_map, form_fields, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]

# --- the list and conversation pages -------------------------------------------------------------

PAGE = 50
STATUS_LABELS = {Status.NEW: "New", Status.OPEN: "Open", Status.WAITING: "Waiting on client", Status.DONE: "Done"}
NETWORKS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", review_import.NETWORK: "Reviews"}
# "age" filter: when the conversation began, relative to now.
AGES = {
    "newer-1h": ("started in the last hour", "newer", timedelta(hours=1)),
    "newer-24h": ("started in the last 24 h", "newer", timedelta(hours=24)),
    "older-1h": ("older than 1 h", "older", timedelta(hours=1)),
    "older-8h": ("older than 8 h", "older", timedelta(hours=8)),
    "older-24h": ("older than 24 h", "older", timedelta(hours=24)),
    "older-3d": ("older than 3 days", "older", timedelta(days=3)),
    "older-7d": ("older than a week", "older", timedelta(days=7)),
}
FILTER_KEYS = ("client", "channel", "status", "assignee", "sentiment", "tag", "age", "urgent")

_env = templating.templates.env


def safe_url(value: str | None) -> str:
    """The link if it is a plain http(s) address, else "" (public links are shown as text, never followed)."""
    raw = (value or "").strip()
    # Characters a well-formed URL never holds raw: their presence means a breakout attempt or junk.
    if not raw or any(ord(ch) < 33 or ord(ch) == 127 or ch in '"<>`\\' for ch in raw):
        return ""
    try:
        parts = urlsplit(raw)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return raw


def has_inbox(principal: Principal | None) -> bool:
    """Whether the top navigation offers the inbox: directors, and anyone with a role other than approver."""
    if principal is None:
        return False
    return principal.is_director or any(r is not Role.CLIENT_APPROVER for r in principal.client_roles.values())


_env.filters["safe_url"] = safe_url
_env.globals.update(inbox_visible=has_inbox, INBOX_STATUS_LABELS=STATUS_LABELS, INBOX_NETWORKS=NETWORKS)


class Clock(NamedTuple):
    state: str  # none | answered | ok | late (target passed) | near (the limit is close) | breached
    label: str


def _span(seconds: int) -> str:
    """3 h 10 min, 2 d 4 h, 45 min."""
    minutes = max(0, seconds) // 60
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _time_left(conversation: Conversation, now: datetime) -> tuple[int | None, int | None] | None:
    if hasattr(sla, "time_left"):
        return sla.time_left(conversation, now)
    if conversation.awaiting_since is None:  # until the SLA module says: the columns, relative to now
        return None
    return tuple(None if at is None else int((at - now).total_seconds()) for at in (conversation.due_at,
                                                                                    conversation.breach_at))


def clock(conversation: Conversation, now: datetime, near: timedelta = timedelta(hours=1)) -> Clock:
    """The response time left, in words, and how urgent that is."""
    left = _time_left(conversation, now)
    if left is None:
        if conversation.first_response_at is not None:
            return Clock("answered", "answered late" if conversation.breached else "answered")
        return Clock("none", "")
    due, breach = left
    if breach is not None and breach <= 0:
        return Clock("breached", f"over by {_span(-breach)}")
    if breach is not None and breach <= near.total_seconds():
        return Clock("near", f"{_span(breach)} left")
    if due is not None and due <= 0:
        return Clock("late", f"target passed, {_span(breach)} to the limit" if breach is not None else "target passed")
    if due is not None:
        return Clock("ok", f"{_span(due)} left")
    return Clock("none", "")


def _near(session: Session, client_ids) -> dict[int, timedelta]:
    rows = session.scalars(select(InboxSettings).where(InboxSettings.client_id.in_(list(client_ids))))
    return {r.client_id: timedelta(minutes=r.near_breach_minutes or 0) for r in rows}


def _people(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


@dataclass
class Filters:
    """The list's filters as they are in the URL (unknown values are ignored, not refused)."""

    client: int | None = None
    channel: int | None = None
    status: str = ""
    assignee: str = ""  # "" any | mine | unassigned | a person's id
    sentiment: str = ""
    tag: str = ""
    age: str = ""
    urgent: bool = False
    before: datetime | None = None
    before_id: int | None = None  # the last conversation of the previous page (ties on ``before``)

    @classmethod
    def parse(cls, params) -> Filters:
        get = params.get
        before = None
        try:
            before = datetime.fromisoformat(get("before") or "")
            before = before if before.tzinfo else before.replace(tzinfo=UTC)
        except ValueError:
            before = None
        assignee = get("assignee") or ""
        return cls(
            client=_int(get("client")), channel=_int(get("channel")),
            status=get("status") if get("status") in set(Status) else "",
            assignee=assignee if assignee in ("mine", "unassigned") or _int(assignee) else "",
            sentiment=get("sentiment") if get("sentiment") in set(Sentiment) else "",
            tag=get("tag") if get("tag") in set(Tag) else "",
            age=get("age") if get("age") in AGES else "", urgent=get("urgent") == "1", before=before,
            before_id=_int(get("before_id")) if before else None,
        )

    def query(self, **override) -> dict[str, str]:
        values = {"client": self.client, "channel": self.channel, "status": self.status, "assignee": self.assignee,
                  "sentiment": self.sentiment, "tag": self.tag, "age": self.age, "urgent": "1" if self.urgent else "",
                  "before": self.before.isoformat() if self.before else "", "before_id": self.before_id}
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def url(self, base: str, **override) -> str:
        query = urlencode(self.query(**override))
        return f"{base}?{query}" if query else base

    @property
    def active(self) -> bool:
        return any(self.query(before="", before_id="").values())


@dataclass
class Row:
    conversation: Conversation
    latest: InboxItem | None
    client: Client | None
    channel: str
    assignee: str
    clock: Clock
    url: str


def _listing(request: Request, session: Session, principal: Principal, client_ids: list[int], filters: Filters,
             base: str, *, show_client: bool, visible: list | None = None) -> dict:
    """The rows and the filter bar of a list page (``client_ids``: whose inbox it shows; ``visible``: the
    clients the person sees, when the caller has read them)."""
    now = datetime.now(UTC)
    ids = [i for i in client_ids if filters.client is None or i == filters.client]
    age = AGES.get(filters.age)
    assignee = principal.user_id if filters.assignee == "mine" else _int(filters.assignee)
    rows = inbox.list_conversations(
        session=session, client_ids=ids, channel_id=filters.channel, status=Status(filters.status) if filters.status
        else None, assignee_id=assignee, unassigned=filters.assignee == "unassigned",
        tag=Tag(filters.tag) if filters.tag else None,
        sentiment=Sentiment(filters.sentiment) if filters.sentiment else None, urgent=True if filters.urgent else None,
        older_than=now - age[2] if age and age[1] == "older" else None,
        newer_than=now - age[2] if age and age[1] == "newer" else None, before=filters.before,
        before_id=filters.before_id, limit=PAGE)
    latest = inbox.latest_items(session, rows)
    if visible is None:
        visible = clients_service.brief_visible(session=session, principal=principal)
    clients = {c.id: c for c in visible if c.id in client_ids}
    # The connected accounts and the Reviews channels (nothing to publish to, but their reviews are in the
    # inbox), every client's in one query: the all-clients inbox of a director lists fifty clients.
    channels = {c.id: c for c in channels_service.brief_for_clients(session=session, client_ids=client_ids)
                if c.network in channels_service.ADAPTERS or c.network == review_import.NETWORK}
    people = _people(session, [c.assignee_id for c in rows])
    near = _near(session, {c.client_id for c in rows})
    out = [Row(conversation=c, latest=latest.get(c.id), client=clients.get(c.client_id),
               channel=_channel_label(channels.get(c.channel_id)), assignee=people.get(c.assignee_id, ""),
               clock=clock(c, now, near.get(c.client_id, timedelta(hours=1))),
               url=f"/clients/{c.client_id}/inbox/{c.id}") for c in rows]
    team = inbox.teammate_names(session=session, client_ids=client_ids)
    return {
        "rows": out, "filters": filters, "base": base, "show_client": show_client, "me": principal.user_id,
        "list_url": filters.url(base), "clients": [clients[i] for i in client_ids if i in clients],
        "channels": [(c.id, (clients[c.client_id].name + " · " if show_client and c.client_id in clients else "")
                      + _channel_label(c)) for c in channels.values()],
        "team": sorted(team.items(), key=lambda kv: kv[1].casefold()), "ages": AGES, "tags": list(Tag),
        "sentiments": list(Sentiment), "statuses": STATUS_LABELS,
        "older_url": filters.url(base, before=rows[-1].last_activity_at.isoformat(), before_id=rows[-1].id)
        if len(rows) == PAGE else "",
        "newest_url": filters.url(base, before="", before_id="") if filters.before else "",
        "may_triage": {cid for cid in client_ids if principal.can(INBOX_TRIAGE, cid)},
    }


def _channel_label(channel: Channel | None) -> str:
    if channel is None:
        return ""
    return channel.display_name or channel.handle or NETWORKS.get(channel.network, channel.network)


def _partial(request: Request) -> bool:
    """An HTMX request for the list alone (filters, paging, bulk), not a history restore."""
    return request.headers.get("hx-target") == "inbox-list" and not request.headers.get("hx-history-restore-request")


def _list_page(request: Request, session: Session, principal: Principal, client_id: int | None, params,
               *, notice: str = "", problem: str = "", status: int = 200):
    filters = Filters.parse(params)
    if client_id is None:
        visible = clients_service.brief_visible(session=session, principal=principal)
        ids = inbox.inbox_clients(principal, [c.id for c in visible])
        ctx = _listing(request, session, principal, ids, filters, "/inbox", show_client=True, visible=visible)
    else:
        filters.client = None  # a client's own inbox: the path says which
        ctx = _listing(request, session, principal, [client_id], filters, f"/clients/{client_id}/inbox",
                       show_client=False)
    ctx.update(notice=notice, problem=problem)
    if _partial(request):
        return render(request, "inbox/_list.html", ctx, status)
    if client_id is None:
        return render(request, "inbox/inbox.html", ctx, status)
    return client_page(request, session, client_id, "inbox/inbox.html", ctx, status)


@router.get("/inbox")
def all_inboxes(request: Request, session: DB, principal: Principal = Depends(require(INBOX_ALL))):
    """One inbox across every client this person works on (never those they only approve for)."""
    if not has_inbox(principal):
        raise Forbidden("client approvers do not see the inbox")
    return _list_page(request, session, principal, None, request.query_params)


@router.get("/clients/{client_id}/inbox")
def client_inbox(client_id: int, request: Request, session: DB, principal: Principal = Depends(require(INBOX_VIEW))):
    """The client's inbox, newest activity first."""
    return _list_page(request, session, principal, client_id, request.query_params)


def _back(value: str) -> tuple[int | None, list[tuple[str, str]], str] | None:
    """Where a bulk form came from (a list page of this app): its client, query and URL."""
    parts = urlsplit(value or "/inbox")
    if parts.scheme or parts.netloc or "//" in parts.path:
        return None
    match = re.fullmatch(r"/clients/(\d+)/inbox", parts.path)
    if parts.path != "/inbox" and match is None:
        return None
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k in FILTER_KEYS or k in ("before", "before_id")])
    return (int(match.group(1)) if match else None), parse_qsl(parts.query), parts.path + (f"?{query}" if query else "")


def _bulk_form(form: FormData, me: int) -> dict:
    ids = [int(v) for v in form.getlist("ids") if isinstance(v, str) and v.isdigit() and int(v) < 2**31]
    data: dict = {"conversation_ids": ids}
    status, assignee = form.get("status") or "", form.get("assignee") or ""
    if status:
        data["status"] = status
    if assignee == "me":
        data["assignee_id"] = me
    elif assignee == "none":
        data["assignee_id"] = None
    elif assignee:
        data["assignee_id"] = assignee
    for key in ("tags_add", "tags_remove"):
        values = [v for v in form.getlist(key) if isinstance(v, str) and v]
        if values:
            data[key] = values
    return data


@router.post("/inbox/bulk")
def bulk(request: Request, session: DB, form: Form, principal: Principal = Depends(require(INBOX_BULK))):
    """The list's bulk actions (assign, status, tags) on the ticked conversations, all or nothing."""
    back = _back(form.get("next") if isinstance(form.get("next"), str) else "")
    if back is None:
        back = (None, [], "/inbox")
    client_id, params, url = back
    if client_id is not None and not principal.can(INBOX_VIEW, client_id):
        client_id, params, url = None, [], "/inbox"  # never show a list the sender may not see
    problem, updated = "", 0
    try:
        data = _bulk_form(form, principal.user_id)
        if not data["conversation_ids"]:
            raise InvalidInput.on("ids", "tick at least one conversation first")
        if not set(data) - {"conversation_ids"}:
            raise InvalidInput.on("status", "choose what to change: a status, an assignee or a tag")
        patch = validate(BulkTriage, data)
        updated = len(inbox.bulk_update(session=session, client_ids=inbox.triage_clients(session=session,
                                                                                            principal=principal),
                                        conversation_ids=patch.conversation_ids, patch=patch,
                                        actor_id=principal.user_id))
    except DomainError as exc:
        session.rollback()
        problem = "; ".join(error_map(exc).values())
    if not problem and not _partial(request):
        return see_other(url)
    notice = "" if problem else f"{updated} conversation{'s' if updated != 1 else ''} updated."
    return _list_page(request, session, principal, client_id, dict(params), notice=notice, problem=problem,
                      status=422 if problem else 200)


# --- one conversation (":int" lets /inbox/settings, /inbox/report reach their own routes) ----------


@dataclass
class Entry:
    """One line of the conversation: an item from the public or one of our replies."""

    at: datetime
    item: InboxItem | None = None
    reply: InboxReply | None = None


HANDOFF_BUTTONS = {handoffs.HandoffKind.LEAD: "Send to sales (lead)",
                   handoffs.HandoffKind.SUPPORT: "Send to support (case)"}


def _conversation_page(request: Request, session: Session, principal: Principal, client_id: int,
                       conversation_id: int, *, errors: dict | None = None, note_text: str = "", status: int = 200):
    conversation = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    items = sorted(conversation.items, key=lambda i: (i.created_at, i.id))
    replies = inbox.replies(session=session, conversation=conversation)
    timeline = sorted([Entry(i.created_at, item=i) for i in items]
                      + [Entry(r.sent_at or r.created_at, reply=r) for r in replies], key=lambda e: e.at)
    notes = inbox.notes(session=session, conversation=conversation)
    events = inbox.events(session=session, conversation=conversation)
    team = inbox.teammates(session=session, client_id=client_id)
    handed = handoffs.list_for(session=session, conversation=conversation)
    people = _people(session, [n.author_id for n in notes] + [e.actor_id for e in events]
                     + [r.author_id for r in replies] + [m for n in notes for m in (n.mentions or [])]
                     + [h.created_by_id for h in handed] + [conversation.assignee_id])
    history = inbox.author_history(session=session, client_id=client_id, author_remote_id=conversation.author_remote_id,
                                   network=conversation.network, exclude_id=conversation.id, limit=10)
    first = next((i for i in items if i.author_remote_id == conversation.author_remote_id), items[0] if items else None)
    author = {"handle": history.handle or (first.author_handle if first else conversation.author_handle),
              "name": history.name or (first.author_name if first else ""),
              "url": history.url or (first.author_url if first else ""),
              "followers": history.followers if history.handle else (first.author_followers if first else None)}
    channel = session.get(Channel, conversation.channel_id)
    near = _near(session, [client_id]).get(client_id, timedelta(hours=1))
    ctx = {
        "conversation": conversation, "timeline": timeline, "notes": notes, "events": events, "people": people,
        "team": sorted(((u.id, u.name) for u in team), key=lambda kv: kv[1].casefold()),
        "handles": {u.id: sorted(inbox.mention_handles(u), key=len)[0] for u in team},
        "history": history, "author": author, "channel": _channel_label(channel),
        "clock": clock(conversation, datetime.now(UTC), near), "statuses": STATUS_LABELS, "tags": list(Tag),
        "can_triage": principal.can(INBOX_TRIAGE, client_id), "errors": errors or {}, "note_text": note_text,
        "saved_replies": list(session.scalars(select(SavedReply).where(SavedReply.client_id == client_id)
                                              .order_by(SavedReply.title))),
        "me": principal.user_id, "base": f"/clients/{client_id}/inbox",
        "handoffs": [handoffs.out(h) for h in handed], "may_hand_off": principal.can(INBOX_HANDOFF, client_id),
        "handoff_kinds": [(kind.value, HANDOFF_BUTTONS[kind])
                          for kind in handoffs.configured_kinds(session=session, client_id=client_id)],
    }
    return client_page(request, session, client_id, "inbox/conversation.html", ctx, status)


@router.get("/clients/{client_id}/inbox/{conversation_id:int}")
def conversation_page(client_id: int, conversation_id: RowId, request: Request, session: DB,
                      principal: Principal = Depends(require(INBOX_VIEW))):
    """A conversation: its items with our replies, the author and their history, notes, history, triage."""
    return _conversation_page(request, session, principal, client_id, conversation_id)


@router.post("/clients/{client_id}/inbox/{conversation_id:int}")
def triage_conversation(client_id: int, conversation_id: RowId, request: Request, session: DB, form: Form,
                        principal: Principal = Depends(require(INBOX_TRIAGE))):
    """Set what the form sends: status, assignee (empty: nobody, "me": the sender) and tags."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    data: dict = {}
    if "status" in form:
        data["status"] = form.get("status")
    if "assignee_id" in form:
        value = form.get("assignee_id") or ""
        data["assignee_id"] = principal.user_id if value == "me" else (value or None)
    if "tags_shown" in form:  # the tag boxes were on the form, so none ticked means no tags
        data["tags"] = [v for v in form.getlist("tags") if isinstance(v, str) and v]
    with collect_errors(session) as errors:
        inbox.triage(session=session, conversation=row, data=validate(ConversationPatch, data),
                     actor_id=principal.user_id)
        return see_other(f"/clients/{client_id}/inbox/{conversation_id}?saved=1")
    return _conversation_page(request, session, principal, client_id, conversation_id, errors=errors, status=422)


@router.post("/clients/{client_id}/inbox/{conversation_id:int}/notes")
def add_note(client_id: int, conversation_id: RowId, request: Request, session: DB, form: Form,
             principal: Principal = Depends(require(INBOX_TRIAGE))):
    """An internal note; teammates @-mentioned in it are notified."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    text = form.get("text") if isinstance(form.get("text"), str) else ""
    with collect_errors(session) as errors:
        note = validate(NoteIn, {"text": text})
        inbox.add_note(session=session, conversation=row, author_id=principal.user_id, text=note.text)
        return see_other(f"/clients/{client_id}/inbox/{conversation_id}#notes")
    return _conversation_page(request, session, principal, client_id, conversation_id, errors=errors, note_text=text,
                              status=422)


@router.post("/clients/{client_id}/inbox/{conversation_id:int}/handoff")
def hand_off(client_id: int, conversation_id: RowId, request: Request, session: DB, form: Form,
             principal: Principal = Depends(require(INBOX_HANDOFF))):
    """The "Send to sales / support" buttons: the handoff is written now and delivered in the background."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    kind = form.get("kind") if isinstance(form.get("kind"), str) else ""
    with collect_errors(session) as errors:
        data = validate(handoffs.HandoffIn, {"kind": kind})
        handoffs.create(session=session, settings=request.app.state.settings, conversation=row, kind=data.kind,
                        actor_id=principal.user_id)
        return see_other(f"/clients/{client_id}/inbox/{conversation_id}?saved=1#handoffs")
    return _conversation_page(request, session, principal, client_id, conversation_id, errors=errors, status=422)


# --- other inbox pages are appended below (settings, reports, saved replies) ---------------------


# --- response-time promises: settings and the report ---------------------------------------------

CLOCKS = [(SlaClock.CALENDAR.value, "Calendar: every hour counts, nights and weekends included"),
          (SlaClock.BUSINESS.value, "Business: only the client's office hours count")]


def _settings_page(request: Request, session: Session, principal: Principal, client_id: int, *,
                   values: dict | None = None, errors: dict | None = None, status: int = 200):
    may_change = principal.can(INBOX_SETTINGS, client_id)
    shown = sla.settings_view(session, client_id=client_id, reveal=may_change)
    ctx = {"rules": shown, "values": values or shown, "errors": errors or {}, "may_change": may_change,
           "clocks": CLOCKS, "hours_empty": sla.hours_for(session, client_id).empty, "span": _span}
    return client_page(request, session, client_id, "inbox/settings.html", ctx, status)


@router.get("/clients/{client_id}/inbox/settings")
def inbox_settings_page(client_id: int, request: Request, session: DB,
                        principal: Principal = Depends(require(INBOX_VIEW))):
    """The client's response-time promise, clock, urgency threshold and handoff destinations."""
    return _settings_page(request, session, principal, client_id)


@router.post("/clients/{client_id}/inbox/settings")
def save_inbox_settings(client_id: int, request: Request, session: DB, form: Form,
                        principal: Principal = Depends(require(INBOX_SETTINGS))):
    """Save the inbox rules (every field of the form)."""
    clients_service.get(session=session, client_id=client_id)
    values = form_fields(form, InboxSettingsIn, checkboxes=("auto_reply",))
    with collect_errors(session) as errors:
        sla.update_settings(session=session, client_id=client_id, data=validate(InboxSettingsIn, values),
                            allow_private_urls=request.app.state.settings.allow_private_urls)
        return see_other(f"/clients/{client_id}/inbox/settings?saved=1")
    return _settings_page(request, session, principal, client_id, values=values, errors=errors, status=422)


def _report_days(params, zone: str) -> tuple[date, date, dict[str, str]]:
    """The form's first and last day (both included; the last 30 days by default) and its errors."""
    today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    errors: dict[str, str] = {}
    days = {}
    for name, default in (("start", today - timedelta(days=29)), ("end", today)):
        raw = (params.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(raw) if raw else default
            if not reports.FIRST_YEAR <= days[name].year <= reports.LAST_YEAR:
                raise ValueError
        except ValueError:
            errors[name] = f"{name}: give a day as YYYY-MM-DD between {reports.FIRST_YEAR} and {reports.LAST_YEAR}"
            days[name] = default
    if not errors and days["end"] < days["start"]:
        errors["end"] = "end: must be on or after the first day"
    if not errors and (days["end"] - days["start"]).days >= reports.MAX_DAYS:
        errors["start"] = f"start: the period may span at most {reports.MAX_DAYS} days"
    return days["start"], days["end"], errors


def _report_page(request: Request, session: Session, client_ids: list[int], zone: str, template_client: int | None):
    first, last, errors = _report_days(request.query_params, zone)
    if errors:
        first, last = _report_days({}, zone)[:2]
    tz = ZoneInfo(zone)
    start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    report = reports.response_report(session=session, client_ids=client_ids, start=start.astimezone(UTC),
                                     end=end.astimezone(UTC))
    ctx = {"report": report, "first": first, "last": last, "errors": errors, "zone": zone, "span": _span,
           "base": f"/clients/{template_client}/inbox/report" if template_client else "/inbox/report"}
    status = 422 if errors else 200
    if template_client is None:
        return render(request, "inbox/report.html", ctx, status)
    return client_page(request, session, template_client, "inbox/report.html", ctx, status)


@router.get("/clients/{client_id}/inbox/report")
def client_report_page(client_id: int, request: Request, session: DB,
                       _: Principal = Depends(require(INBOX_REPORT))):
    """First-response times (median, 90th percentile), breaches and volume by hour of this client."""
    client = clients_service.get(session=session, client_id=client_id)
    return _report_page(request, session, [client_id], client.timezone, client_id)


@router.get("/inbox/report")
def report_page(request: Request, session: DB, principal: Principal = Depends(require(INBOX_REPORT_ALL))):
    """The response-time report across every client this person works on (days in UTC)."""
    if not has_inbox(principal):
        raise Forbidden("client approvers do not see the inbox or its report")
    visible = [c.id for c in clients_service.list_visible(session=session, principal=principal)]
    return _report_page(request, session, inbox.inbox_clients(principal, visible), "UTC", None)


# "/inbox/settings" and "/inbox/report" would otherwise be taken for a {conversation_id} declared above.
_fixed = [r for r in router.routes if getattr(r, "path", "").endswith(("/inbox/settings", "/inbox/report"))]
router.routes[:] = _fixed + [r for r in router.routes if r not in _fixed]


# --- replies and saved replies ---------------------------------------------------------------------

from fastapi.responses import Response  # noqa: E402

from socialdesk.clients import voice  # noqa: E402
from socialdesk.inbox import replies  # noqa: E402
from socialdesk.inbox.permissions import INBOX_REPLY, SAVED_REPLIES_MANAGE, SAVED_REPLIES_VIEW  # noqa: E402
from socialdesk.inbox.schemas import SavedReplyIn  # noqa: E402
from socialdesk.publishing import service as posts_service  # noqa: E402
from socialdesk.publishing.timing import new_marker  # noqa: E402
from socialdesk.kit.errors import Conflict  # noqa: E402
from socialdesk.vault.service import Vault  # noqa: E402
from socialdesk.web.deps import get_settings  # noqa: E402

_env.globals["new_reply_key"] = new_marker  # each rendering of the reply form gets its own key


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _row_id(form: FormData, name: str) -> int | None:
    value = _text(form, name).strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def _reply_form(request: Request, session: Session, client_id: int, conversation: Conversation, *,
                text: str = "", errors: dict | None = None, status: int = 200):
    """The reply form alone (an HTMX swap after a refusal): the text kept, the errors beside it."""
    client = clients_service.get(session=session, client_id=client_id)
    return render(request, "inbox/_reply.html", {
        "client": client, "conversation": conversation, "reply_text": text, "errors": errors or {},
        "saved_replies": replies.list_saved(session=session, client_id=client_id)}, status)


@router.post("/clients/{client_id}/inbox/{conversation_id:int}/reply")
def send_reply(client_id: int, conversation_id: RowId, request: Request, session: DB, form: Form,
               principal: Principal = Depends(require(INBOX_REPLY))):
    """Send the reply form: sent once (the form's key), refused with the reasons beside the text."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    text = _text(form, "text")
    target = f"/clients/{client_id}/inbox/{conversation_id}#replies"
    try:
        replies.send(session=session, vault=Vault.from_settings(get_settings(request)), conversation=row,
                     text=text, author_id=principal.user_id, item_id=_row_id(form, "item_id"),
                     saved_reply_id=_row_id(form, "saved_reply_id"), confirm_voice="confirm_voice" in form,
                     key=_text(form, "key") or None)
    except (InvalidInput, Conflict) as exc:
        session.rollback()
        if request.headers.get("hx-request"):
            return _reply_form(request, session, client_id, row, text=text, errors=error_map(exc), status=422)
        return _conversation_page(request, session, principal, client_id, conversation_id, errors=error_map(exc),
                                  status=422)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return see_other(target)


@router.post("/clients/{client_id}/inbox/{conversation_id:int}/reply/check")
def check_reply(client_id: int, conversation_id: RowId, request: Request, session: DB, form: Form,
                _: Principal = Depends(require(INBOX_REPLY))):
    """The live part of the reply form (HTMX): the network's count and the brand voice findings."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    channel = session.get(Channel, row.channel_id)
    client = clients_service.get(session=session, client_id=client_id)
    text = _text(form, "text").strip()
    verdict = posts_service.verdict_for(channel, text) if text else None
    findings = voice.check_client(client, text) if text else []
    return render(request, "inbox/_reply_check.html", {
        "verdict": verdict, "findings": findings, "blocking": bool(voice.blocking(findings)),
        "network": NETWORKS.get(channel.network, channel.network)})


@router.get("/clients/{client_id}/inbox/{conversation_id:int}/reply/saved")
def saved_reply_text(client_id: int, conversation_id: RowId, request: Request, session: DB,
                     _: Principal = Depends(require(SAVED_REPLIES_VIEW))):
    """The reply text box filled with the chosen saved reply, for the person answered (HTMX)."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    chosen = request.query_params.get("saved_reply_id", "")
    text = ""
    if chosen.isdigit() and 0 < int(chosen) < 2**31:
        saved = replies.get_saved(session=session, client_id=client_id, saved_id=int(chosen))
        channel = session.get(Channel, row.channel_id)
        try:
            text = replies.fill(saved.text, replies.answered_item(session, row, channel, None))
        except InvalidInput:
            text = saved.text
    return render(request, "inbox/_reply_text.html", {"reply_text": text, "errors": {}})


@router.post("/clients/{client_id}/inbox/{conversation_id:int}/replies/{reply_id}/retry")
def retry_reply(client_id: int, conversation_id: RowId, reply_id: RowId, request: Request, session: DB,
                _: Principal = Depends(require(INBOX_REPLY))):
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    found = replies.get_reply(session=session, conversation=row, reply_id=reply_id)
    replies.retry(session=session, vault=Vault.from_settings(get_settings(request)), reply=found)
    return see_other(f"/clients/{client_id}/inbox/{conversation_id}#replies")


def _saved_page(request: Request, session: Session, principal: Principal, client_id: int, *,
                values: dict | None = None, errors: dict | None = None, editing: int | None = None,
                status: int = 200):
    ctx = {"saved": replies.list_saved(session=session, client_id=client_id), "values": values or {},
           "errors": errors or {}, "editing": editing, "may_change": principal.can(SAVED_REPLIES_MANAGE, client_id)}
    return client_page(request, session, client_id, "inbox/saved_replies.html", ctx, status)


@router.get("/clients/{client_id}/inbox/saved-replies")
def saved_replies_page(client_id: int, request: Request, session: DB,
                       principal: Principal = Depends(require(SAVED_REPLIES_VIEW))):
    """The client's saved replies: the answers the team gives often."""
    return _saved_page(request, session, principal, client_id)


@router.post("/clients/{client_id}/inbox/saved-replies")
def add_saved_reply(client_id: int, request: Request, session: DB, form: Form,
                    principal: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    values = form_fields(form, SavedReplyIn)
    with collect_errors(session) as errors:
        replies.create_saved(session=session, client_id=client_id, data=validate(SavedReplyIn, values),
                             user_id=principal.user_id)
        return see_other(f"/clients/{client_id}/inbox/saved-replies")
    return _saved_page(request, session, principal, client_id, values=values, errors=errors, status=422)


@router.post("/clients/{client_id}/inbox/saved-replies/{saved_id}")
def change_saved_reply(client_id: int, saved_id: RowId, request: Request, session: DB, form: Form,
                       principal: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    values = form_fields(form, SavedReplyIn)
    with collect_errors(session) as errors:
        replies.update_saved(session=session, client_id=client_id, saved_id=saved_id,
                             data=validate(SavedReplyIn, values))
        return see_other(f"/clients/{client_id}/inbox/saved-replies")
    return _saved_page(request, session, principal, client_id, values=values, errors=errors, editing=saved_id,
                       status=422)


@router.post("/clients/{client_id}/inbox/saved-replies/{saved_id}/delete")
def delete_saved_reply(client_id: int, saved_id: RowId, session: DB,
                       _: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    replies.delete_saved(session=session, client_id=client_id, saved_id=saved_id)
    return see_other(f"/clients/{client_id}/inbox/saved-replies")
