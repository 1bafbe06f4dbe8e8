"""Pydantic shapes of channels: what connecting one takes (per network) and what is shown back.

The credential goes in and never comes out: ChannelOut has no field for it.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, RootModel, StringConstraints

from socialdesk.kit.validation import NoNul


class ChannelNetwork(enum.StrEnum):
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    X = "x"

    @property
    def label(self) -> str:
        return {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X"}[self.value]


class ChannelStatus(enum.StrEnum):
    UNCHECKED = "unchecked"
    OK = "ok"
    ERROR = "error"


SUPPORTED = set(ChannelNetwork)  # networks that can be connected
X_API_URL = "https://api.x.com"
BLUESKY_DEFAULT_PDS = "https://bsky.social"


def _check_url(value: str) -> str:
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("is not a valid URL; use e.g. https://mastodon.social") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    host = parts.hostname or ""
    if not host or any(c.isspace() for c in value) or parts.query or parts.fragment or parts.username:
        raise ValueError("must be a plain server address such as https://mastodon.social")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _check_handle(value: str) -> str:
    value = value.strip().removeprefix("@").lower()
    # A domain name: labels of letters, digits and hyphens, at least one dot (atproto handle syntax).
    if not re.fullmatch(r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?", value):
        raise ValueError("must be a domain-style handle such as alice.bsky.social")
    return value


ServerUrl = Annotated[str, StringConstraints(min_length=1, max_length=500), NoNul, AfterValidator(_check_url)]
Secret = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul
]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul]


class MastodonChannelIn(BaseModel):
    network: Literal["mastodon"]
    base_url: ServerUrl = Field(description="The instance, e.g. https://mastodon.social")
    access_token: Secret = Field(description="An access token of the account (Preferences > Development)")
    display_name: DisplayName = ""


class BlueskyChannelIn(BaseModel):
    network: Literal["bluesky"]
    base_url: ServerUrl = Field(default=BLUESKY_DEFAULT_PDS, description="The account's PDS")
    handle: Annotated[str, StringConstraints(max_length=253), NoNul, AfterValidator(_check_handle)]
    app_password: Secret = Field(description="An app password (Settings > App passwords)")
    display_name: DisplayName = ""


class XChannelIn(BaseModel):
    network: Literal["x"]
    access_token: Secret = Field(description="An OAuth 2.0 user access token (Authorization Code with PKCE)")
    refresh_token: Secret | None = Field(
        default=None, description="The refresh token (scope offline.access), so the access token can be renewed")
    client_id: Secret | None = Field(default=None, description="Your X app's OAuth 2.0 client ID (needed to refresh)")
    client_secret: Secret | None = Field(default=None, description="Your X app's client secret (confidential clients)")
    display_name: DisplayName = ""


def _known_network(value):
    """Name the field when the network is missing or unknown (pydantic's tag errors name none)."""
    names = ", ".join(repr(n.value) for n in ChannelNetwork)
    if not isinstance(value, dict):
        if isinstance(value, BaseModel):
            return value
        raise ValueError(f"network: send an object whose network is one of {names}")
    if value.get("network") not in ChannelNetwork.__members__.values():
        raise ValueError(f"network: must be one of {names}")
    return value


ChannelIn = Annotated[
    Annotated[MastodonChannelIn | BlueskyChannelIn | XChannelIn, Field(discriminator="network")],
    BeforeValidator(_known_network),
]


class ChannelConnect(RootModel[ChannelIn]):
    """The body of "connect a channel": one of the per-network shapes, chosen by ``network``.
    (A root model, so FastAPI keeps the network check that names the field.)"""


class ChannelOut(BaseModel):
    """A channel as shown: never its credential."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    network: str = Field(description="a network socialdesk connects to (bluesky, mastodon, x), or one it cannot: "
                                     "the inbox's reviews, or an account whose figures are imported (instagram, ...)")
    display_name: str
    handle: str
    base_url: str
    account_id: str | None
    max_characters: int | None
    status: ChannelStatus
    last_error: str
    last_checked_at: datetime | None
    created_at: datetime


def credentials_of(data: MastodonChannelIn | BlueskyChannelIn | XChannelIn) -> dict[str, str]:
    """The secret part of a connect request (what goes in the vault)."""
    if isinstance(data, BlueskyChannelIn):
        return {"handle": data.handle, "app_password": data.app_password}
    if isinstance(data, XChannelIn):
        given = {name: getattr(data, name) for name in ("refresh_token", "client_id", "client_secret")}
        return {"access_token": data.access_token, **{name: value for name, value in given.items() if value}}
    return {"access_token": data.access_token}
