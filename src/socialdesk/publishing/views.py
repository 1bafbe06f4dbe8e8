"""The publishing pages: composer with its live per-network counter, the post page, calendars
(per client in the client's time zone, and across clients with each post at its own client's local
time), the iCalendar feed, CSV import, publishing settings (approval policy, pause switch, queue
slots, campaigns) and the person's notifications."""

from __future__ import annotations

import calendar as calendar_lib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from socialdesk.auth.models import User
from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.channels.schemas import ChannelNetwork
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.db import utcnow
from socialdesk.kit.authz import REGISTRY, Principal
from socialdesk.kit.errors import InvalidInput, NotFound
from socialdesk.links import service as links_service
from socialdesk.links.permissions import LINKS_WRITE
from socialdesk.links.schemas import LinkIn
from socialdesk.networks import text as text_rules
from socialdesk.publishing import ical, importing
from socialdesk.publishing import service as posts
from socialdesk.publishing.models import Notification, Post, PublishingSettings
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
    EDITABLE_STATUSES,
    ApprovalPolicy,
    CampaignIn,
    CheckIn,
    CommentIn,
    PauseIn,
    PostIn,
    PostStatus,
    QueueSlotIn,
    ResumeIn,
    ResumeMode,
    ScheduleIn,
    SettingsIn,
    TargetState,
)
from socialdesk.web import templating
from socialdesk.web.deps import RowId, get_db, get_settings, public, require
from socialdesk.web.forms import collect_errors, error_map, form_fields, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]

# --- templates: this domain's folder and the helpers its templates (and the client layout) use ---

_env = templating.templates.env

NETWORK_LABELS = {n.value: n.label for n in ChannelNetwork}
MOVABLE = {PostStatus.SCHEDULED, PostStatus.APPROVED, PostStatus.DRAFT, PostStatus.IN_REVIEW,
           PostStatus.CHANGES_REQUESTED}
VIEWS = ("month", "week", "list")


def _perm(name: str):
    return REGISTRY[name]


def _paused(client) -> PublishingSettings | None:
    """The client's publishing settings when its publishing is paused (for the banner), else None."""
    state = inspect(client, raiseerr=False)
    session = state.session if state is not None else None
    if session is None:
        return None
    row = session.get(PublishingSettings, client.id)
    return row if row is not None and row.paused else None


def _unread(request: Request) -> int:
    """The signed-in person's unread notifications (the count in the header)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return 0
    with request.app.state.database.session() as session:
        return session.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == principal.user_id, Notification.read_at.is_(None))) or 0


def _local(at: datetime | None, zone: str) -> datetime | None:
    return at.astimezone(ZoneInfo(zone)) if at is not None else None


def _when(at: datetime | None, zone: str, *, day: bool = True) -> str:
    """'Tue 4 Mar 2025, 09:00 CET' in ``zone``."""
    if at is None:
        return ""
    local = at.astimezone(ZoneInfo(zone))
    return (f"{local:%a} {local.day} {local:%b %Y}, " if day else "") + f"{local:%H:%M} {local.tzname()}"


_env.globals.update(perm=_perm, publishing_paused=_paused, unread_notifications=_unread, when=_when,
                    NETWORK_LABELS=NETWORK_LABELS)


def _css(name: str) -> str:
    return name.replace("_", "-")


_env.filters.setdefault("css", _css)


# --- shared helpers -------------------------------------------------------------------------------


def _people(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))}


def _channel_name(channel: Channel | None) -> str:
    if channel is None:
        return "a removed channel"
    return channel.display_name or channel.handle or NETWORK_LABELS.get(channel.network, channel.network)


def _publishing_page(request, session, client_id, template, ctx=None, status=200):
    principal: Principal = request.state.principal
    may = {
        "write": principal.can(POSTS_WRITE, client_id),
        "approve": principal.can(POSTS_APPROVE, client_id),
        "comment": principal.can(POSTS_COMMENT, client_id),
        "manage": principal.can(PUBLISHING_MANAGE, client_id),
        "pause": principal.can(PUBLISHING_PAUSE, client_id),
    }
    return client_page(request, session, client_id, template, {"can": may, **(ctx or {})}, status)


# --- composer -------------------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _ids(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _composer_values(form: FormData) -> dict:
    variants = {n.value: _text(form, f"variant-{n.value}") for n in ChannelNetwork}
    return {
        "title": _text(form, "title"), "text": _text(form, "text"), "link": _text(form, "link"),
        "first_comment": _text(form, "first_comment"), "channel_ids": _ids(form, "channel_ids"),
        "media_ids": _ids(form, "media_ids"), "campaign_id": _text(form, "campaign_id"),
        "scheduled_at": _text(form, "scheduled_at"),
        "variants": {k: v for k, v in variants.items() if v.strip()},
        "alt": {key[4:]: _text(form, key) for key in form if key.startswith("alt-")},
    }


def _post_in(values: dict, *, schedule: bool) -> PostIn:
    data = {
        "title": values["title"], "text": values["text"], "channel_ids": values["channel_ids"],
        "variants": values["variants"], "link": values["link"].strip() or None,
        "first_comment": values["first_comment"], "media_ids": values["media_ids"],
        "campaign_id": values["campaign_id"] or None,
        "scheduled_at": (values["scheduled_at"] or None) if schedule else None,
    }
    if schedule and not values["scheduled_at"]:
        raise InvalidInput.on("scheduled_at", "choose a date and time (or save a draft, or add to the queue)")
    return validate(PostIn, data)


def _values_of(post: Post, zone: str) -> dict:
    local = _local(post.scheduled_at, zone)
    return {
        "title": post.title, "text": post.text, "link": post.link or "", "first_comment": post.first_comment,
        "channel_ids": [str(t.channel_id) for t in post.targets], "media_ids": [str(i) for i in post.media_ids or []],
        "campaign_id": str(post.campaign_id or ""), "scheduled_at": f"{local:%Y-%m-%dT%H:%M}" if local else "",
        "variants": {t.network: t.text for t in post.targets if t.text is not None}, "alt": {},
    }


def _field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Form errors keyed by the composer's fields (``channel_ids.0`` -> ``channel_ids``)."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        head = key.split(".")[0]
        name = key if head == "variants" else head
        out[name] = f"{out[name]}; {message}" if name in out else message
    return out


def _composer(request, session, client_id, values, errors=None, post=None, status=200, tracked=None):
    client = clients_service.get(session=session, client_id=client_id)
    channels = channels_service.list_for(session=session, client_id=client_id)
    ctx = {
        "post": post, "values": values, "errors": errors or {}, "channels": channels,
        "networks": sorted({c.network for c in channels}),
        "campaign_options": [(c.id, c.name) for c in posts.list_campaigns(session=session, client_id=client_id)],
        "media": posts.list_media(session=session, client_id=client_id),
        "policy": posts.settings_for(session=session, client_id=client_id), "zone": client.timezone,
        "now_local": datetime.now(ZoneInfo(client.timezone)), "tracked": tracked,
        "can_track": request.state.principal.can(LINKS_WRITE, client_id),
        "base_short": f"{links_service.link_base(get_settings(request))}/l/",
    }
    return _publishing_page(request, session, client_id, "publishing/composer.html", ctx, status)


def _save_alt_texts(session: Session, client_id: int, values: dict) -> None:
    for media_id in values["media_ids"]:
        alt = values["alt"].get(media_id)
        if alt is not None and media_id.isdigit():
            try:
                row = posts.get_media(session=session, client_id=client_id, media_id=int(media_id))
            except NotFound:
                continue  # the service names the unknown file
            if row.alt_text != alt.strip():
                posts.set_alt_text(session=session, client_id=client_id, media_id=row.id, alt_text=alt.strip()[:2000])


def _save(session: Session, principal: Principal, client_id: int, form: FormData, post: Post | None) -> Post:
    values = _composer_values(form)
    action = _text(form, "action") or "draft"
    _save_alt_texts(session, client_id, values)
    data = _post_in(values, schedule=action == "schedule")
    if post is None:
        post = posts.create_post(session=session, principal=principal, client_id=client_id, data=data)
    else:
        post = posts.update_post(session=session, principal=principal, post=post, data=data)
    if action == "queue":
        posts.add_to_queue(session=session, principal=principal, post=post)
    return post


def _track_link(request: Request, session: Session, principal: Principal, client_id: int, form: FormData,
                post: Post | None):
    """The composer's "Track clicks" button: the link becomes a new short link of the client's (UTM
    medium social, source the network when one is chosen, campaign the post's) and the composer comes
    back with it in place, nothing else saved."""
    values = _composer_values(form)
    destination = values["link"].strip()
    errors: dict[str, str] = {}
    if not principal.can(LINKS_WRITE, client_id):
        errors["link"] = "you may not make tracked links for this client; ask a manager, or paste a link as it is"
    elif not destination:
        errors["link"] = "write the address to track first, such as https://example.com/spring"
    if errors:
        return _composer(request, session, client_id, values, errors, post=post, status=422)
    channels = {c.id: c for c in channels_service.list_for(session=session, client_id=client_id)}
    networks = {channels[int(i)].network for i in values["channel_ids"] if i.isdigit() and int(i) in channels}
    label = values["title"].strip() or " ".join(values["text"].split())[:80]
    with collect_errors(session) as errors:
        data = validate(LinkIn, {
            "destination": destination, "utm_medium": "social", "label": label[:200],
            "network": next(iter(networks)) if len(networks) == 1 else None,
            "utm_source": "" if len(networks) == 1 else "social",
            "campaign_id": int(values["campaign_id"]) if values["campaign_id"].isdigit() else None})
        link = links_service.create_link(session=session, settings=get_settings(request), principal=principal,
                                         client_id=client_id, data=data)
        values["link"] = links_service.short_url(get_settings(request), link.code)
        tracked = {"short_url": values["link"], "destination": link.destination}
        return _composer(request, session, client_id, values, post=post, tracked=tracked)
    errors = {"link": "; ".join(errors.values())}  # the link's fields are the composer's one link field
    return _composer(request, session, client_id, values, errors, post=post, status=422)


@router.get("/clients/{client_id}/posts", dependencies=[Depends(require(POSTS_VIEW))])
def post_list(client_id: int):
    """The client's posts: the calendar's list view."""
    return see_other(f"/clients/{client_id}/calendar?view=list")


@router.get("/clients/{client_id}/posts/new", dependencies=[Depends(require(POSTS_WRITE))])
def new_post(client_id: int, request: Request, session: DB, date: str | None = None):
    """The composer for a new post (``date``: prefill the schedule, e.g. from the calendar)."""
    channels = channels_service.list_for(session=session, client_id=client_id)
    values = {"title": "", "text": "", "link": "", "first_comment": "", "media_ids": [], "campaign_id": "",
              "channel_ids": [str(c.id) for c in channels] if len(channels) == 1 else [], "variants": {}, "alt": {},
              "scheduled_at": ""}
    try:
        values["scheduled_at"] = f"{datetime.fromisoformat(date).date():%Y-%m-%d}T09:00" if date else ""
    except ValueError:
        pass
    return _composer(request, session, client_id, values)


@router.post("/clients/{client_id}/posts/new")
def create_post(client_id: int, request: Request, session: DB, form: Form,
                principal: Principal = Depends(require(POSTS_WRITE))):
    """Save the composer: a draft, scheduled at a local time, or added to the queue (or make its link a
    tracked short link, saving nothing)."""
    if _text(form, "action") == "track_link":
        return _track_link(request, session, principal, client_id, form, None)
    with collect_errors(session) as errors:
        post = _save(session, principal, client_id, form, None)
        return see_other(f"/clients/{client_id}/posts/{post.id}?saved=1")
    return _composer(request, session, client_id, _composer_values(form), _field_errors(errors), status=422)


@router.post("/clients/{client_id}/posts/preview", dependencies=[Depends(require(POSTS_WRITE))])
def preview(client_id: int, request: Request, session: DB, form: Form):
    """The composer's live counter and preview (an HTMX fragment): each selected channel's verdict,
    from the same check as ``POST /api/clients/{id}/posts/check``."""
    values = _composer_values(form)
    channels = {c.id: c for c in channels_service.list_for(session=session, client_id=client_id)}
    wanted = [int(i) for i in values["channel_ids"] if i.isdigit() and int(i) in channels]
    problem, rows = "", []
    if wanted:
        try:
            body = validate(CheckIn, {"text": values["text"], "channel_ids": wanted, "variants": values["variants"],
                                      "link": values["link"].strip() or None})
            verdicts = posts.check_channels(session=session, client_id=client_id, data=body)
            rows = [_verdict_row(v, channels[v["channel_id"]]) for v in verdicts]
        except InvalidInput as exc:
            problem = "; ".join(error_map(exc).values())
    return render(request, "publishing/_preview.html", {"rows": rows, "problem": problem, "any_channel": bool(wanted)})


def _segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    out, cursor = [], 0
    for start, end, kind in sorted(spans):
        if start < cursor or end <= start:
            continue
        out += [(text[cursor:start], None), (text[start:end], kind)]
        cursor = end
    out.append((text[cursor:], None))
    return [(chunk, kind) for chunk, kind in out if chunk]


def _bluesky_spans(text: str, facets: list[dict]) -> tuple[str, list[tuple[int, int, str]]]:
    raw = text.encode()
    spans = []
    for facet in facets:
        start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
        kind = facet["features"][0]["$type"].rsplit("#", 1)[-1] if facet.get("features") else "link"
        spans.append((len(raw[:start].decode(errors="replace")), len(raw[:end].decode(errors="replace")), kind))
    return text, spans


def _x_spans(text: str, found: dict) -> tuple[str, list[tuple[int, int, str]]]:
    normal = text_rules.LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    kinds = {"urls": "link", "mentions": "mention", "hashtags": "tag", "cashtags": "tag"}
    spans = [(e["indices"][0], e["indices"][1], kinds[name]) for name, items in found.items() if name in kinds
             for e in items]
    return normal, spans


@dataclass
class VerdictRow:
    channel: Channel
    network: str
    label: str
    valid: bool
    length: int
    limit: int
    noun: str
    note: str
    over_by: int
    remaining: int
    message: str
    segments: list[tuple[str, str | None]]
    extra: str


def _verdict_row(verdict: dict, channel: Channel) -> VerdictRow:
    text = verdict["text"]
    if verdict["network"] == "bluesky":
        shown, spans = _bluesky_spans(text, verdict.get("facets", []))
        extra = f"{verdict['bytes']:,} of {verdict['byte_limit']:,} bytes"
        if verdict.get("unresolved_mentions"):
            extra += " · mentions resolved when publishing: " + ", ".join("@" + h for h in verdict["unresolved_mentions"])
    elif verdict["network"] == "x":
        shown, spans = _x_spans(text, verdict.get("entities", {}))
        extra = f"weighted length {verdict['weighted_length']} (links count 23, emoji and CJK count 2)"
    else:
        shown, spans = text, []
        extra = f"links count {verdict['characters_reserved_per_url']}" if verdict["network"] == "mastodon" else ""
    return VerdictRow(
        channel=channel, network=verdict["network"], label=_channel_name(channel), valid=verdict["valid"],
        length=verdict["length"], limit=verdict["limit"], noun=text_rules.UNIT_NOUNS.get(verdict["unit"], "characters"),
        note=text_rules.UNIT_NOTES.get(verdict["unit"], ""), over_by=verdict["over_by"],
        remaining=verdict["remaining"], message=verdict.get("message") or "", segments=_segments(shown, spans),
        extra=extra,
    )


@router.post("/clients/{client_id}/posts/media")
def upload_media(client_id: int, request: Request, session: DB, form: Form,
                 principal: Principal = Depends(require(POSTS_WRITE))):
    """Upload a file into the client's library from the composer; answers the media picker
    (HTMX) with the new file selected, or goes back to the composer."""
    upload = form.get("file")
    selected = _ids(form, "media_ids")
    with collect_errors(session) as errors:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput.on("file", "choose an image or a video to upload")
        root = posts.media_root(get_settings(request).ensure_data_dir())
        row = posts.save_media(session=session, root=root, client_id=client_id, filename=upload.filename,
                               source=upload.file, user_id=principal.user_id,
                               alt_text=_text(form, "alt_text").strip()[:2000])
        selected.append(str(row.id))
    if request.headers.get("hx-request"):
        ctx = {"media": posts.list_media(session=session, client_id=client_id),
               "values": {"media_ids": selected, "alt": _composer_values(form)["alt"]}, "upload_errors": errors,
               "errors": {},
               "client": clients_service.get(session=session, client_id=client_id),
               "policy": posts.settings_for(session=session, client_id=client_id)}
        return render(request, "publishing/_media_picker.html", ctx, 422 if errors else 200)
    back = _text(form, "next")
    if not back.startswith(f"/clients/{client_id}/posts/") or "//" in back:
        back = f"/clients/{client_id}/posts/new"
    if errors:
        return render(request, "error.html", {"status": 422, "message": "; ".join(errors.values())}, 422)
    return see_other(back)


@router.get("/clients/{client_id}/media/{media_id}/file", dependencies=[Depends(require(POSTS_VIEW))])
def media_file(client_id: int, media_id: RowId, request: Request, session: DB):
    """A file of the client's media library (thumbnails in the composer and on the post page)."""
    row = posts.get_media(session=session, client_id=client_id, media_id=media_id)
    root = posts.media_root(get_settings(request).ensure_data_dir()).resolve()
    path = (root / row.stored_as).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"the file of media {media_id} is missing")
    return FileResponse(path, media_type=row.mime_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/clients/{client_id}/posts/import", dependencies=[Depends(require(POSTS_WRITE))])
def import_page(client_id: int, request: Request, session: DB):
    """Upload a CSV file of posts."""
    return _import_page(request, session, client_id, None, "")


def _import_page(request, session, client_id, report, pasted, status=200):
    ctx = {"report": report, "pasted": pasted, "columns": importing.COLUMNS, "max_rows": importing.MAX_ROWS,
           "channels": channels_service.list_for(session=session, client_id=client_id),
           "zone": clients_service.get(session=session, client_id=client_id).timezone}
    return _publishing_page(request, session, client_id, "publishing/import.html", ctx, status)


@router.post("/clients/{client_id}/posts/import")
def import_upload(client_id: int, request: Request, session: DB, form: Form,
                  principal: Principal = Depends(require(POSTS_WRITE))):
    """Import the posts of a CSV file (all or nothing) and show the report."""
    clients_service.get(session=session, client_id=client_id)
    upload, pasted = form.get("file"), _text(form, "csv")
    raw = upload.file.read(importing.MAX_BYTES + 1) if isinstance(upload, UploadFile) and upload.filename else b""
    try:
        text = importing.decode(raw) if raw else pasted
        report = importing.import_csv(session, principal, client_id, text)
    except InvalidInput as exc:
        report = importing.ImportReport(ok=False, created=0, total=0, message=exc.message,
                                        errors=[{"field": e.field, "message": e.message} for e in exc.errors])
    keep = "" if raw or report.ok else pasted
    return _import_page(request, session, client_id, report, keep, 200 if report.ok else 422)


# --- the post page ------------------------------------------------------------------------------


def _post_page(request, session, client_id, post_id, errors=None, values=None, status=200):
    post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
    client = clients_service.get(session=session, client_id=client_id)
    events = posts.history(session=session, post=post)
    channels = {c.id: c for c in channels_service.list_for(session=session, client_id=client_id)}
    needs = posts.approval_needs(session=session, post=post)
    people = _people(session, [e.actor_id for e in events] + [post.created_by_id])
    status_ = PostStatus(post.status)
    campaign = None
    if post.campaign_id:
        try:
            campaign = posts.get_campaign(session=session, client_id=client_id, campaign_id=post.campaign_id)
        except NotFound:
            campaign = None
    media = [m for m in posts.list_media(session=session, client_id=client_id) if m.id in (post.media_ids or [])]
    states = {TargetState(t.state) for t in post.targets}
    ctx = {
        "post": post, "status": status_, "events": events, "people": people, "needs": needs, "campaign": campaign,
        "targets": [(t, channels.get(t.channel_id)) for t in post.targets], "zone": client.timezone,
        "comments": [e for e in events if e.kind == "comment"], "media": media,
        "errors": errors or {}, "values": values or {"scheduled_at": f"{_local(post.scheduled_at, client.timezone):%Y-%m-%dT%H:%M}"
                                                    if post.scheduled_at else ""},
        "actions": {
            "edit": status_ in EDITABLE_STATUSES,
            "submit": status_ in (PostStatus.DRAFT, PostStatus.CHANGES_REQUESTED, PostStatus.FAILED),
            "approve": status_ in (PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED, PostStatus.DRAFT)
            and bool(needs.required),
            "request_changes": status_ in (PostStatus.IN_REVIEW, PostStatus.APPROVED, PostStatus.SCHEDULED)
            and bool(needs.required),
            "schedule": status_ not in (PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED, PostStatus.CANCELLED,
                                        PostStatus.PUBLISHING),
            "unschedule": status_ is PostStatus.SCHEDULED,
            "cancel": status_ not in (PostStatus.PUBLISHED, PostStatus.CANCELLED, PostStatus.PARTLY_PUBLISHED)
            and TargetState.PUBLISHING not in states,
            "delete": not states & {TargetState.PUBLISHING, TargetState.PUBLISHED},
        },
    }
    return _publishing_page(request, session, client_id, "publishing/post.html", ctx, status)


@router.get("/clients/{client_id}/posts/{post_id}", dependencies=[Depends(require(POSTS_VIEW))])
def post_page(client_id: int, post_id: RowId, request: Request, session: DB):
    """A post: its state on each channel, approvals, comments and full history."""
    return _post_page(request, session, client_id, post_id)


@router.get("/clients/{client_id}/posts/{post_id}/edit", dependencies=[Depends(require(POSTS_WRITE))])
def edit_post(client_id: int, post_id: RowId, request: Request, session: DB):
    """The composer for an existing post."""
    post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
    zone = clients_service.get(session=session, client_id=client_id).timezone
    return _composer(request, session, client_id, _values_of(post, zone), post=post)


@router.post("/clients/{client_id}/posts/{post_id}/edit")
def save_post(client_id: int, post_id: RowId, request: Request, session: DB, form: Form,
              principal: Principal = Depends(require(POSTS_WRITE))):
    """Save an edited post (an approved one goes back to review when the client needs approval)."""
    post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
    if _text(form, "action") == "track_link":
        return _track_link(request, session, principal, client_id, form, post)
    with collect_errors(session) as errors:
        _save(session, principal, client_id, form, post)
        return see_other(f"/clients/{client_id}/posts/{post_id}?saved=1")
    post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
    return _composer(request, session, client_id, _composer_values(form), _field_errors(errors), post=post, status=422)


def _post_action(name: str, perm, run, doc: str) -> None:
    def endpoint(client_id: int, post_id: RowId, request: Request, session: DB, form: Form,
                 principal: Principal = Depends(require(perm))):
        post = posts.get_post(session=session, client_id=client_id, post_id=post_id)
        with collect_errors(session) as errors:
            goto = run(session=session, principal=principal, post=post, form=form)
            return see_other(goto if isinstance(goto, str) else f"/clients/{client_id}/posts/{post_id}")
        values = {"scheduled_at": _text(form, "scheduled_at"), "note": _text(form, "note")}
        return _post_page(request, session, client_id, post_id, errors, values, 422)

    endpoint.__doc__ = doc
    router.add_api_route(f"/clients/{{client_id}}/posts/{{post_id}}/{name}", endpoint, methods=["POST"],
                         name=f"post_{name.replace('-', '_')}")


def _schedule(session, principal, post, form):
    if _text(form, "now"):
        data = ScheduleIn(now=True)
    else:
        if not _text(form, "scheduled_at"):
            raise InvalidInput.on("scheduled_at", "choose a date and time")
        data = validate(ScheduleIn, {"scheduled_at": _text(form, "scheduled_at")})
    posts.schedule(session=session, principal=principal, post=post, data=data)


def _retry(session, principal, post, form):
    raw = _text(form, "target_id")
    posts.retry(session=session, principal=principal, post=post, target_id=int(raw) if raw.isdigit() else None)


def _delete(session, principal, post, form):
    client_id = post.client_id
    posts.delete_post(session=session, post=post)
    return f"/clients/{client_id}/calendar?view=list"


for _name, _perm_needed, _run, _doc in [
    ("submit", POSTS_WRITE, lambda session, principal, post, form: posts.submit(session=session, principal=principal,
                                                                                   post=post), "Submit for approval."),
    ("approve", POSTS_APPROVE, lambda session, principal, post, form: posts.approve(
        session=session, principal=principal, post=post, note=_text(form, "note").strip()[:5000]), "Approve."),
    ("request-changes", POSTS_APPROVE, lambda session, principal, post, form: posts.request_changes(
        session=session, principal=principal, post=post, note=_text(form, "note").strip()[:5000]),
     "Ask for changes, with a note."),
    ("comment", POSTS_COMMENT, lambda session, principal, post, form: posts.comment(
        session=session, principal=principal, post=post,
        note=validate(CommentIn, {"note": _text(form, "note")}).note), "Comment."),
    ("schedule", POSTS_WRITE, _schedule, "Schedule at a local time, or now."),
    ("unschedule", POSTS_WRITE, lambda session, principal, post, form: posts.unschedule(
        session=session, principal=principal, post=post), "Take off the schedule."),
    ("queue", POSTS_WRITE, lambda session, principal, post, form: posts.add_to_queue(
        session=session, principal=principal, post=post), "Schedule at the next free queue slot."),
    ("cancel", POSTS_WRITE, lambda session, principal, post, form: posts.cancel(
        session=session, principal=principal, post=post), "Cancel what has not been sent."),
    ("retry", POSTS_WRITE, _retry, "Send failed or held channels again, now."),
    ("delete", POSTS_WRITE, _delete, "Delete a post that was never sent."),
]:
    _post_action(_name, _perm_needed, _run, _doc)


# --- calendars ----------------------------------------------------------------------------------


@dataclass
class CalItem:
    post: Post
    client: Client
    local: datetime | None
    label: str
    networks: list[str]
    draggable: bool
    campaign: object | None

    @property
    def url(self) -> str:
        return f"/clients/{self.client.id}/posts/{self.post.id}"

    @property
    def move_url(self) -> str:
        return f"/api/clients/{self.client.id}/posts/{self.post.id}/move"


def _anchor(raw: str | None, zone: ZoneInfo) -> date:
    try:
        return date.fromisoformat(raw) if raw else datetime.now(zone).date()
    except ValueError:
        return datetime.now(zone).date()


def _range(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, last day shown, previous anchor, next anchor)."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6), start - timedelta(days=7), start + timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=calendar_lib.monthrange(first.year, first.month)[1])
    start = first - timedelta(days=first.weekday())
    end = last + timedelta(days=6 - last.weekday())
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = last + timedelta(days=1)
    return start, end, prev_month, next_month


def _items(session: Session, principal: Principal, found: list[Post], clients: dict[int, Client],
           campaigns: dict[int, object]) -> list[CalItem]:
    out = []
    for post in found:
        client = clients[post.client_id]
        out.append(CalItem(
            post=post, client=client, local=_local(post.scheduled_at, client.timezone), label=posts.post_label(post),
            networks=sorted({t.network for t in post.targets}),
            draggable=PostStatus(post.status) in MOVABLE and post.scheduled_at is not None
            and principal.can(POSTS_WRITE, client.id),
            campaign=campaigns.get(post.campaign_id) if post.campaign_id else None,
        ))
    return out


def _calendar_context(session: Session, principal: Principal, clients: list[Client], view: str, raw_date: str | None,
                      campaign_id: int | None, base_query: dict) -> dict:
    """Everything a month, week or list view shows, for one client or several (each post at its own
    client's local time)."""
    view = view if view in VIEWS else "month"
    by_id = {c.id: c for c in clients}
    zone = ZoneInfo(clients[0].timezone) if len(clients) == 1 else ZoneInfo("UTC")
    anchor = _anchor(raw_date, zone)
    campaigns = {}
    for client in clients:
        campaigns.update({c.id: c for c in posts.list_campaigns(session=session, client_id=client.id)})
    ctx: dict = {"view": view, "anchor": anchor, "today": datetime.now(zone).date(), "campaigns": campaigns}
    ids = list(by_id)
    if view == "list":
        now = utcnow()
        upcoming = posts.list_posts(session=session, client_ids=ids, start=now, campaign_id=campaign_id, limit=300)
        drafts = [p for p in posts.list_posts(session=session, client_ids=ids, unscheduled=True,
                                              campaign_id=campaign_id, limit=300)
                  if p.status not in (PostStatus.CANCELLED, PostStatus.PUBLISHED, PostStatus.PARTLY_PUBLISHED)]
        ctx.update(upcoming=_items(session, principal, upcoming, by_id, campaigns),
                   drafts=_items(session, principal, drafts, by_id, campaigns))
        return ctx
    start, end, prev_anchor, next_anchor = _range(view, anchor)
    # Widen the UTC window by a day on each side: every client's local days fall inside it.
    window_start = datetime.combine(start, time(0), tzinfo=UTC) - timedelta(days=1)
    window_end = datetime.combine(end, time(0), tzinfo=UTC) + timedelta(days=2)
    found = posts.list_posts(session=session, client_ids=ids, start=window_start, end=window_end,
                             campaign_id=campaign_id, limit=5000)
    items = [i for i in _items(session, principal, found, by_id, campaigns) if start <= i.local.date() <= end]
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    per_day: dict[date, list[CalItem]] = {d: [] for d in days}
    for item in items:
        per_day[item.local.date()].append(item)
    for listed in per_day.values():
        listed.sort(key=lambda i: (i.local, i.post.id))
    ctx.update(days=days, per_day=per_day, weeks=[days[i:i + 7] for i in range(0, len(days), 7)],
               prev_url="?" + urlencode({**base_query, "view": view, "date": prev_anchor.isoformat()}),
               next_url="?" + urlencode({**base_query, "view": view, "date": next_anchor.isoformat()}),
               today_url="?" + urlencode({**base_query, "view": view}), hours=list(range(24)),
               title=f"{anchor:%B %Y}" if view == "month" else
               f"Week of {start.day} {start:%b} – {end.day} {end:%b %Y}")
    return ctx


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and int(raw) < 2**31 else None


@router.get("/clients/{client_id}/calendar", dependencies=[Depends(require(POSTS_VIEW))])
def client_calendar(client_id: int, request: Request, session: DB, view: str = "month", date: str | None = None,
                    campaign: str | None = None):
    """The client's posts by month, week or as a list, in the client's time zone; drag to move."""
    client = clients_service.get(session=session, client_id=client_id)
    campaign_id = _int(campaign)
    base = {"campaign": campaign_id} if campaign_id else {}
    ctx = _calendar_context(session, request.state.principal, [client], view, date, campaign_id, base)
    settings = get_settings(request)
    ctx.update(campaign_id=campaign_id, zone=client.timezone,
               feed_url=ical.feed_url(settings.base_url, posts.feed_token(session=session, client_id=client_id)),
               view_url=lambda v: "?" + urlencode({**base, "view": v, "date": ctx["anchor"].isoformat()}))
    return _publishing_page(request, session, client_id, "publishing/calendar.html", ctx)


@router.get("/calendar")
def agency_calendar(request: Request, session: DB, principal: Principal = Depends(require(CALENDAR_VIEW)),
                    view: str = "month", date: str | None = None, client: str | None = None):
    """Every client's posts you work on in one calendar, each post at its own client's local time."""
    visible = [c for c in clients_service.list_visible(session=session, principal=principal)
               if principal.can(POSTS_VIEW, c.id)]
    chosen = _int(client)
    shown = [c for c in visible if chosen is None or c.id == chosen]
    base = {"client": chosen} if chosen else {}
    ctx = {"clients": visible, "client_id": chosen, "view": view, "empty": not shown}
    if shown:
        ctx.update(_calendar_context(session, principal, shown, view, date, None, base))
        ctx["view_url"] = lambda v: "?" + urlencode({**base, "view": v, "date": ctx["anchor"].isoformat()})
    return render(request, "publishing/agency_calendar.html", ctx)


@router.get("/feeds/{token}.ics", dependencies=[Depends(public)])
def feed(token: str, request: Request, session: DB):
    """A client's scheduled and published posts as an iCalendar feed (the token is the secret)."""
    client = ical.client_for_token(session=session, token=token)
    body = ical.calendar_for(session=session, client=client, base_url=get_settings(request).base_url)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300",
                             "Content-Disposition": f'inline; filename="client-{client.id}.ics"'})


@router.post("/clients/{client_id}/calendar/feed/rotate", dependencies=[Depends(require(PUBLISHING_MANAGE))])
def rotate_feed(client_id: int, session: DB):
    """A new subscription URL; the old one stops working."""
    clients_service.get(session=session, client_id=client_id)
    ical.rotate_token(session=session, client_id=client_id)
    return see_other(f"/clients/{client_id}/calendar?view=list&rotated=1")


# --- publishing settings: policy, pause switch, queue slots, campaigns ----------------------------


def _settings_page(request, session, client_id, errors=None, values=None, status=200, edit_campaign=None):
    client = clients_service.get(session=session, client_id=client_id)
    settings = posts.settings_for(session=session, client_id=client_id)
    channels = channels_service.list_for(session=session, client_id=client_id)
    names = {c.id: _channel_name(c) for c in channels}
    slots = posts.list_slots(session=session, client_id=client_id)
    paused_by = _people(session, [settings.paused_by_id]).get(settings.paused_by_id) if settings.paused_by_id else None
    ctx = {
        "settings": settings, "channels": channels, "channel_names": names, "slots": slots, "paused_by": paused_by,
        "campaigns": posts.list_campaigns(session=session, client_id=client_id), "zone": client.timezone,
        "policies": [(p.value, {"none": "None: the team schedules directly",
                                "team": "Team: a manager (not the author) or a director approves",
                                "client": "Client: the client's approver approves"}[p.value]) for p in ApprovalPolicy],
        "modes": [(m.value, {"ask": "Ask: posts that came due during the pause are held; retry each one from its page",
                             "publish_now": "Publish now: they go out at once",
                             "shift": "Shift: they move later by the length of the pause"}[m.value])
                  for m in ResumeMode],
        "errors": errors or {}, "values": values or {}, "edit_campaign": edit_campaign,
    }
    return _publishing_page(request, session, client_id, "publishing/settings.html", ctx, status)


@router.get("/clients/{client_id}/publishing", dependencies=[Depends(require(POSTS_VIEW))])
def publishing_settings(client_id: int, request: Request, session: DB):
    """Approval policy, the pause switch, queue slots and campaigns."""
    return _settings_page(request, session, client_id)


def _settings_form(path: str, perm, run, form_name: str, doc: str) -> None:
    def endpoint(client_id: int, request: Request, session: DB, form: Form,
                 principal: Principal = Depends(require(perm))):
        clients_service.get(session=session, client_id=client_id)
        with collect_errors(session) as errors:
            goto = run(session=session, principal=principal, client_id=client_id, form=form)
            return see_other(goto or f"/clients/{client_id}/publishing?saved=1")
        values = {key: _text(form, key) for key in form if key != "csrf_token"}
        return _settings_page(request, session, client_id, {form_name: errors}, {form_name: values}, 422)

    endpoint.__doc__ = doc
    router.add_api_route(f"/clients/{{client_id}}/publishing{path}", endpoint, methods=["POST"],
                         name=f"publishing_{form_name}")


def _campaign_in(form: FormData) -> CampaignIn:
    return validate(CampaignIn, form_fields(form, CampaignIn, checkboxes=("major",), optional=("starts_on", "ends_on")))


def _save_policy(session, principal, client_id, form):
    data = form_fields(form, SettingsIn, checkboxes=("major_needs_director", "require_alt_text"))
    posts.update_settings(session=session, client_id=client_id, data=validate(SettingsIn, data))


def _pause(session, principal, client_id, form):
    reason = validate(PauseIn, {"reason": _text(form, "reason")}).reason
    posts.pause(session=session, client_id=client_id, user_id=principal.user_id, reason=reason)


def _resume(session, principal, client_id, form):
    mode = validate(ResumeIn, {"mode": _text(form, "mode") or "ask"}).mode
    posts.resume(session=session, client_id=client_id, mode=mode)


def _add_slot(session, principal, client_id, form):
    posts.add_slot(session=session, client_id=client_id, data=validate(QueueSlotIn, form_fields(form, QueueSlotIn)))


def _add_campaign(session, principal, client_id, form):
    posts.create_campaign(session=session, client_id=client_id, data=_campaign_in(form))


_settings_form("", PUBLISHING_MANAGE, _save_policy, "policy", "Save the approval policy.")
_settings_form("/pause", PUBLISHING_PAUSE, _pause, "pause", "Pause all of the client's publishing.")
_settings_form("/resume", PUBLISHING_MANAGE, _resume, "resume", "Resume publishing (ask, publish now or shift).")
_settings_form("/slots", PUBLISHING_MANAGE, _add_slot, "slot", "Add a queue slot.")
_settings_form("/campaigns", PUBLISHING_MANAGE, _add_campaign, "campaign", "Add a campaign.")


@router.post("/clients/{client_id}/publishing/slots/{slot_id}/delete",
             dependencies=[Depends(require(PUBLISHING_MANAGE))])
def delete_slot(client_id: int, slot_id: RowId, session: DB):
    """Delete a queue slot."""
    posts.delete_slot(session=session, client_id=client_id, slot_id=slot_id)
    return see_other(f"/clients/{client_id}/publishing")


@router.get("/clients/{client_id}/publishing/campaigns/{campaign_id}/edit",
            dependencies=[Depends(require(PUBLISHING_MANAGE))])
def edit_campaign(client_id: int, campaign_id: RowId, request: Request, session: DB):
    """Edit a campaign."""
    row = posts.get_campaign(session=session, client_id=client_id, campaign_id=campaign_id)
    values = {name: getattr(row, name) for name in CampaignIn.model_fields}
    return _settings_page(request, session, client_id, values={"edit": values}, edit_campaign=row)


@router.post("/clients/{client_id}/publishing/campaigns/{campaign_id}",
             dependencies=[Depends(require(PUBLISHING_MANAGE))])
def save_campaign(client_id: int, campaign_id: RowId, request: Request, session: DB, form: Form):
    """Save a campaign."""
    row = posts.get_campaign(session=session, client_id=client_id, campaign_id=campaign_id)
    with collect_errors(session) as errors:
        posts.update_campaign(session=session, client_id=client_id, campaign_id=campaign_id, data=_campaign_in(form))
        return see_other(f"/clients/{client_id}/publishing?saved=1")
    row = posts.get_campaign(session=session, client_id=client_id, campaign_id=campaign_id)
    values = {key: _text(form, key) for key in form if key != "csrf_token"}
    values["major"] = "major" in form
    return _settings_page(request, session, client_id, {"edit": errors}, {"edit": values}, 422, edit_campaign=row)


@router.post("/clients/{client_id}/publishing/campaigns/{campaign_id}/delete",
             dependencies=[Depends(require(PUBLISHING_MANAGE))])
def delete_campaign(client_id: int, campaign_id: RowId, session: DB):
    """Delete a campaign (its posts stay, without a campaign)."""
    posts.delete_campaign(session=session, client_id=client_id, campaign_id=campaign_id)
    return see_other(f"/clients/{client_id}/publishing")


# --- notifications ------------------------------------------------------------------------------


@router.get("/notifications")
def notifications(request: Request, session: DB, principal: Principal = Depends(require(NOTIFICATIONS_VIEW))):
    """Your notifications, newest first."""
    rows = posts.list_notifications(session=session, user_id=principal.user_id, limit=200)
    names = {c.id: c.name for c in clients_service.list_visible(session=session, principal=principal,
                                                                include_archived=True)}
    return render(request, "publishing/notifications.html", {"rows": rows, "client_names": names})


@router.post("/notifications/read")
def read_all(session: DB, principal: Principal = Depends(require(NOTIFICATIONS_READ))):
    """Mark every notification read."""
    posts.mark_read(session=session, user_id=principal.user_id)
    return see_other("/notifications")

