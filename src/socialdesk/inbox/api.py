"""JSON routes of the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.clients import service as clients_service
from socialdesk.inbox import service as inbox
from socialdesk.inbox import reports, sla
from socialdesk.inbox.permissions import INBOX_REPORT, INBOX_REPORT_ALL, INBOX_SETTINGS
from socialdesk.inbox.schemas import InboxSettingsIn, InboxSettingsOut, ResponseReportOut
from socialdesk.inbox.permissions import INBOX_ALL, INBOX_BULK, INBOX_TRIAGE, INBOX_VIEW
from socialdesk.inbox.schemas import (
    AuthorHistoryOut,
    BulkOut,
    BulkTriage,
    ConversationDetail,
    ConversationOut,
    ConversationPatch,
    EventOut,
    ItemOut,
    NoteIn,
    NoteOut,
    Sentiment,
    Status,
    SyncStateOut,
    Tag,
)
from socialdesk.kit.authz import Principal
from socialdesk.vault.service import Vault
from socialdesk.web.deps import RowId, get_db, get_settings, require

router = APIRouter(prefix="/api", tags=["inbox"])
DB = Annotated[Session, Depends(get_db)]
Id = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _with_latest(session: Session, conversations) -> list[ConversationOut]:
    latest = inbox.latest_items(session, conversations)
    out = []
    for conversation in conversations:  # validated once each (a dump and re-validation doubled a page's cost)
        row = ConversationOut.model_validate(conversation)
        item = latest.get(conversation.id)
        row.latest = ItemOut.model_validate(item) if item is not None else None
        out.append(row)
    return out


@router.get("/inbox", response_model=list[ConversationOut])
def all_inboxes(session: DB, principal: Principal = Depends(require(INBOX_ALL)), client_id: Id = None,
                channel_id: Id = None, status: Status | None = None, assignee_id: Id = None,
                unassigned: bool = False, tag: Tag | None = None, sentiment: Sentiment | None = None,
                urgent: bool | None = None, older_than: datetime | None = None, newer_than: datetime | None = None,
                before: datetime | None = None, before_id: Id = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Conversations across the clients you work on, newest activity first (``before`` pages back: give
    the last row's ``last_activity_at`` and its ``id`` as ``before_id``; ``older_than`` / ``newer_than``
    bound when the conversation began)."""
    visible = [c.id for c in clients_service.list_visible(session=session, principal=principal)]
    ids = [i for i in inbox.inbox_clients(principal, visible) if client_id is None or i == client_id]
    rows = inbox.list_conversations(session=session, client_ids=ids, channel_id=channel_id, status=status,
                                    assignee_id=assignee_id, unassigned=unassigned, tag=tag, sentiment=sentiment,
                                    urgent=urgent, older_than=older_than, newer_than=newer_than, before=before,
                                    before_id=before_id, limit=limit)
    return _with_latest(session, rows)


@router.get("/clients/{client_id}/inbox", response_model=list[ConversationOut])
def client_inbox(client_id: RowId, session: DB, _: Principal = Depends(require(INBOX_VIEW)), channel_id: Id = None,
                 status: Status | None = None, assignee_id: Id = None, unassigned: bool = False,
                 tag: Tag | None = None, sentiment: Sentiment | None = None, urgent: bool | None = None,
                 older_than: datetime | None = None, newer_than: datetime | None = None,
                 before: datetime | None = None, before_id: Id = None,
                 limit: Annotated[int, Query(ge=1, le=200)] = 50):
    clients_service.get(session=session, client_id=client_id)
    rows = inbox.list_conversations(session=session, client_ids=[client_id], channel_id=channel_id, status=status,
                                    assignee_id=assignee_id, unassigned=unassigned, tag=tag, sentiment=sentiment,
                                    urgent=urgent, older_than=older_than, newer_than=newer_than, before=before,
                                    before_id=before_id, limit=limit)
    return _with_latest(session, rows)


@router.get("/clients/{client_id}/inbox/{conversation_id}", response_model=ConversationDetail)
def conversation(client_id: RowId, conversation_id: RowId, session: DB, _: Principal = Depends(require(INBOX_VIEW))):
    """A conversation with every item (oldest first) and the team's notes."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    items = sorted(row.items, key=lambda i: (i.created_at, i.id))
    return ConversationDetail.model_validate(
        {**ConversationOut.model_validate(row).model_dump(), "items": items,
         "notes": inbox.notes(session=session, conversation=row), "latest": items[-1] if items else None},
        from_attributes=True)


@router.patch("/clients/{client_id}/inbox/{conversation_id}", response_model=ConversationOut)
def triage(client_id: RowId, conversation_id: RowId, data: ConversationPatch, session: DB,
           principal: Principal = Depends(require(INBOX_TRIAGE))):
    """Assign (to someone who works on the client), tag, set the status."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return inbox.triage(session=session, conversation=row, data=data, actor_id=principal.user_id)


@router.post("/clients/{client_id}/inbox/{conversation_id}/notes", response_model=NoteOut, status_code=201)
def add_note(client_id: RowId, conversation_id: RowId, data: NoteIn, session: DB,
             principal: Principal = Depends(require(INBOX_TRIAGE))):
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return inbox.add_note(session=session, conversation=row, author_id=principal.user_id, text=data.text)


@router.get("/clients/{client_id}/channels/{channel_id}/sync", response_model=SyncStateOut)
def sync_status(client_id: RowId, channel_id: RowId, session: DB, _: Principal = Depends(require(INBOX_VIEW))):
    """Where the channel's inbox sync stands, and its last error."""
    channel = channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    return inbox.sync_state(session, channel)


@router.post("/clients/{client_id}/channels/{channel_id}/sync", response_model=SyncStateOut)
def sync_now(client_id: RowId, channel_id: RowId, request: Request, session: DB,
             _: Principal = Depends(require(INBOX_TRIAGE))):
    """Fetch the channel's new mentions, replies and messages now (a network error is in ``error``)."""
    channel = channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    return inbox.sync_channel(session=session, vault=Vault.from_settings(get_settings(request)), channel=channel)


# --- bulk triage and the author's history ---------------------------------------------------------


@router.post("/inbox/bulk", response_model=BulkOut)
def bulk_triage(data: BulkTriage, session: DB, principal: Principal = Depends(require(INBOX_BULK))):
    """Set the status, assignee (null to unassign) or tags of many conversations at once. All or nothing:
    one conversation on a client where you may not triage refuses the request (403, naming it)."""
    rows = inbox.bulk_update(session=session, client_ids=inbox.triage_clients(session=session, principal=principal),
                             conversation_ids=data.conversation_ids, patch=data, actor_id=principal.user_id)
    return BulkOut(updated=len(rows), conversations=_with_latest(session, rows))


@router.get("/clients/{client_id}/inbox/{conversation_id}/author", response_model=AuthorHistoryOut)
def conversation_author(client_id: RowId, conversation_id: RowId, session: DB,
                        _: Principal = Depends(require(INBOX_VIEW)), limit: Annotated[int, Query(ge=1, le=100)] = 10):
    """Who started the conversation (profile from their latest item) and their other conversations
    with this client, newest first; the counts include this one."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    history = inbox.author_history(session=session, client_id=client_id, author_remote_id=row.author_remote_id,
                                   network=row.network, exclude_id=row.id, limit=limit)
    return AuthorHistoryOut.model_validate(history, from_attributes=True)


@router.get("/clients/{client_id}/inbox/{conversation_id}/events", response_model=list[EventOut])
def conversation_events(client_id: RowId, conversation_id: RowId, session: DB,
                        _: Principal = Depends(require(INBOX_VIEW))):
    """The conversation's history, oldest first: who changed its status, assignee or tags, and when."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return inbox.events(session=session, conversation=row)


# --- response-time promises: settings and the report ----------------------------------------------


@router.get("/clients/{client_id}/inbox/settings", response_model=InboxSettingsOut)
def inbox_settings(client_id: RowId, session: DB, principal: Principal = Depends(require(INBOX_VIEW))):
    """The client's inbox rules and which clock is in effect (webhook URLs in full only for managers)."""
    clients_service.get(session=session, client_id=client_id)
    return sla.settings_view(session, client_id=client_id, reveal=principal.can(INBOX_SETTINGS, client_id))


@router.put("/clients/{client_id}/inbox/settings", response_model=InboxSettingsOut)
def put_inbox_settings(client_id: RowId, data: InboxSettingsIn, request: Request, session: DB,
                       _: Principal = Depends(require(INBOX_SETTINGS))):
    """Change the inbox rules; fields left out keep their value. New deadlines apply to items from now on."""
    clients_service.get(session=session, client_id=client_id)
    sla.update_settings(session=session, client_id=client_id, data=data,
                        allow_private_urls=get_settings(request).allow_private_urls)
    return sla.settings_view(session, client_id=client_id, reveal=True)


@router.get("/clients/{client_id}/inbox/report", response_model=ResponseReportOut)
def client_inbox_report(client_id: RowId, session: DB, _: Principal = Depends(require(INBOX_REPORT)),
                        start: datetime | None = None, end: datetime | None = None):
    """First-response figures of the conversations that began in [start, end) (default: the last 30
    days; a time without offset is in the client's time zone), per member, and volume by hour."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = reports.period(start, end, zone=client.timezone)
    report = reports.response_report(session=session, client_ids=[client_id], start=start, end=end)
    return ResponseReportOut.model_validate(report, from_attributes=True)


@router.get("/inbox/report", response_model=ResponseReportOut)
def inbox_report(session: DB, principal: Principal = Depends(require(INBOX_REPORT_ALL)),
                 start: datetime | None = None, end: datetime | None = None):
    """The report across every client you work on, per client and per member (times without offset: UTC)."""
    visible = [c.id for c in clients_service.list_visible(session=session, principal=principal)]
    start, end = reports.period(start, end)
    report = reports.response_report(session=session, client_ids=inbox.inbox_clients(principal, visible),
                                     start=start, end=end)
    return ResponseReportOut.model_validate(report, from_attributes=True)


# "/inbox/settings" and "/inbox/report" would otherwise be taken for a {conversation_id} declared above.
_fixed = [r for r in router.routes if getattr(r, "path", "").endswith(("/inbox/settings", "/inbox/report"))]
router.routes[:] = _fixed + [r for r in router.routes if r not in _fixed]


# --- replies, saved replies and the brand voice check ------------------------------------------

from fastapi.responses import JSONResponse  # noqa: E402

from socialdesk.clients import voice  # noqa: E402
from socialdesk.inbox import replies  # noqa: E402
from socialdesk.inbox.permissions import (  # noqa: E402
    INBOX_REPLY,
    SAVED_REPLIES_MANAGE,
    SAVED_REPLIES_VIEW,
    VOICE_CHECK,
)
from socialdesk.inbox.schemas import (  # noqa: E402
    ReplyIn,
    ReplyOut,
    SavedReplyIn,
    SavedReplyOut,
    VoiceCheckIn,
    VoiceCheckOut,
)


def _voice_blocked(exc: replies.VoiceBlocked) -> JSONResponse:
    return JSONResponse(status_code=422, content={
        "detail": exc.message, "errors": [{"field": e.field, "message": e.message} for e in exc.errors],
        "findings": [f.to_dict() for f in exc.findings]})


@router.get("/clients/{client_id}/inbox/saved-replies", response_model=list[SavedReplyOut])
def saved_replies(client_id: RowId, session: DB, _: Principal = Depends(require(SAVED_REPLIES_VIEW))):
    clients_service.get(session=session, client_id=client_id)
    return replies.list_saved(session=session, client_id=client_id)


# Starlette would take "saved-replies" for the {conversation_id} of the conversation route above
# (and answer 422): this listing goes first.
router.routes.insert(next(i for i, r in enumerate(router.routes)
                          if getattr(r, "path", "") == "/api/clients/{client_id}/inbox/{conversation_id}"),
                     router.routes.pop())


@router.post("/clients/{client_id}/inbox/saved-replies", response_model=SavedReplyOut, status_code=201)
def add_saved_reply(client_id: RowId, data: SavedReplyIn, session: DB,
                    principal: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    """A saved reply (``{name}`` and ``{handle}`` become the person answered)."""
    clients_service.get(session=session, client_id=client_id)
    return replies.create_saved(session=session, client_id=client_id, data=data, user_id=principal.user_id)


@router.put("/clients/{client_id}/inbox/saved-replies/{saved_id}", response_model=SavedReplyOut)
def change_saved_reply(client_id: RowId, saved_id: RowId, data: SavedReplyIn, session: DB,
                       _: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    return replies.update_saved(session=session, client_id=client_id, saved_id=saved_id, data=data)


@router.delete("/clients/{client_id}/inbox/saved-replies/{saved_id}", status_code=204)
def delete_saved_reply(client_id: RowId, saved_id: RowId, session: DB,
                       _: Principal = Depends(require(SAVED_REPLIES_MANAGE))):
    replies.delete_saved(session=session, client_id=client_id, saved_id=saved_id)


@router.post("/clients/{client_id}/voice-check", response_model=VoiceCheckOut)
def voice_check(client_id: RowId, data: VoiceCheckIn, session: DB, _: Principal = Depends(require(VOICE_CHECK))):
    """The text against the client's brand voice: words to avoid (blocking), emoji, hashtags, tone."""
    client = clients_service.get(session=session, client_id=client_id)
    findings = voice.check_client(client, data.text)
    return {"findings": [f.to_dict() for f in findings], "blocking": bool(voice.blocking(findings))}


@router.get("/clients/{client_id}/inbox/{conversation_id}/replies", response_model=list[ReplyOut])
def conversation_replies(client_id: RowId, conversation_id: RowId, session: DB,
                         _: Principal = Depends(require(INBOX_VIEW))):
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return replies.list_replies(session=session, conversation=row)


@router.post("/clients/{client_id}/inbox/{conversation_id}/replies", response_model=ReplyOut, status_code=201,
             responses={422: {"description": "the text is not valid on the channel's network, or the brand voice "
                                             "check blocks it (``findings`` say where)"}})
def reply(client_id: RowId, conversation_id: RowId, data: ReplyIn, request: Request, session: DB,
          principal: Principal = Depends(require(INBOX_REPLY))):
    """Answer through the network, threaded; sent once. A refusal or a network error is in ``status``
    = failed and ``error`` (retry it); the row is written before the network is called."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    try:
        return replies.send(session=session, vault=Vault.from_settings(get_settings(request)), conversation=row,
                            text=data.text, author_id=principal.user_id, item_id=data.item_id,
                            saved_reply_id=data.saved_reply_id, confirm_voice=data.confirm_voice, key=data.key)
    except replies.VoiceBlocked as exc:
        return _voice_blocked(exc)


@router.post("/clients/{client_id}/inbox/{conversation_id}/replies/{reply_id}/retry", response_model=ReplyOut)
def retry_reply(client_id: RowId, conversation_id: RowId, reply_id: RowId, request: Request, session: DB,
                _: Principal = Depends(require(INBOX_REPLY))):
    """Send a failed reply again (looked up first, so it never goes out twice)."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    found = replies.get_reply(session=session, conversation=row, reply_id=reply_id)
    return replies.retry(session=session, vault=Vault.from_settings(get_settings(request)), reply=found)


# --- handoffs to sales and customer service ---------------------------------------------------------

from socialdesk.inbox import handoff as handoffs  # noqa: E402
from socialdesk.inbox.permissions import INBOX_HANDOFF  # noqa: E402


@router.post("/clients/{client_id}/inbox/{conversation_id}/handoff", response_model=handoffs.HandoffOut,
             status_code=202, responses={422: {"description": "no destination for this kind in the client's inbox "
                                                              "settings (the message names the setting to fill in)"}})
def hand_off(client_id: RowId, conversation_id: RowId, data: handoffs.HandoffIn, request: Request, session: DB,
             principal: Principal = Depends(require(INBOX_HANDOFF))):
    """Send the conversation to sales (``lead``, also tagged lead) or customer service (``support``): to the
    kind's webhook, else its e-mail address. Delivery follows in the background; see ``status``."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return handoffs.out(handoffs.create(session=session, settings=get_settings(request), conversation=row,
                                        kind=data.kind, actor_id=principal.user_id))


@router.get("/clients/{client_id}/inbox/{conversation_id}/handoffs", response_model=list[handoffs.HandoffOut])
def conversation_handoffs(client_id: RowId, conversation_id: RowId, session: DB,
                          _: Principal = Depends(require(INBOX_VIEW))):
    """The conversation's handoffs and their delivery: pending, delivered, or failed with the reason."""
    row = inbox.get_conversation(session=session, client_id=client_id, conversation_id=conversation_id)
    return [handoffs.out(h) for h in handoffs.list_for(session=session, conversation=row)]


# --- reviews imported from CSV ----------------------------------------------------------------------

from socialdesk.inbox import importing as review_import  # noqa: E402
from socialdesk.inbox.schemas import ReviewImportOut  # noqa: E402
from socialdesk.kit.errors import InvalidInput  # noqa: E402

_REVIEWS_CSV = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": {"type": "string"}, "example": "source,author,rating,text,url,created_at,remote_id\n"
                 "Google,Dana K.,5,Lovely brunch,https://g.page/r/1,2025-06-01,g-1\n"},
}}}


async def _reviews_file(request: Request) -> bytes:
    """The CSV: the multipart field ``file``, or the raw body (text/csv); at most MAX_BYTES (+1 to tell)."""
    limit = review_import.MAX_BYTES + 1
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput.on("file", "send the CSV as the multipart field 'file'")
        return await upload.read(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


@router.post("/clients/{client_id}/inbox/reviews", response_model=ReviewImportOut, status_code=201,
             openapi_extra=_REVIEWS_CSV,
             responses={422: {"description": "Nothing imported: the report lists every row's errors by column"}})
def import_reviews(client_id: RowId, session: DB, _: Principal = Depends(require(INBOX_TRIAGE)),
                   raw: bytes = Depends(_reviews_file)):
    """Add reviews from a CSV file to the client's inbox, all or nothing: columns
    ``source,author,rating,text,url,created_at,remote_id`` (rating, url and remote_id may be left out).
    Answers 201 with what was added and what was already there (importing a file twice adds nothing),
    or 422 with every row's errors and nothing written."""
    clients_service.get(session=session, client_id=client_id)
    try:
        report = review_import.import_reviews(session=session, client_id=client_id,
                                              text=review_import.decode(raw))
    except InvalidInput as exc:
        report = review_import.ReviewImportReport(ok=False, created=0, duplicates=0, total=0, message=exc.message,
                                                  errors=[{"field": e.field, "message": e.message}
                                                          for e in exc.errors])
    body = report.to_dict()
    if not report.ok:
        return JSONResponse({**body, "detail": report.message}, status_code=422)
    return JSONResponse(body, status_code=201)
