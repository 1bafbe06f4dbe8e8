"""The crisis pages of a client: alerts and crises, an alert with its reasons, and the crisis room."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.auth.models import User
from socialdesk.channels import service as channels_service
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.crisis import service as crisis
from socialdesk.crisis.permissions import (
    CLIENT_PLAYBOOKS_EDIT,
    CRISIS_ACT,
    CRISIS_DECIDE,
    CRISIS_NOTE,
    CRISIS_VIEW,
    PLAYBOOKS_EDIT,
    PLAYBOOKS_VIEW,
)
from socialdesk.crisis.schemas import (
    STEP_OWNERS,
    TYPE_LABELS,
    CloseIn,
    CrisisOpen,
    CrisisPatch,
    CrisisType,
    PauseIn,
    PlaybookIn,
    ResumeIn,
    StatementIn,
    TextIn,
)
from socialdesk.db import utcnow
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import Forbidden
from socialdesk.listening.models import Mention
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.permissions import POSTS_APPROVE
from socialdesk.web.deps import RowId, get_db, require
from socialdesk.web.forms import collect_errors, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
TYPES = [(t.value, TYPE_LABELS[t]) for t in CrisisType]
SVG_W, SVG_H = 640, 160


def chart(shape: dict, opened_at=None) -> dict:
    """Polylines of a curve for an inline SVG (volume and negative mentions), and the crisis's shaded span."""
    points = shape["points"]
    top = max([p["volume"] for p in points] + [1])
    n = max(len(points) - 1, 1)

    def line(key: str) -> str:
        return " ".join(f"{i * SVG_W / n:.1f},{SVG_H - p[key] * (SVG_H - 10) / top:.1f}" for i, p in enumerate(points))

    start = None
    if opened_at is not None and points:
        width = timedelta(minutes=shape["bucket_minutes"])
        from datetime import datetime

        index = next((i for i, p in enumerate(points) if datetime.fromisoformat(p["at"]) + width > opened_at), None)
        start = None if index is None else index * SVG_W / n
    return {"volume": line("volume"), "negative": line("negative"), "top": top, "width": SVG_W, "height": SVG_H,
            "crisis_x": start, "bucket_minutes": shape["bucket_minutes"], "count": len(points),
            "total": sum(p["volume"] for p in points), "negative_total": sum(p["negative"] for p in points)}


def _names(session: Session, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def _may(principal: Principal, client_id: int) -> dict:
    return {"act": principal.can(CRISIS_ACT, client_id), "decide": principal.can(CRISIS_DECIDE, client_id),
            "note": principal.can(CRISIS_NOTE, client_id), "approve": principal.can(POSTS_APPROVE, client_id)}


@router.get("/clients/{client_id}/crisis", dependencies=[Depends(require(CRISIS_VIEW))])
def crisis_home(client_id: RowId, request: Request, session: DB):
    """The client's alerts, its open crisis room and past crises."""
    return _home(request, session, client_id, {}, {}, 200)


def _home(request: Request, session: Session, client_id: int, values: dict, errors: dict, status: int):
    context = {"alerts": crisis.list_alerts(session, client_ids=[client_id], limit=50),
               "crises": crisis.list_crises(session, client_id=client_id), "types": TYPES,
               "crisis_may": _may(request.state.principal, client_id), "values": values, "errors": errors,
               "type_labels": {t.value: l for t, l in TYPE_LABELS.items()}}
    return client_page(request, session, client_id, "crisis/home.html", context, status)


@router.get("/clients/{client_id}/crisis/alerts/{alert_id}", dependencies=[Depends(require(CRISIS_VIEW))])
def alert_page(client_id: RowId, alert_id: RowId, request: Request, session: DB):
    """An alert: why it fired, in words and numbers, its sample posts, and opening a crisis from it."""
    row = crisis.get_alert(session, client_id=client_id, alert_id=alert_id)
    shape = crisis.curve(session, client_id=client_id, start=row.window_start - timedelta(hours=24),
                         end=row.window_end)
    context = {"alert": row, "samples": crisis.alert_samples(session, row), "chart": chart(shape, row.window_start),
               "types": TYPES, "crisis_may": _may(request.state.principal, client_id),
               "open_room": crisis.open_crisis_of(session, client_id)}
    return client_page(request, session, client_id, "crisis/alert.html", context)


@router.post("/clients/{client_id}/crisis/open", dependencies=[Depends(require(CRISIS_ACT))])
def open_room(client_id: RowId, request: Request, session: DB, form: Form):
    values = {"type": form.get("type") or "", "title": form.get("title") or "", "note": form.get("note") or "",
              "alert_id": form.get("alert_id") or None}
    with collect_errors(session) as errors:
        row = crisis.open_crisis(session, principal=request.state.principal, client_id=client_id,
                                 data=validate(CrisisOpen, values))
        return see_other(f"/clients/{client_id}/crisis/{row.id}")
    return _home(request, session, client_id, values, errors, 422)


# --- playbooks -----------------------------------------------------------------------------------
# Registered before the room: /crisis/{crisis_id} would take "playbooks" for a crisis id.

STATEMENT_BREAK = "---"  # the line between two holding statements in the form


def playbook_form(playbook) -> dict:
    """A playbook as the edit form shows it: one step a line ("role: step"), statements between ``---`` lines
    (the first line of each is its name)."""
    return {"name": playbook.name, "summary": playbook.summary,
            "steps": "\n".join(f"{s.owner_role.replace('_', ' ')}: {s.title}" for s in playbook.steps),
            "statements": f"\n{STATEMENT_BREAK}\n".join(f"{t.name}\n{t.text}" for t in playbook.statements)}


def parse_playbook_form(values: dict) -> tuple[dict, dict[str, str]]:
    """The form's text as PlaybookIn data, with an error per field naming the line to fix."""
    errors: dict[str, str] = {}
    steps = []
    for number, line in enumerate(values["steps"].splitlines(), 1):
        if not line.strip():
            continue
        role, colon, title = line.partition(":")
        if not colon or not title.strip():
            errors["steps"] = (f"Steps: line {number} needs the owner's role, a colon and the step, e.g. "
                               "\"community manager: Answer every complaint within an hour\"")
            break
        owner = role.strip().lower().replace(" ", "_")
        if owner not in STEP_OWNERS:
            errors["steps"] = (f"Steps: line {number}: {role.strip()!r} is not a role that owns steps; write one of "
                               + ", ".join(r.value.replace("_", " ") for r in STEP_OWNERS) + " before the colon")
            break
        steps.append({"owner_role": owner, "title": title.strip(), "line": number})
    statements = []
    for block in re.split(rf"^\s*{STATEMENT_BREAK}\s*$", values["statements"], flags=re.MULTILINE):
        name, _, text = block.strip().partition("\n")
        if name.strip() or text.strip():
            statements.append({"name": name.strip(), "text": text.strip()})
    return {"name": values["name"], "summary": values["summary"], "steps": steps, "statements": statements}, errors


def _playbook_errors(errors: dict[str, str], data: dict) -> dict[str, str]:
    """Errors on "steps.2.owner_role" and the like, told on the textarea with the line they are on."""
    out: dict[str, str] = {}
    for key, message in errors.items():
        field, _, rest = key.partition(".")
        index = rest.partition(".")[0]
        if field == "steps" and index.isdigit() and int(index) < len(data["steps"]):
            message = f"Steps: line {data['steps'][int(index)]['line']}: {message.partition(': ')[2] or message}"
        elif field == "statements" and index.isdigit():
            message = f"Holding statements: statement {int(index) + 1}: {message.partition(': ')[2] or message}"
        out[field if field in ("steps", "statements") else key] = message
    return out


def _playbooks_url(client_id: int | None) -> str:
    """Where the playbook pages of a client (or of the agency, None) live."""
    return "/crisis/playbooks" if client_id is None else f"/clients/{client_id}/crisis/playbooks"


def _playbook_page(request: Request, session: Session, client_id: int | None, crisis_type: CrisisType,
                   values: dict | None, errors: dict, status: int = 200):
    """The edit page of a client's playbook (``client_id``) or of the agency's (None)."""
    playbook = crisis.playbook_for(session, client_id=client_id, type=crisis_type)
    principal = request.state.principal
    context = {"playbook": playbook, "types": TYPES, "current": crisis_type.value, "errors": errors,
               "values": values or playbook_form(playbook), "roles": [r.value.replace("_", " ") for r in STEP_OWNERS],
               "base": _playbooks_url(client_id),
               "may_edit": principal.can(PLAYBOOKS_EDIT) if client_id is None
               else principal.can(CLIENT_PLAYBOOKS_EDIT, client_id)}
    if client_id is None:
        return render(request, "crisis/playbook.html", {**context, "layout": "base.html", "client": None}, status)
    return client_page(request, session, client_id, "crisis/playbook.html", {**context, "layout": "clients/layout.html"},
                       status)


def _save_playbook(request: Request, session: Session, client_id: int | None, crisis_type: CrisisType, form):
    values = {k: form.get(k) or "" for k in ("name", "summary", "steps", "statements")}
    data, errors = parse_playbook_form(values)
    if not errors:
        clean = {**data, "steps": [{k: v for k, v in step.items() if k != "line"} for step in data["steps"]]}
        with collect_errors(session) as found:
            crisis.save_playbook(session, client_id=client_id, type=crisis_type, data=validate(PlaybookIn, clean),
                                 user_id=request.state.principal.user_id)
            return see_other(f"{_playbooks_url(client_id)}/{crisis_type.value}?saved=1")
        errors = _playbook_errors(found, data)
    return _playbook_page(request, session, client_id, crisis_type, values, errors, 422)


@router.get("/crisis/playbooks/{crisis_type}", dependencies=[Depends(require(PLAYBOOKS_VIEW))])
def agency_playbook_page(crisis_type: CrisisType, request: Request, session: DB):
    """The agency's playbook for a crisis type: what every client follows unless it has its own."""
    return _playbook_page(request, session, None, crisis_type, None, {})


@router.post("/crisis/playbooks/{crisis_type}", dependencies=[Depends(require(PLAYBOOKS_EDIT))])
def save_agency_playbook(crisis_type: CrisisType, request: Request, session: DB, form: Form):
    return _save_playbook(request, session, None, crisis_type, form)


@router.post("/crisis/playbooks/{crisis_type}/reset", dependencies=[Depends(require(PLAYBOOKS_EDIT))])
def reset_agency_playbook(crisis_type: CrisisType, request: Request, session: DB):
    crisis.reset_playbook(session, client_id=None, type=crisis_type)
    return see_other(f"{_playbooks_url(None)}/{crisis_type.value}")


@router.get("/clients/{client_id}/crisis/playbooks/{crisis_type}", dependencies=[Depends(require(CRISIS_VIEW))])
def playbook_page(client_id: RowId, crisis_type: CrisisType, request: Request, session: DB):
    """The playbook a crisis of this type follows for the client (its own, else the agency's), to edit."""
    return _playbook_page(request, session, client_id, crisis_type, None, {})


@router.post("/clients/{client_id}/crisis/playbooks/{crisis_type}",
             dependencies=[Depends(require(CLIENT_PLAYBOOKS_EDIT))])
def save_playbook(client_id: RowId, crisis_type: CrisisType, request: Request, session: DB, form: Form):
    return _save_playbook(request, session, client_id, crisis_type, form)


@router.post("/clients/{client_id}/crisis/playbooks/{crisis_type}/reset",
             dependencies=[Depends(require(CLIENT_PLAYBOOKS_EDIT))])
def reset_playbook(client_id: RowId, crisis_type: CrisisType, request: Request, session: DB):
    crisis.reset_playbook(session, client_id=client_id, type=crisis_type)
    return see_other(f"{_playbooks_url(client_id)}/{crisis_type.value}")


# --- the room ------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/crisis/{crisis_id}", dependencies=[Depends(require(CRISIS_VIEW))])
def room(client_id: RowId, crisis_id: RowId, request: Request, session: DB):
    """The crisis room."""
    return _room(request, session, client_id, crisis_id, {}, 200)


def _room(request: Request, session: Session, client_id: int, crisis_id: int, errors: dict, status: int):
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    timeline = list(reversed(crisis.events(session, crisis=row)))
    mention_ids = [e.ref.get("mention_id") for e in timeline if e.ref.get("mention_id")]
    pinned = {m.id: m for m in session.scalars(select(Mention).where(Mention.id.in_(mention_ids)))} if mention_ids else {}
    end = row.closed_at or utcnow()
    if row.status == "closed" and row.postmortem.get("curve"):
        shape = row.postmortem["curve"]
    else:
        shape = crisis.curve(session, client_id=client_id, start=row.opened_at - timedelta(hours=6), end=end)
    playbook = crisis.playbook_for(session, client_id=client_id, type=CrisisType(row.type))
    names = _names(session, [e.actor_id for e in timeline] + [s.done_by_id for s in row.steps]
                   + [row.opened_by_id, row.decided_by_id, row.closed_by_id])
    context = {
        "crisis": row, "timeline": timeline, "pinned": pinned, "names": names, "chart": chart(shape, row.opened_at),
        "playbook": playbook, "statements": crisis.statements(session, crisis=row),
        "channels": channels_service.list_for(session=session, client_id=client_id),
        "paused": posts_service.settings_for(session=session, client_id=client_id).paused,
        "latest": crisis.latest_mentions(session, client_id=client_id, since=row.opened_at - timedelta(hours=1))
        if row.status == "open" else [],
        "crisis_may": _may(request.state.principal, client_id), "errors": errors, "types": TYPES,
        "type_label": TYPE_LABELS[CrisisType(row.type)],
    }
    return client_page(request, session, client_id, "crisis/room.html", context, status)


def _do(request: Request, session: Session, client_id: int, crisis_id: int, work):
    """Run one room action and come back to the room (a form error re-renders it with the message)."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    with collect_errors(session) as errors:
        work(row)
        return see_other(f"/clients/{client_id}/crisis/{crisis_id}")
    return _room(request, session, client_id, crisis_id, errors, 422)


@router.post("/clients/{client_id}/crisis/{crisis_id}/decide", dependencies=[Depends(require(CRISIS_DECIDE))])
def decide(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"text": form.get("text") or ""}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.decide(
        session, principal=request.state.principal, crisis=row, text=validate(TextIn, data).text))


@router.post("/clients/{client_id}/crisis/{crisis_id}/type", dependencies=[Depends(require(CRISIS_DECIDE))])
def change_type(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"type": form.get("type") or None}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.update_crisis(
        session, principal=request.state.principal, crisis=row, data=validate(CrisisPatch, data)))


@router.post("/clients/{client_id}/crisis/{crisis_id}/action", dependencies=[Depends(require(CRISIS_ACT))])
def action(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"text": form.get("text") or ""}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.act(
        session, principal=request.state.principal, crisis=row, text=validate(TextIn, data).text))


@router.post("/clients/{client_id}/crisis/{crisis_id}/note", dependencies=[Depends(require(CRISIS_NOTE))])
def note(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"text": form.get("text") or ""}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.note(
        session, principal=request.state.principal, crisis=row, text=validate(TextIn, data).text))


@router.post("/clients/{client_id}/crisis/{crisis_id}/pin/{mention_id}", dependencies=[Depends(require(CRISIS_ACT))])
def pin(client_id: RowId, crisis_id: RowId, mention_id: RowId, request: Request, session: DB):
    return _do(request, session, client_id, crisis_id, lambda row: crisis.pin_mention(
        session, principal=request.state.principal, crisis=row, mention_id=mention_id, text=""))


@router.post("/clients/{client_id}/crisis/{crisis_id}/steps/{step_id}", dependencies=[Depends(require(CRISIS_ACT))])
def step(client_id: RowId, crisis_id: RowId, step_id: RowId, request: Request, session: DB, form: Form):
    done = form.get("done") == "1"
    return _do(request, session, client_id, crisis_id, lambda row: crisis.set_step(
        session, principal=request.state.principal, crisis=row, step_id=step_id, done=done))


@router.post("/clients/{client_id}/crisis/{crisis_id}/pause", dependencies=[Depends(require(CRISIS_ACT))])
def pause(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"reason": form.get("reason") or ""}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.pause_publishing(
        session, principal=request.state.principal, crisis=row, reason=validate(PauseIn, data).reason))


@router.post("/clients/{client_id}/crisis/{crisis_id}/resume", dependencies=[Depends(require(CRISIS_DECIDE))])
def resume(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"mode": form.get("mode") or "ask"}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.resume_publishing(
        session, principal=request.state.principal, crisis=row, mode=validate(ResumeIn, data).mode))


@router.post("/clients/{client_id}/crisis/{crisis_id}/statements", dependencies=[Depends(require(CRISIS_ACT))])
def statement(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"template": form.get("template") or "", "text": form.get("text") or "",
            "channel_ids": [v for v in form.getlist("channel_ids") if isinstance(v, str) and v]}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.add_statement(
        session, principal=request.state.principal, crisis=row, data=validate(StatementIn, data)))


@router.post("/clients/{client_id}/crisis/{crisis_id}/statements/{post_id}/approve",
             dependencies=[Depends(require(CRISIS_VIEW))])
def approve(client_id: RowId, crisis_id: RowId, post_id: RowId, request: Request, session: DB):
    principal: Principal = request.state.principal
    if not principal.can(POSTS_APPROVE, client_id):
        raise Forbidden("your role on this client does not approve posts")
    return _do(request, session, client_id, crisis_id, lambda row: crisis.approve_statement(
        session, principal=principal, crisis=row, post_id=post_id))


@router.post("/clients/{client_id}/crisis/{crisis_id}/close", dependencies=[Depends(require(CRISIS_DECIDE))])
def close(client_id: RowId, crisis_id: RowId, request: Request, session: DB, form: Form):
    data = {"summary": form.get("summary") or ""}
    return _do(request, session, client_id, crisis_id, lambda row: crisis.close(
        session, principal=request.state.principal, crisis=row, data=validate(CloseIn, data)))
