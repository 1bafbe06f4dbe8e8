"""JSON routes for posts, approvals, scheduling, campaigns, queues, media and the pause switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.db import utcnow
from socialdesk.kit.authz import Principal
from socialdesk.publishing import service as posts
from socialdesk.publishing.permissions import (
    CALENDAR_VIEW,
    NOTIFICATIONS_READ,
    NOTIFICATIONS_VIEW,
    POSTS_APPROVE,
    POSTS_COMMENT,
    POSTS_VIEW,
    POSTS_WRITE,
    PUBLISHING_MANAGE,
    PUBLISHING_PAUSE,
)
from socialdesk.publishing.schemas import (
    ApprovalNeeds,
    CampaignIn,
    CampaignOut,
    CheckIn,
    CommentIn,
    DecisionIn,
    EventOut,
    MediaAltIn,
    MediaOut,
    PauseIn,
    PostIn,
    PostOut,
    PostStatus,
    QueueSlotIn,
    QueueSlotOut,
    ResumeIn,
    ScheduleIn,
    SettingsIn,
    SettingsOut,
)
from socialdesk.web.deps import RowId, get_db, get_settings, require

router = APIRouter(prefix="/api", tags=["publishing"])
DB = Annotated[Session, Depends(get_db)]


def _client(session: Session, client_id: int) -> None:
    clients_service.get(session=session, client_id=client_id)


# --- posts -------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/posts", response_model=list[PostOut])
def list_posts(
    client_id: RowId,
    session: DB,
    _: Principal = Depends(require(POSTS_VIEW)),
    start: datetime | None = None,
    end: datetime | None = None,
    status: PostStatus | None = None,
    campaign_id: int | None = None,
    unscheduled: bool = False,
):
    """The client's posts; ``start``/``end`` select those scheduled in [start, end)."""
    _client(session, client_id)
    return posts.list_posts(session=session, client_ids=[client_id], start=start, end=end, status=status,
                            campaign_id=campaign_id, unscheduled=unscheduled)


@router.post("/clients/{client_id}/posts", response_model=PostOut, status_code=201)
def create_post(client_id: RowId, data: PostIn, session: DB, principal: Principal = Depends(require(POSTS_WRITE))):
    """Write a post. The text is checked against every selected network (and its variant); with
    ``scheduled_at`` it is scheduled, or sent to review when the client's policy asks for approval."""
    _client(session, client_id)
    return posts.create_post(session=session, principal=principal, client_id=client_id, data=data)


@router.post("/clients/{client_id}/posts/check")
def check_post(client_id: RowId, data: CheckIn, session: DB, _: Principal = Depends(require(POSTS_WRITE))) -> dict:
    """The composer's live counter: each selected channel's verdict on its text (nothing is stored)."""
    _client(session, client_id)
    return {"channels": posts.check_channels(session=session, client_id=client_id, data=data)}


@router.get("/clients/{client_id}/posts/{post_id}", response_model=PostOut)
def get_post(client_id: RowId, post_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    return posts.get_post(session=session, client_id=client_id, post_id=post_id)


@router.put("/clients/{client_id}/posts/{post_id}", response_model=PostOut)
def update_post(client_id: RowId, post_id: RowId, data: PostIn, session: DB,
                principal: Principal = Depends(require(POSTS_WRITE))):
    """Edit a post; an approved or scheduled one goes back to review when the client needs approval."""
    post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
    return posts.update_post(session=session, principal=principal, post=post, data=data)


@router.delete("/clients/{client_id}/posts/{post_id}", status_code=204)
def delete_post(client_id: RowId, post_id: RowId, session: DB, _: Principal = Depends(require(POSTS_WRITE))):
    posts.delete_post(session=session, post=posts.get_post(session=session, client_id=client_id, post_id=post_id))


@router.get("/clients/{client_id}/posts/{post_id}/history", response_model=list[EventOut])
def post_history(client_id: RowId, post_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    """Who did what to the post, and what the networks answered."""
    return posts.history(session=session, post=posts.get_post(session=session, client_id=client_id, post_id=post_id))


@router.get("/clients/{client_id}/posts/{post_id}/approvals", response_model=ApprovalNeeds)
def post_approvals(client_id: RowId, post_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    return posts.approval_needs(session=session, post=posts.get_post(session=session, client_id=client_id,
                                                                     post_id=post_id))


def _act(action):
    def route(client_id: RowId, post_id: RowId, session: DB, principal: Principal, **kw):
        post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
        return action(session=session, principal=principal, post=post, **kw)

    return route


@router.post("/clients/{client_id}/posts/{post_id}/submit", response_model=PostOut)
def submit(client_id: RowId, post_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE))):
    """Ask for the approvals the client's policy needs (approved at once when it needs none)."""
    return _act(posts.submit)(client_id, post_id, session, principal)


@router.post("/clients/{client_id}/posts/{post_id}/approve", response_model=PostOut)
def approve(client_id: RowId, post_id: RowId, data: DecisionIn, session: DB,
            principal: Principal = Depends(require(POSTS_APPROVE))):
    """Approve this version (as team, client or director, from your role); scheduled once complete."""
    return _act(posts.approve)(client_id, post_id, session, principal, note=data.note)


@router.post("/clients/{client_id}/posts/{post_id}/request-changes", response_model=PostOut)
def request_changes(client_id: RowId, post_id: RowId, data: DecisionIn, session: DB,
                    principal: Principal = Depends(require(POSTS_APPROVE))):
    return _act(posts.request_changes)(client_id, post_id, session, principal, note=data.note)


@router.post("/clients/{client_id}/posts/{post_id}/comments", response_model=EventOut, status_code=201)
def add_comment(client_id: RowId, post_id: RowId, data: CommentIn, session: DB,
                principal: Principal = Depends(require(POSTS_COMMENT))):
    return _act(posts.comment)(client_id, post_id, session, principal, note=data.note)


@router.post("/clients/{client_id}/posts/{post_id}/schedule", response_model=PostOut)
def schedule(client_id: RowId, post_id: RowId, data: ScheduleIn, session: DB,
             principal: Principal = Depends(require(POSTS_WRITE))):
    """Schedule (a time without offset is the client's local time; a DST gap is resolved and said in
    ``schedule_note``), or ``now``."""
    return _act(posts.schedule)(client_id, post_id, session, principal, data=data)


@router.post("/clients/{client_id}/posts/{post_id}/move", response_model=PostOut)
def move(client_id: RowId, post_id: RowId, data: ScheduleIn, session: DB,
         principal: Principal = Depends(require(POSTS_WRITE))):
    """Move the post on the calendar."""
    return _act(posts.move)(client_id, post_id, session, principal, data=data)


@router.post("/clients/{client_id}/posts/{post_id}/unschedule", response_model=PostOut)
def unschedule(client_id: RowId, post_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE))):
    return _act(posts.unschedule)(client_id, post_id, session, principal)


@router.post("/clients/{client_id}/posts/{post_id}/queue", response_model=PostOut)
def add_to_queue(client_id: RowId, post_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE))):
    """Schedule at the next free queue slot shared by the post's channels."""
    return _act(posts.add_to_queue)(client_id, post_id, session, principal)


@router.post("/clients/{client_id}/posts/{post_id}/retry", response_model=PostOut)
def retry(client_id: RowId, post_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE)),
          target_id: int | None = None):
    """Send the failed (or held) channels of this post again, now."""
    return _act(posts.retry)(client_id, post_id, session, principal, target_id=target_id)


@router.post("/clients/{client_id}/posts/{post_id}/cancel", response_model=PostOut)
def cancel(client_id: RowId, post_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE))):
    return _act(posts.cancel)(client_id, post_id, session, principal)


# --- publishing settings and the pause switch ----------------------------------------------------


@router.get("/clients/{client_id}/publishing", response_model=SettingsOut)
def get_publishing(client_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    _client(session, client_id)
    return posts.settings_for(session=session, client_id=client_id)


@router.put("/clients/{client_id}/publishing", response_model=SettingsOut)
def put_publishing(client_id: RowId, data: SettingsIn, session: DB, _: Principal = Depends(require(PUBLISHING_MANAGE))):
    """The approval policy (none / team / client; directors approve posts of major campaigns)."""
    _client(session, client_id)
    return posts.update_settings(session=session, client_id=client_id, data=data)


@router.post("/clients/{client_id}/publishing/pause", response_model=SettingsOut)
def pause(client_id: RowId, data: PauseIn, session: DB, principal: Principal = Depends(require(PUBLISHING_PAUSE))):
    """Stop all of the client's scheduled publishing (a crisis)."""
    _client(session, client_id)
    return posts.pause(session=session, client_id=client_id, user_id=principal.user_id, reason=data.reason)


@router.post("/clients/{client_id}/publishing/resume", response_model=list[PostOut])
def resume(client_id: RowId, data: ResumeIn, session: DB, _: Principal = Depends(require(PUBLISHING_MANAGE))):
    """Resume. Returns the posts that came due during the pause and what became of them (``mode``)."""
    _client(session, client_id)
    return posts.resume(session=session, client_id=client_id, mode=data.mode)


# --- campaigns -----------------------------------------------------------------------------------


@router.get("/clients/{client_id}/campaigns", response_model=list[CampaignOut])
def list_campaigns(client_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    _client(session, client_id)
    return posts.list_campaigns(session=session, client_id=client_id)


@router.post("/clients/{client_id}/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(client_id: RowId, data: CampaignIn, session: DB,
                    _: Principal = Depends(require(PUBLISHING_MANAGE))):
    _client(session, client_id)
    return posts.create_campaign(session=session, client_id=client_id, data=data)


@router.put("/clients/{client_id}/campaigns/{campaign_id}", response_model=CampaignOut)
def update_campaign(client_id: RowId, campaign_id: RowId, data: CampaignIn, session: DB,
                    _: Principal = Depends(require(PUBLISHING_MANAGE))):
    return posts.update_campaign(session=session, client_id=client_id, campaign_id=campaign_id, data=data)


@router.delete("/clients/{client_id}/campaigns/{campaign_id}", status_code=204)
def delete_campaign(client_id: RowId, campaign_id: RowId, session: DB,
                    _: Principal = Depends(require(PUBLISHING_MANAGE))):
    posts.delete_campaign(session=session, client_id=client_id, campaign_id=campaign_id)


# --- queue slots ---------------------------------------------------------------------------------


@router.get("/clients/{client_id}/queue-slots", response_model=list[QueueSlotOut])
def list_slots(client_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    _client(session, client_id)
    return posts.list_slots(session=session, client_id=client_id)


@router.post("/clients/{client_id}/queue-slots", response_model=QueueSlotOut, status_code=201)
def add_slot(client_id: RowId, data: QueueSlotIn, session: DB, _: Principal = Depends(require(PUBLISHING_MANAGE))):
    _client(session, client_id)
    return posts.add_slot(session=session, client_id=client_id, data=data)


@router.delete("/clients/{client_id}/queue-slots/{slot_id}", status_code=204)
def delete_slot(client_id: RowId, slot_id: RowId, session: DB, _: Principal = Depends(require(PUBLISHING_MANAGE))):
    posts.delete_slot(session=session, client_id=client_id, slot_id=slot_id)


# --- media ---------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/media", response_model=list[MediaOut])
def list_media(client_id: RowId, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    _client(session, client_id)
    return posts.list_media(session=session, client_id=client_id)


@router.post("/clients/{client_id}/media", response_model=MediaOut, status_code=201)
def upload_media(client_id: RowId, request: Request, session: DB, file: UploadFile = File(...),
                 alt_text: Annotated[str, Form(max_length=2000)] = "",
                 principal: Principal = Depends(require(POSTS_WRITE))):
    """Upload an image or video; its real type, size, dimensions and duration are read from the file."""
    _client(session, client_id)
    root = posts.media_root(get_settings(request).ensure_data_dir())
    return posts.save_media(session=session, root=root, client_id=client_id, filename=file.filename or "",
                            source=file.file, user_id=principal.user_id, alt_text=alt_text.strip())


@router.put("/clients/{client_id}/media/{media_id}", response_model=MediaOut)
def set_alt_text(client_id: RowId, media_id: RowId, data: MediaAltIn, session: DB,
                 _: Principal = Depends(require(POSTS_WRITE))):
    return posts.set_alt_text(session=session, client_id=client_id, media_id=media_id, alt_text=data.alt_text)


@router.delete("/clients/{client_id}/media/{media_id}", status_code=204)
def delete_media(client_id: RowId, media_id: RowId, session: DB, _: Principal = Depends(require(POSTS_WRITE))):
    posts.delete_media(session=session, client_id=client_id, media_id=media_id)


# --- across clients ------------------------------------------------------------------------------


@router.get("/calendar", response_model=list[PostOut])
def calendar(session: DB, principal: Principal = Depends(require(CALENDAR_VIEW)), start: datetime | None = None,
             end: datetime | None = None, client_id: Annotated[int | None, Query(ge=1)] = None):
    """Posts scheduled in [start, end) across the clients you work on (or one of them); by default
    the six weeks from a week ago."""
    start = start or utcnow() - timedelta(days=7)
    end = end or start + timedelta(days=42)
    visible = [c.id for c in clients_service.list_visible(session=session, principal=principal)]
    ids = [i for i in visible if client_id is None or i == client_id]
    return posts.list_posts(session=session, client_ids=ids, start=start, end=end, limit=5000)


class NotificationOut(BaseModel):
    id: int
    client_id: int | None
    kind: str
    message: str
    link: str
    created_at: datetime
    read_at: datetime | None

    model_config = {"from_attributes": True}


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(session: DB, principal: Principal = Depends(require(NOTIFICATIONS_VIEW)), unread: bool = False):
    return posts.list_notifications(session=session, user_id=principal.user_id, unread_only=unread)


@router.post("/notifications/read")
def read_notifications(session: DB, principal: Principal = Depends(require(NOTIFICATIONS_READ))) -> dict:
    return {"marked": posts.mark_read(session=session, user_id=principal.user_id)}


# --- bulk import and the calendar feed -----------------------------------------------------------


class ImportRowOut(BaseModel):
    row: int = Field(description="The spreadsheet row number (the header is row 1)")
    ok: bool
    post_id: int | None
    errors: list[dict]


class ImportReportOut(BaseModel):
    ok: bool
    created: int
    total: int
    message: str
    rows: list[ImportRowOut]
    errors: list[dict]


async def _csv_body(request: Request) -> bytes:
    """The CSV of an import: the ``file`` field of a multipart form, or the raw body (text/csv)."""
    from socialdesk.kit.errors import InvalidInput
    from socialdesk.publishing import importing

    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput.on("file", "send the CSV as the multipart field 'file'")
        return await upload.read(importing.MAX_BYTES + 1)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > importing.MAX_BYTES:
            break
        chunks.append(chunk)
    return b"".join(chunks) + (b"x" if size > importing.MAX_BYTES else b"")


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "date,time,channels,text,link,campaign\n"
                         "2030-05-01,09:00,mastodon,Spring is here,https://example.com,Spring\n"},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": {"type": "string", "format": "binary"}}}},
        },
    }
}


@router.post("/clients/{client_id}/posts/import", response_model=ImportReportOut, openapi_extra=_CSV_BODY,
             responses={422: {"description": "Nothing imported: the report lists every row's errors"}})
def import_posts(client_id: RowId, session: DB, principal: Principal = Depends(require(POSTS_WRITE)),
                 raw: bytes = Depends(_csv_body)):
    """Create posts from a CSV file, all or nothing: columns ``date,time,channels,text,link,campaign``
    (date YYYY-MM-DD and time HH:MM in the client's time zone; channels by name or network, separated
    by ``;`` or ``|``; campaign by name). Each row is checked like a post written in the composer.
    Answers 201 with the created post ids, or 422 with every row's errors and nothing created."""
    from fastapi.responses import JSONResponse

    from socialdesk.kit.errors import InvalidInput
    from socialdesk.publishing import importing

    _client(session, client_id)
    try:
        report = importing.import_csv(session, principal, client_id, importing.decode(raw))
    except InvalidInput as exc:
        report = importing.ImportReport(ok=False, created=0, total=0, message=exc.message,
                                        errors=[{"field": e.field, "message": e.message} for e in exc.errors])
    body = report.to_dict()
    if not report.ok:
        return JSONResponse({**body, "detail": report.message}, status_code=422)
    return JSONResponse(body, status_code=201)


class FeedOut(BaseModel):
    url: str = Field(description="The iCalendar subscription URL; the token in it is the only secret")


@router.get("/clients/{client_id}/publishing/feed", response_model=FeedOut)
def get_feed(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(POSTS_VIEW))):
    """The client's iCalendar feed URL (scheduled and published posts), for calendar apps."""
    from socialdesk.publishing import ical

    _client(session, client_id)
    return {"url": ical.feed_url(get_settings(request).base_url, posts.feed_token(session=session, client_id=client_id))}


@router.post("/clients/{client_id}/publishing/feed/rotate", response_model=FeedOut)
def rotate_feed(client_id: RowId, request: Request, session: DB,
                _: Principal = Depends(require(PUBLISHING_MANAGE))):
    """Make a new feed URL; subscriptions to the old one stop working."""
    from socialdesk.publishing import ical

    _client(session, client_id)
    return {"url": ical.feed_url(get_settings(request).base_url, ical.rotate_token(session=session,
                                                                                   client_id=client_id))}
