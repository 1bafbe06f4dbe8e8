"""Pydantic shapes of clients and their brand profile, in and out."""

from __future__ import annotations

import enum
import math
from datetime import date, datetime, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from socialdesk.kit.validation import HexColor, LongText, Name, NoNul, ShortText, TimeZoneName, WordList


class EmojiPolicy(enum.StrEnum):
    NONE = "none"
    SPARINGLY = "sparingly"
    FREELY = "freely"


class Network(enum.StrEnum):
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    YOUTUBE = "youtube"
    TIKTOK = "tiktok"
    THREADS = "threads"
    PINTEREST = "pinterest"
    BLOG = "blog"


class KpiMetric(enum.StrEnum):
    FOLLOWERS = "followers"
    FOLLOWER_GROWTH = "follower_growth_percent"
    ENGAGEMENT_RATE = "engagement_rate_percent"
    REACH = "reach"
    IMPRESSIONS = "impressions"
    LINK_CLICKS = "link_clicks"
    CONVERSIONS = "conversions"
    LEADS = "leads"
    POSTS_PUBLISHED = "posts_published"
    FIRST_RESPONSE_HOURS = "first_response_hours"
    SHARE_OF_VOICE = "share_of_voice_percent"
    POSITIVE_SENTIMENT = "positive_sentiment_percent"
    COST_PER_RESULT = "cost_per_result"
    AD_SPEND = "ad_spend"

    @property
    def label(self) -> str:
        return self.value.replace("_percent", " %").replace("_", " ").capitalize()


class KpiPeriod(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class LogKind(enum.StrEnum):
    MEETING = "meeting"
    NOTE = "note"
    REQUEST = "request"
    NEWS = "news"


class DemographicDimension(enum.StrEnum):
    AGE = "age"
    GENDER = "gender"
    LOCATION = "location"
    INCOME = "income"
    EDUCATION = "education"
    LANGUAGE = "language"
    OCCUPATION = "occupation"
    OTHER = "other"


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class DemographicSegment(BaseModel):
    dimension: DemographicDimension
    value: Name
    share_percent: float = Field(ge=0, le=100, description="Share of the audience in this segment, 0-100")


def _check_demographics(segments: list[DemographicSegment]) -> list[DemographicSegment]:
    totals: dict[str, float] = {}
    for seg in segments:
        totals[seg.dimension] = totals.get(seg.dimension, 0) + seg.share_percent
    for dimension, total in totals.items():
        if total > 100.0001:
            raise ValueError(f"the '{dimension}' shares add up to {total:g}%; they must not exceed 100%")
    return segments


class BrandVoice(BaseModel):
    voice_description: LongText = ""
    tone_words: WordList = []
    words_to_use: WordList = []
    words_to_avoid: WordList = []
    emoji_policy: EmojiPolicy = EmojiPolicy.SPARINGLY
    hashtag_policy: ShortText = ""
    max_hashtags: int | None = Field(default=None, ge=0, le=30)

    @model_validator(mode="after")
    def _use_and_avoid_disjoint(self):
        clash = {w.lower() for w in self.words_to_use} & {w.lower() for w in self.words_to_avoid}
        if clash:
            raise ValueError(f"words_to_avoid: {', '.join(sorted(clash))} also listed in words_to_use; keep each word in one list")
        return self


class ClientCreate(BrandVoice):
    name: Name
    industry: ShortText = ""
    website: ShortText = ""
    description: LongText = ""
    timezone: TimeZoneName = "UTC"
    brand_color: HexColor = "#3b5bdb"
    demographics: list[DemographicSegment] = []
    business_goals: LongText = ""
    outside_hours_message: LongText = ""

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("demographics")
    @classmethod
    def _demographics(cls, value):
        return _check_demographics(value)


class ClientUpdate(BaseModel):
    """Any subset of a client's fields; the ones given replace the stored ones."""

    name: Name | None = None
    industry: ShortText | None = None
    website: ShortText | None = None
    description: LongText | None = None
    timezone: TimeZoneName | None = None
    brand_color: HexColor | None = None
    voice_description: LongText | None = None
    tone_words: WordList | None = None
    words_to_use: WordList | None = None
    words_to_avoid: WordList | None = None
    emoji_policy: EmojiPolicy | None = None
    hashtag_policy: ShortText | None = None
    max_hashtags: int | None = Field(default=None, ge=0, le=30)
    demographics: list[DemographicSegment] | None = None
    business_goals: LongText | None = None
    outside_hours_message: LongText | None = None

    _website = field_validator("website")(ClientCreate._website.__func__)

    @field_validator("demographics")
    @classmethod
    def _demographics(cls, value):
        return None if value is None else _check_demographics(value)


class PersonaIn(BaseModel):
    name: Name
    age_min: int | None = Field(default=None, ge=13, le=120)
    age_max: int | None = Field(default=None, ge=13, le=120)
    interests: WordList = []
    platforms: list[Network] = []
    cares_about: LongText = ""
    description: LongText = ""

    @model_validator(mode="after")
    def _age_range(self):
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_max: must be at least age_min ({self.age_min})")
        return self


class PersonaOut(PersonaIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int


class KpiTargetIn(BaseModel):
    metric: KpiMetric
    target: float = Field(description="The number to reach in each period")
    unit: Annotated[str, Field(max_length=30), NoNul] = ""
    period: KpiPeriod = KpiPeriod.MONTH
    notes: LongText = ""

    @field_validator("target")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if value < 0:
            raise ValueError("must not be negative")
        return value


class KpiTargetOut(KpiTargetIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int


class OfficeHoursSlotIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    start: time
    end: time

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:%H:%M}) must be after start ({self.start:%H:%M})")
        return self


class OfficeHoursIn(BaseModel):
    timezone: TimeZoneName
    slots: list[OfficeHoursSlotIn] = Field(default=[], max_length=100)
    outside_hours_message: LongText = ""

    @field_validator("slots")
    @classmethod
    def _no_overlap(cls, slots: list[OfficeHoursSlotIn]) -> list[OfficeHoursSlotIn]:
        ordered = sorted(enumerate(slots), key=lambda pair: (pair[1].weekday, pair[1].start))
        for (_, a), (j, b) in zip(ordered, ordered[1:]):
            if a.weekday == b.weekday and b.start < a.end:
                raise ValueError(
                    f"slot {j + 1} ({WEEKDAYS[b.weekday]} {b.start:%H:%M}-{b.end:%H:%M}) overlaps "
                    f"{WEEKDAYS[a.weekday]} {a.start:%H:%M}-{a.end:%H:%M}; merge them or move one"
                )
        return slots


class OfficeHoursSlotOut(OfficeHoursSlotIn):
    model_config = ConfigDict(from_attributes=True)


class OfficeHoursOut(BaseModel):
    timezone: str
    slots: list[OfficeHoursSlotOut]
    outside_hours_message: str


class ContactIn(BaseModel):
    name: Name
    title: ShortText = ""
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=50, pattern=r"^[0-9+()./\- ]*$")] = ""
    notes: LongText = ""
    is_primary: bool = False


class ContactOut(ContactIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    email: str | None = None

    @field_validator("email", mode="before")
    @classmethod
    def _empty(cls, value):
        return value or None


class LogEntryIn(BaseModel):
    kind: LogKind
    occurred_on: date
    title: Annotated[str, Field(min_length=1, max_length=300), NoNul]
    body: LongText = ""


class LogEntryOut(LogEntryIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    author_name: str | None
    created_at: datetime


class ClientSummary(BaseModel):
    """What every member of a client may see, client approvers included."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    industry: str
    website: str
    description: str
    timezone: str
    brand_color: str
    archived: bool


class ClientOut(ClientSummary):
    """The whole brand profile, for the agency's own people."""

    voice_description: str
    tone_words: list[str]
    words_to_use: list[str]
    words_to_avoid: list[str]
    emoji_policy: EmojiPolicy
    hashtag_policy: str
    max_hashtags: int | None
    demographics: list[DemographicSegment]
    business_goals: str
    outside_hours_message: str
    personas: list[PersonaOut]
    kpi_targets: list[KpiTargetOut]
    office_hours: list[OfficeHoursSlotOut]
    contacts: list[ContactOut]
    created_at: datetime
    updated_at: datetime
