"""Pydantic shapes of push targets, rules and deliveries. An Apprise URL goes in, never out."""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from socialdesk.kit.validation import Name, NoNul, TimeZoneName


class DeliveryStatus(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"
    HELD_QUIET = "held_quiet"  # quiet hours
    HELD_MUTED = "held_muted"  # muted, or urgent only


class TargetIn(BaseModel):
    """A phone or chat destination as an Apprise URL (ntfy://topic, slack://..., tgram://..., mailto://...)."""

    model_config = ConfigDict(extra="forbid")
    label: Name
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000), NoNul] = Field(
        description="Apprise URL; stored encrypted and never shown again")


class TargetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Name | None = None
    enabled: bool | None = None


class TargetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    label: str
    scheme: str
    enabled: bool
    created_at: datetime
    masked: str = Field(description="What the URL is, without its secret parts")


class RuleIn(BaseModel):
    """When pushes wait: muted and urgent-only hold everything but urgent items; so do quiet hours
    (local times in ``timezone``; a start after the end spans midnight)."""

    model_config = ConfigDict(extra="forbid")
    muted: bool = False
    urgent_only: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: TimeZoneName = "UTC"

    @model_validator(mode="after")
    def _quiet_span(self) -> RuleIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet_end: give both the start and the end of quiet hours, or neither")
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValueError("quiet_end: must differ from quiet_start (mute the client to hold everything)")
        return self


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    client_id: int | None = Field(description="None: your default rule, used where no client rule exists")
    muted: bool
    urgent_only: bool
    quiet_start: time | None
    quiet_end: time | None
    timezone: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    notification_id: int | None
    target_id: int | None
    urgent: bool
    status: DeliveryStatus
    error: str
    at: datetime
