"""Pydantic shapes of listening sources: what a user configures, and a source as the API shows it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from socialdesk.kit.validation import Name, NoNul

Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]
Hashtag = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), NoNul]


class SourceKind(enum.StrEnum):
    RSS = "rss"  # an RSS or Atom feed
    MASTODON = "mastodon"  # public and hashtag timelines of one instance
    BLUESKY = "bluesky"  # the Bluesky firehose through a Jetstream server (agency-wide only)


class SourceIn(BaseModel):
    """A source to listen to; which fields count depends on ``kind`` (the others must be left out)."""

    model_config = ConfigDict(extra="forbid")
    kind: SourceKind
    name: Name | None = Field(None, description="Shown in lists; default: the address")
    url: Address | None = Field(None, description="rss: the feed's address; bluesky: the Jetstream /subscribe "
                                                  "address (default wss://jetstream2.us-east.bsky.network/subscribe)")
    instance: Address | None = Field(None, description="mastodon: the instance, e.g. https://mastodon.social")
    public: bool | None = Field(None, description="mastodon: read the public timeline (default: when no tags)")
    local: bool = Field(False, description="mastodon: only the instance's own accounts")
    tags: list[Hashtag] = Field(default_factory=list, max_length=50, description="mastodon: hashtag timelines")
    every_minutes: int | None = Field(None, ge=1, le=1440, description="Poll interval (rss default 15, mastodon 2)")
    enabled: bool = True


class SourceOut(BaseModel):
    id: int
    name: str
    kind: SourceKind
    client_id: int | None = Field(description="The client who asked for it; null: agency-wide")
    config: dict
    enabled: bool
    cursor: str | None
    last_run_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    last_report: str
    mentions_total: int
    next_attempt_at: datetime | None = Field(description="When it is polled next (after an error: the back-off)")
    failures: int = Field(description="Failed attempts in a row")
    created_at: datetime
