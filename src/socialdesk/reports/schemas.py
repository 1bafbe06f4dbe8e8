"""Pydantic shapes of reports: definitions, share links, deliveries, the agency's branding."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from socialdesk.kit.validation import HexColor, LongText, Name, NoNul
from socialdesk.reports.models import DEFAULT_SECTIONS, SECTIONS


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    WEEK = "week"
    CUSTOM = "custom"


class Comparison(enum.StrEnum):
    PREVIOUS = "previous"
    YEAR_AGO = "year_ago"
    NONE = "none"


class Schedule(enum.StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    OFF = "off"


# A section may be named by its key ("top_posts") or its title ("Top posts"), in any case.
_SECTION_NAMES = {**{k: k for k in SECTIONS}, **{t.lower(): k for k, t in SECTIONS.items()},
                  **{k.replace("_", " "): k for k in SECTIONS}}


def _sections(value: list[str]) -> list[str]:
    out = []
    for name in value:
        key = _SECTION_NAMES.get(" ".join(name.split()).lower())
        if key is None:
            raise ValueError(f"{name!r} is not a report section; choose from {', '.join(SECTIONS)}")
        if key not in out:
            out.append(key)
    if not out:
        raise ValueError("choose at least one section")
    # Sections keep the report's own order, whatever order they were ticked in.
    return [k for k in SECTIONS if k in out]


SectionList = Annotated[list[Annotated[str, NoNul]], Field(max_length=len(SECTIONS)), AfterValidator(_sections)]


class DefinitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name = "Monthly report"
    sections: SectionList = Field(default_factory=lambda: list(DEFAULT_SECTIONS))
    period_kind: PeriodKind = PeriodKind.MONTH
    custom_start: date | None = None
    custom_end: date | None = None
    comparison: Comparison = Comparison.PREVIOUS
    recipients: list[EmailStr] = Field(default_factory=list, max_length=50)
    schedule: Schedule = Schedule.OFF
    next_steps: LongText = ""


class DefinitionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    sections: SectionList | None = None
    period_kind: PeriodKind | None = None
    custom_start: date | None = None
    custom_end: date | None = None
    comparison: Comparison | None = None
    recipients: list[EmailStr] | None = Field(default=None, max_length=50)
    schedule: Schedule | None = None
    next_steps: LongText | None = None


class DefinitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    name: str
    sections: list[str]
    period_kind: PeriodKind
    custom_start: date | None
    custom_end: date | None
    comparison: Comparison
    recipients: list[str]
    schedule: Schedule
    next_steps: str
    last_sent_at: datetime | None
    created_at: datetime


class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: Annotated[str, Field(max_length=30), NoNul] | None = Field(
        default=None, description="YYYY-MM, YYYY-Www or YYYY-MM-DD..YYYY-MM-DD; default: the last whole period")
    comparison: Comparison | None = None
    days: int = Field(default=30, ge=1, le=365, description="Days until the link expires")


class ShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    definition_id: int
    period: str
    comparison: Comparison
    prefix: str
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime


class ShareCreated(ShareOut):
    url: str  # shown once: only the token's digest is stored


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    definition_id: int
    period: str
    status: str
    recipients: list[str]
    error: str
    created_at: datetime
    sent_at: datetime | None


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: Annotated[str, Field(max_length=30), NoNul] | None = None


class AgencyBrandingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=200), NoNul] = ""
    color: HexColor = "#1f2937"


class AgencyBrandingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    color: str
    has_logo: bool
