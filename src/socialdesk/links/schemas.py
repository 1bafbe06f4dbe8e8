"""Pydantic shapes of tracked links, UTM previews, link settings, conversions and counts."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from socialdesk.clients.schemas import Network
from socialdesk.kit.validation import NoNul

# ISO 4217 codes in use (funds and precious metals left out).
CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
""".split())

PUBLIC_ID = r"^[A-Za-z0-9_-]{1,16}$"
UtmValue = Annotated[str, StringConstraints(max_length=200), NoNul]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]
Kind = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50,
                                        pattern=r"^[A-Za-z0-9_.:-]+$")]
OrderRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]


class Attribution(enum.StrEnum):
    OFF = "off"  # conversions count for the client, not per link
    PARAM = "param"  # the redirect appends sdc=<click token> to the destination
    COOKIE = "cookie"  # the redirect sets sd_click=<click token> (SameSite=Lax) on the short-link domain


class StatsBy(enum.StrEnum):
    DAY = "day"
    LINK = "link"
    CAMPAIGN = "campaign"
    NETWORK = "network"


def check_currency(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    code = value.strip().upper()
    if code not in CURRENCIES:
        raise ValueError(f"unknown currency {value!r}; use a three-letter ISO 4217 code such as EUR or USD")
    return code


class UtmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    destination: Annotated[str, StringConstraints(max_length=4096), NoNul] = Field(
        description="The page the link leads to (http or https)")
    utm_source: UtmValue = ""
    utm_medium: UtmValue = ""
    utm_campaign: UtmValue = ""
    utm_term: UtmValue = ""
    utm_content: UtmValue = ""


class UtmOut(BaseModel):
    url: str


class LinkIn(UtmIn):
    """A new tracked link. ``utm_campaign`` defaults to the campaign's name when a campaign is given."""

    label: Label = ""
    network: Network | None = None
    campaign_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    short_url: str
    destination: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    network: str | None
    label: str
    campaign_id: int | None
    archived: bool
    created_at: datetime
    clicks: int = 0
    previews: int = 0
    conversions: int = 0


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hash_visitors: bool = Field(default=False, description="Keep a daily-rotating salted hash of IP and user agent "
                                "to count a visitor's repeated clicks once (the IP is never stored)")
    dedup_seconds: int = Field(default=30, ge=5, le=86400, description="Repeated clicks within this window count once")
    attribution: Attribution = Attribution.OFF
    pixel_origins: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=300), NoNul]] = Field(
        default_factory=list, max_length=50, description="Sites allowed to fire the pixel, e.g. https://shop.example")


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    public_id: str
    hash_visitors: bool
    dedup_seconds: int
    attribution: Attribution
    pixel_origins: list[str]
    secret_set: bool
    pixel_url: str
    conversion_url: str


class SecretOut(BaseModel):
    secret: str = Field(description="Shown once; keep it on the client's server")


class ConversionIn(BaseModel):
    """A conversion posted by the client's server (see POST /api/conversions)."""

    model_config = ConfigDict(extra="forbid")
    client: Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=PUBLIC_ID)] = Field(
        description="The client's public id")
    kind: Kind = "conversion"
    value: Decimal | None = Field(default=None, ge=0, le=Decimal("999999999999.99"), decimal_places=2)
    currency: str | None = None
    order_ref: OrderRef | None = Field(default=None, description="Counted once per client")
    click: Annotated[str, StringConstraints(max_length=24, pattern=r"^[A-Za-z0-9_-]+$")] | None = Field(
        default=None, description="The sdc token the redirect handed over (or the sd_click cookie)")
    link: Annotated[str, StringConstraints(max_length=12, pattern=r"^[A-Za-z0-9]+$")] | None = Field(
        default=None, description="A link code")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        return check_currency(value)

    @model_validator(mode="after")
    def _value_needs_currency(self):
        if self.value is not None and self.currency is None:
            raise ValueError("currency: give the currency of the value, e.g. EUR")
        return self


class ConversionOut(BaseModel):
    recorded: bool = Field(description="False when this order_ref was already counted")
    id: int | None
    link_id: int | None
    click_id: int | None


class StatRow(BaseModel):
    key: str | int | None
    label: str
    clicks: int = 0
    previews: int = 0
    conversions: int = 0


class StatsOut(BaseModel):
    by: StatsBy
    start: datetime
    end: datetime
    rows: list[StatRow]
    totals: StatRow
