"""JSON routes of crisis alerts, crisis rooms and playbooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.crisis import service as crisis
from socialdesk.crisis.permissions import (
    CLIENT_PLAYBOOKS_EDIT,
    CRISIS_ACT,
    CRISIS_ALL,
    CRISIS_DECIDE,
    CRISIS_NOTE,
    CRISIS_VIEW,
    PLAYBOOKS_EDIT,
    PLAYBOOKS_VIEW,
)
from socialdesk.crisis.schemas import (
    AlertOut,
    CloseIn,
    CrisisDetail,
    CrisisOpen,
    CrisisOut,
    CrisisPatch,
    CrisisType,
    EventOut,
    MentionPin,
    PauseIn,
    PlaybookIn,
    PlaybookOut,
    ResumeIn,
    StatementIn,
    StatementOut,
    StepDone,
    StepOut,
    TextIn,
)
from socialdesk.kit.authz import Principal
from socialdesk.kit.validation import NoNul
from socialdesk.publishing import service as posts_service
from socialdesk.publishing.permissions import POSTS_APPROVE
from socialdesk.web.deps import RowId, get_db, require

router = APIRouter(prefix="/api", tags=["crisis"])
DB = Annotated[Session, Depends(get_db)]
Limit = Annotated[int, Query(ge=1, le=500)]


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] = ""


def _detail(session: Session, row) -> CrisisDetail:
    paused = posts_service.settings_for(session=session, client_id=row.client_id).paused
    return CrisisDetail.model_validate({**CrisisOut.model_validate(row).model_dump(), "postmortem": row.postmortem,
                                        "postmortem_text": row.postmortem_text, "publishing_paused": paused})


# --- alerts --------------------------------------------------------------------------------------


@router.get("/crisis/alerts", response_model=list[AlertOut])
def all_alerts(session: DB, principal: Principal = Depends(require(CRISIS_ALL)), limit: Limit = 100):
    """Crisis alerts across the clients you work on (never those you only approve for), newest first."""
    ids = [c.id for c in clients_service.list_visible(session=session, principal=principal)
           if principal.can(CRISIS_VIEW, c.id)]
    return crisis.list_alerts(session, client_ids=ids, limit=limit)


@router.get("/clients/{client_id}/crisis/alerts", response_model=list[AlertOut])
def client_alerts(client_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW)), limit: Limit = 100):
    clients_service.get(session=session, client_id=client_id)
    return crisis.list_alerts(session, client_ids=[client_id], limit=limit)


@router.get("/clients/{client_id}/crisis/alerts/{alert_id}", response_model=AlertOut)
def alert(client_id: RowId, alert_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW))):
    return crisis.get_alert(session, client_id=client_id, alert_id=alert_id)


@router.post("/clients/{client_id}/crisis/alerts/{alert_id}/dismiss", response_model=AlertOut)
def dismiss(client_id: RowId, alert_id: RowId, session: DB, principal: Principal = Depends(require(CRISIS_DECIDE))):
    """A false alarm: no crisis is opened from it (it stays on the list)."""
    row = crisis.get_alert(session, client_id=client_id, alert_id=alert_id)
    return crisis.dismiss_alert(session, principal=principal, alert=row)


# --- crises --------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/crises", response_model=list[CrisisOut])
def crises(client_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW)), status: str | None = None):
    clients_service.get(session=session, client_id=client_id)
    return crisis.list_crises(session, client_id=client_id, status=status)


@router.post("/clients/{client_id}/crises", response_model=CrisisDetail, status_code=201)
def open_crisis(client_id: RowId, data: CrisisOpen, session: DB, principal: Principal = Depends(require(CRISIS_ACT))):
    """Open the crisis room (from an alert with ``alert_id``, or by hand); the type picks the playbook."""
    return _detail(session, crisis.open_crisis(session, principal=principal, client_id=client_id, data=data))


@router.get("/clients/{client_id}/crises/{crisis_id}", response_model=CrisisDetail)
def get_crisis(client_id: RowId, crisis_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW))):
    return _detail(session, crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id))


@router.patch("/clients/{client_id}/crises/{crisis_id}", response_model=CrisisDetail)
def update_crisis(client_id: RowId, crisis_id: RowId, data: CrisisPatch, session: DB,
                  principal: Principal = Depends(require(CRISIS_DECIDE))):
    """Rename, or change the type (the steps not done yet follow the new type's playbook)."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return _detail(session, crisis.update_crisis(session, principal=principal, crisis=row, data=data))


@router.get("/clients/{client_id}/crises/{crisis_id}/events", response_model=list[EventOut])
def events(client_id: RowId, crisis_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW))):
    """The timeline, oldest first."""
    return crisis.events(session, crisis=crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id))


@router.post("/clients/{client_id}/crises/{crisis_id}/decisions", response_model=EventOut, status_code=201)
def decide(client_id: RowId, crisis_id: RowId, data: TextIn, session: DB,
           principal: Principal = Depends(require(CRISIS_DECIDE))):
    """The director's decision (it becomes the crisis's strategy; the team is told)."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return crisis.decide(session, principal=principal, crisis=row, text=data.text)


@router.post("/clients/{client_id}/crises/{crisis_id}/actions", response_model=EventOut, status_code=201)
def act(client_id: RowId, crisis_id: RowId, data: TextIn, session: DB,
        principal: Principal = Depends(require(CRISIS_ACT))):
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return crisis.act(session, principal=principal, crisis=row, text=data.text)


@router.post("/clients/{client_id}/crises/{crisis_id}/notes", response_model=EventOut, status_code=201)
def note(client_id: RowId, crisis_id: RowId, data: TextIn, session: DB,
         principal: Principal = Depends(require(CRISIS_NOTE))):
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return crisis.note(session, principal=principal, crisis=row, text=data.text)


@router.post("/clients/{client_id}/crises/{crisis_id}/mentions", response_model=EventOut, status_code=201)
def pin(client_id: RowId, crisis_id: RowId, data: MentionPin, session: DB,
        principal: Principal = Depends(require(CRISIS_ACT))):
    """Pin one of the client's mentions to the timeline."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return crisis.pin_mention(session, principal=principal, crisis=row, mention_id=data.mention_id, text=data.text)


@router.put("/clients/{client_id}/crises/{crisis_id}/steps/{step_id}", response_model=StepOut)
def step(client_id: RowId, crisis_id: RowId, step_id: RowId, data: StepDone, session: DB,
         principal: Principal = Depends(require(CRISIS_ACT))):
    """Tick a playbook step off (``done: false`` reopens it); the director's own steps are the director's."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return crisis.set_step(session, principal=principal, crisis=row, step_id=step_id, done=data.done,
                           note_text=data.note)


@router.post("/clients/{client_id}/crises/{crisis_id}/pause", response_model=CrisisDetail)
def pause(client_id: RowId, crisis_id: RowId, data: PauseIn, session: DB,
          principal: Principal = Depends(require(CRISIS_ACT))):
    """Pause all of the client's scheduled publishing now."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    crisis.pause_publishing(session, principal=principal, crisis=row, reason=data.reason)
    return _detail(session, row)


@router.post("/clients/{client_id}/crises/{crisis_id}/resume", response_model=CrisisDetail)
def resume(client_id: RowId, crisis_id: RowId, data: ResumeIn, session: DB,
           principal: Principal = Depends(require(CRISIS_DECIDE))):
    """Resume publishing: posts due meanwhile are held (ask), sent now, or shifted by the pause's length."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    crisis.resume_publishing(session, principal=principal, crisis=row, mode=data.mode)
    return _detail(session, row)


@router.get("/clients/{client_id}/crises/{crisis_id}/statements", response_model=list[StatementOut])
def statements(client_id: RowId, crisis_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW))):
    """The crisis's holding statements and where each stands in approval."""
    return crisis.statements(session, crisis=crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id))


@router.post("/clients/{client_id}/crises/{crisis_id}/statements", response_model=StatementOut, status_code=201)
def add_statement(client_id: RowId, crisis_id: RowId, data: StatementIn, session: DB,
                  principal: Principal = Depends(require(CRISIS_ACT))):
    """Draft a holding statement (from a playbook template or written) and send it to approval."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    post = crisis.add_statement(session, principal=principal, crisis=row, data=data)
    return crisis.statement_out(session, post)


# CRISIS_NOTE keeps client approvers out of the room (the same people as CRISIS_VIEW) and, as a write
# permission, says what the route does: the approval goes on the timeline.
@router.post("/clients/{client_id}/crises/{crisis_id}/statements/{post_id}/approve", response_model=StatementOut,
             dependencies=[Depends(require(CRISIS_NOTE))])
def approve_statement(client_id: RowId, crisis_id: RowId, post_id: RowId, data: ApproveIn, session: DB,
                      principal: Principal = Depends(require(POSTS_APPROVE))):
    """Approve a holding statement (the post's approval: a manager as the team, a director as director)."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    post = crisis.approve_statement(session, principal=principal, crisis=row, post_id=post_id, note_text=data.note)
    return crisis.statement_out(session, post)


@router.post("/clients/{client_id}/crises/{crisis_id}/close", response_model=CrisisDetail)
def close(client_id: RowId, crisis_id: RowId, data: CloseIn, session: DB,
          principal: Principal = Depends(require(CRISIS_DECIDE))):
    """Close the crisis and write its post-mortem (figures, curve before and during, steps, statements)."""
    row = crisis.get_crisis(session, client_id=client_id, crisis_id=crisis_id)
    return _detail(session, crisis.close(session, principal=principal, crisis=row, data=data))


# --- playbooks -----------------------------------------------------------------------------------


@router.get("/crisis/playbooks", response_model=list[PlaybookOut])
def agency_playbooks(session: DB, _: Principal = Depends(require(PLAYBOOKS_VIEW))):
    """The agency's playbook for each crisis type (the built-in one until a director edits it)."""
    return crisis.list_playbooks(session, client_id=None)


@router.put("/crisis/playbooks/{crisis_type}", response_model=PlaybookOut)
def save_agency_playbook(crisis_type: CrisisType, data: PlaybookIn, session: DB,
                         principal: Principal = Depends(require(PLAYBOOKS_EDIT))):
    return crisis.save_playbook(session, client_id=None, type=crisis_type, data=data, user_id=principal.user_id)


@router.get("/clients/{client_id}/crisis/playbooks", response_model=list[PlaybookOut])
def client_playbooks(client_id: RowId, session: DB, _: Principal = Depends(require(CRISIS_VIEW))):
    """The playbook that applies to the client for each type: its own, else the agency's."""
    clients_service.get(session=session, client_id=client_id)
    return crisis.list_playbooks(session, client_id=client_id)


@router.put("/clients/{client_id}/crisis/playbooks/{crisis_type}", response_model=PlaybookOut)
def save_client_playbook(client_id: RowId, crisis_type: CrisisType, data: PlaybookIn, session: DB,
                         principal: Principal = Depends(require(CLIENT_PLAYBOOKS_EDIT))):
    return crisis.save_playbook(session, client_id=client_id, type=crisis_type, data=data, user_id=principal.user_id)


@router.delete("/clients/{client_id}/crisis/playbooks/{crisis_type}", response_model=PlaybookOut)
def reset_client_playbook(client_id: RowId, crisis_type: CrisisType, session: DB,
                          _: Principal = Depends(require(CLIENT_PLAYBOOKS_EDIT))):
    """Drop the client's own playbook for the type: the agency's applies again."""
    clients_service.get(session=session, client_id=client_id)
    return crisis.reset_playbook(session, client_id=client_id, type=crisis_type)
