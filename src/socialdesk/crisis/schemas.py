"""Pydantic shapes of crisis alerts, crisis rooms, their timeline and steps, playbooks and holding statements."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from socialdesk.kit.authz import Role
from socialdesk.kit.validation import NoNul
from socialdesk.publishing.schemas import ResumeMode


class CrisisType(enum.StrEnum):
    DISSATISFIED_CUSTOMERS = "dissatisfied_customers"
    TROLLS = "trolls"
    DEFECTIVE_PRODUCT = "defective_product"
    CAMPAIGN_MISTAKE = "campaign_mistake"
    EXECUTIVE_REMARK = "executive_remark"
    OTHER = "other"

    @property
    def label(self) -> str:
        return TYPE_LABELS[self]


TYPE_LABELS = {
    CrisisType.DISSATISFIED_CUSTOMERS: "Dissatisfied customers",
    CrisisType.TROLLS: "Trolls",
    CrisisType.DEFECTIVE_PRODUCT: "Defective product",
    CrisisType.CAMPAIGN_MISTAKE: "Communication campaign mistake",
    CrisisType.EXECUTIVE_REMARK: "Inappropriate remark by an executive",
    CrisisType.OTHER: "Other",
}


class EventKind(enum.StrEnum):
    MENTION = "mention"
    DECISION = "decision"
    ACTION = "action"
    ALERT = "alert"
    NOTE = "note"
    PAUSE = "pause"
    STATEMENT = "statement"


# Steps are owned by the agency's roles; a client approver owns none.
STEP_OWNERS = (Role.DIRECTOR, Role.MANAGER, Role.COMMUNITY_MANAGER, Role.CONTENT_CREATOR, Role.ANALYST)
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NoNul]
Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NoNul]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NoNul]
    owner_role: Role

    @field_validator("owner_role")
    @classmethod
    def _agency_role(cls, value: Role) -> Role:
        if value not in STEP_OWNERS:
            raise ValueError("a step is owned by the agency (director, manager, community manager, content creator "
                             "or analyst), not by the client's approver")
        return value


class StatementTemplate(BaseModel):
    """A holding statement to adapt: ``{client}`` and ``{date}`` are filled in when it is used."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
    text: Statement


class PlaybookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Title
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul] = ""
    steps: list[StepIn] = Field(min_length=1, max_length=50)
    statements: list[StatementTemplate] = Field(default_factory=list, max_length=20)

    @field_validator("statements")
    @classmethod
    def _unique_names(cls, value: list[StatementTemplate]) -> list[StatementTemplate]:
        names = [s.name.lower() for s in value]
        if len(set(names)) != len(names):
            raise ValueError("two holding statements have the same name; give each its own")
        return value


class PlaybookOut(BaseModel):
    type: CrisisType
    client_id: int | None  # None: the agency's
    source: str  # client | agency | default (the built-in one, never edited)
    name: str
    summary: str
    steps: list[StepIn]
    statements: list[StatementTemplate]
    updated_at: datetime | None = None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    topic: str
    status: str
    fired_at: datetime
    window_start: datetime
    window_end: datetime
    volume: int
    expected: float
    negative: int
    negative_share: float
    usual_negative_share: float
    score: float
    reason: str
    top_terms: list
    sample_mention_ids: list[int]
    message: str
    ended_at: datetime | None


class CrisisOpen(BaseModel):
    """Open a crisis by hand, or from an alert (its figures and sample posts start the timeline)."""

    model_config = ConfigDict(extra="forbid")
    type: CrisisType
    title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] = ""
    alert_id: Id | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul] = ""


class CrisisPatch(BaseModel):
    """Rename, or change the type (the steps not done yet follow the new type's playbook)."""

    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    type: CrisisType | None = None


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    position: int
    title: str
    owner_role: str
    done_at: datetime | None
    done_by_id: int | None
    note: str


class CrisisOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    type: CrisisType
    status: str
    title: str
    playbook_name: str
    opened_by_id: int | None
    opened_from_alert_id: int | None
    opened_at: datetime
    strategy: str
    decided_by_id: int | None
    decided_at: datetime | None
    campaign_id: int | None
    summary: str
    closed_at: datetime | None
    closed_by_id: int | None
    steps: list[StepOut]


class CrisisDetail(CrisisOut):
    postmortem: dict
    postmortem_text: str
    publishing_paused: bool


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: EventKind
    actor_id: int | None
    text: str
    ref: dict
    at: datetime


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text


class MentionPin(BaseModel):
    """Put one of the client's mentions on the timeline, with a word on why it matters."""

    model_config = ConfigDict(extra="forbid")
    mention_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] = ""


class StepDone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    done: bool = True
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] = ""


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul] = ""


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: ResumeMode = ResumeMode.ASK


class StatementIn(BaseModel):
    """A holding statement: from a template of the playbook (``template``) or its own ``text`` (or both: the
    text is the edited template). It becomes a post of the crisis's campaign and goes to approval."""

    model_config = ConfigDict(extra="forbid")
    template: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NoNul] = ""
    text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul] = ""
    channel_ids: list[Id] = Field(min_length=1, max_length=20)
    scheduled_at: datetime | None = None


class StatementOut(BaseModel):
    post_id: int
    title: str
    text: str
    status: str
    approvals_missing: list[str]
    approvals_given: list[str]
    changes_requested: bool
    scheduled_at: datetime | None
    links: list[str]


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: Text
