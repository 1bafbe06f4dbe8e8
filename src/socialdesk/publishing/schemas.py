"""Pydantic shapes of posts, campaigns, approvals, queues and the publishing settings."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from socialdesk.channels.schemas import ChannelNetwork
from socialdesk.kit.validation import HexColor, LongText, Name, NoNul


class PostStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"  # approved, not scheduled yet
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTLY_PUBLISHED = "partly_published"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TargetState(enum.StrEnum):
    DRAFT = "draft"  # not scheduled
    HELD = "held"  # was due while publishing was paused: waits for a decision
    SCHEDULED = "scheduled"  # a worker takes it at due_at
    PUBLISHING = "publishing"  # claimed by a worker
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_TARGET_STATES = {TargetState.PUBLISHED, TargetState.FAILED, TargetState.CANCELLED}
EDITABLE_STATUSES = {PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.CHANGES_REQUESTED, PostStatus.APPROVED,
                     PostStatus.SCHEDULED, PostStatus.FAILED}


class ApprovalPolicy(enum.StrEnum):
    NONE = "none"  # the team schedules directly
    TEAM = "team"  # one approver from the team (manager or director), not the author
    CLIENT = "client"  # the client's approver


class Capacity(enum.StrEnum):
    TEAM = "team"
    CLIENT = "client"
    DIRECTOR = "director"


PostText = Annotated[str, StringConstraints(max_length=10000), NoNul]
Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048), NoNul]


class PostIn(BaseModel):
    """A post for one or more of the client's channels.

    ``scheduled_at`` without an offset is the client's local time (its brand profile's zone);
    leave it out to keep a draft. ``variants`` replaces the text on one network.
    """

    model_config = ConfigDict(extra="forbid")
    title: Title = ""
    text: PostText = ""
    channel_ids: list[int] = Field(min_length=1, max_length=20, description="The client's channels to post to")
    variants: dict[ChannelNetwork, PostText] = Field(default_factory=dict)
    link: Link | None = None
    first_comment: PostText = ""
    media_ids: list[int] = Field(default_factory=list, max_length=10)
    campaign_id: int | None = None
    scheduled_at: datetime | None = None

    @field_validator("channel_ids")
    @classmethod
    def _unique_channels(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("lists a channel twice")
        return value

    @field_validator("link")
    @classmethod
    def _http_link(cls, value: str | None) -> str | None:
        if value and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value or None

    @model_validator(mode="after")
    def _something_to_say(self) -> PostIn:
        if not self.text.strip() and not self.media_ids and not any(v.strip() for v in self.variants.values()):
            raise ValueError("text: write something or attach media")
        return self


class CheckIn(BaseModel):
    """What the composer's counter checks: nothing is stored."""

    text: PostText = ""
    channel_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(default_factory=list, max_length=20)
    variants: dict[ChannelNetwork, PostText] = Field(default_factory=dict)
    link: Link | None = None


class ScheduleIn(BaseModel):
    """When to publish: a time (no offset = the client's local time), or now."""

    model_config = ConfigDict(extra="forbid")
    scheduled_at: datetime | None = None
    now: bool = False

    @model_validator(mode="after")
    def _one(self) -> ScheduleIn:
        if not self.now and self.scheduled_at is None:
            raise ValueError("scheduled_at: give a time, or now: true to publish at once")
        return self


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul] = ""


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NoNul]


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    channel_id: int
    network: ChannelNetwork
    text: str | None
    state: TargetState
    due_at: datetime | None
    attempts: int
    remote_id: str | None
    remote_url: str | None
    published_at: datetime | None
    last_error: str


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    campaign_id: int | None
    title: str
    text: str
    link: str | None
    first_comment: str
    media_ids: list[int]
    status: PostStatus
    scheduled_at: datetime | None
    schedule_note: str
    version: int
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    targets: list[TargetOut]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    kind: str
    version: int
    note: str
    target_id: int | None


class ApprovalNeeds(BaseModel):
    """Which approvals this version still needs, and who gave which."""

    required: list[Capacity]
    given: list[Capacity]
    missing: list[Capacity]
    changes_requested: bool


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: LongText = ""
    major: bool = False
    starts_on: date | None = None
    ends_on: date | None = None
    color: HexColor = "#3c71f7"

    @model_validator(mode="after")
    def _order(self) -> CampaignIn:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on: must be on or after starts_on")
        return self


class CampaignOut(CampaignIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approval_policy: ApprovalPolicy = ApprovalPolicy.NONE
    major_needs_director: bool = True
    require_alt_text: bool = True


class SettingsOut(SettingsIn):
    model_config = ConfigDict(from_attributes=True)
    paused: bool
    paused_at: datetime | None
    pause_reason: str


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] = ""


class ResumeMode(enum.StrEnum):
    ASK = "ask"  # posts that came due during the pause are held for a decision
    PUBLISH_NOW = "publish_now"  # they go out now
    SHIFT = "shift"  # they move later by the length of the pause


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: ResumeMode = ResumeMode.ASK


class QueueSlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_id: int
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = Field(
        description="HH:MM in the client's time zone"
    )


class QueueSlotOut(QueueSlotIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class MediaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    filename: str
    kind: str
    mime_type: str
    size_bytes: int
    width: int | None
    height: int | None
    duration_seconds: float | None
    alt_text: str
    created_at: datetime


class MediaAltIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alt_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
