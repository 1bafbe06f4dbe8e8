"""Pydantic shapes of analytics, and the currencies a reporting currency may be."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from socialdesk.kit.validation import NoNul

# Active ISO 4217 codes (not funds or precious metals), with their minor units where not 2.
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD
LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP
PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP
TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())
MINOR_UNITS = {**dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
               **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3), "CLF": 4, "UYW": 4}


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (EUR, USD, GBP, JPY ...)")
    return code


Currency = Annotated[str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)]


class AccountMetric(enum.StrEnum):
    FOLLOWERS = "followers"
    FOLLOWING = "following"
    POSTS = "posts"


class PostMetric(enum.StrEnum):
    LIKES = "likes"
    REPOSTS = "reposts"
    REPLIES = "replies"
    QUOTES = "quotes"
    IMPRESSIONS = "impressions"
    VIEWS = "views"
    LINK_CLICKS = "link_clicks"


class ImportKind(enum.StrEnum):
    METRICS = "metrics"
    PAID = "paid"
    ACCOUNTS = "accounts"


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: Currency = Field(description="The client's reporting currency (ISO 4217); paid results must be in it")


class SettingsOut(BaseModel):
    currency: str | None


class TrackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel_id: int = Field(ge=1, le=2**31 - 1)
    remote_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NoNul]
    until: date = Field(description="Read the post's counts daily until this day (included)")


class TrackedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    channel_id: int
    post_target_id: int | None
    remote_id: str
    published_at: datetime | None
    track_until: date | None
    gone_on: date | None


class SyncStateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    channel_id: int
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_day: date | None
    error: str
    stopped: dict[str, str] = Field(description="Metrics the network stopped returning -> the first day it did not")
    report: str
    posts_read: int


class AccountSnapshotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    channel_id: int
    day: date
    followers: int | None
    following: int | None
    posts: int | None
    extra: dict[str, int]
    decreased: list[str]
    collected_at: datetime


class PostSnapshotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    channel_id: int | None
    post_target_id: int | None
    network: str
    remote_id: str
    day: date
    likes: int | None
    reposts: int | None
    replies: int | None
    quotes: int | None
    impressions: int | None
    views: int | None
    link_clicks: int | None
    extra: dict[str, int]
    gone: bool
    decreased: list[str]
    source: str


class PointOut(BaseModel):
    day: date
    value: int | None
    state: str = Field(description="ok, gap (no snapshot that day), unreported (the network did not say) or gone")
    decreased: bool


class DeltaOut(BaseModel):
    first: int | None
    last: int | None
    change: int | None = Field(description="Sum of the moves between consecutive days with values; null: none")
    across_gaps: int | None = Field(description="What moved over days without data (not in change)")
    days_compared: int
    per_day: float | None
    gaps: list[tuple[date, date]]
    decreases: list[date]
    message: str


class SeriesOut(BaseModel):
    metric: str
    start: date
    end: date
    points: list[PointOut]
    delta: DeltaOut


class PaidResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    day: date
    network: str
    campaign_id: int | None
    ad: str
    currency: str
    spend: Decimal
    impressions: int | None
    clicks: int | None
    conversions: int | None


class ImportRowOut(BaseModel):
    row: int
    ok: bool
    outcome: str = ""
    errors: list[dict] = []


class ImportReportOut(BaseModel):
    ok: bool
    created: int
    updated: int
    unchanged: int
    total: int
    message: str
    rows: list[ImportRowOut] = []
    errors: list[dict] = []
    new_channels: list[str] = Field(default=[], description="Channels an accounts import made (network @handle)")
