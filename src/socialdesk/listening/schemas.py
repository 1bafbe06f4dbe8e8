"""Pydantic shapes of listening: queries in and out, the syntax check, mentions as a client sees them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from socialdesk.kit.validation import Name, NoNul
from socialdesk.listening.query import MAX_QUERY_CHARS


class Topic(enum.StrEnum):
    BRAND = "brand"
    COMPETITOR = "competitor"
    CAMPAIGN = "campaign"
    INDUSTRY = "industry"


class Sentiment(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


# Longer than the parser's limit, so a too-long query is refused by the parser with its position.
QueryText = Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS + 1000), NoNul]


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    topic: Topic
    text: QueryText = Field(description="The boolean query, e.g. `(acme OR \"acme phone\") NOT lang:de NOT job*`")
    enabled: bool = True


class QueryPatch(BaseModel):
    """Any of the fields; ``enabled: false`` stops matching without losing the query or its mentions."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    topic: Topic | None = None
    text: QueryText | None = None
    enabled: bool | None = None


class QueryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    name: str
    topic: Topic
    text: str
    enabled: bool
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class QueryCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: QueryText


class QueryCheckOut(BaseModel):
    ok: bool
    parsed: str | None = Field(None, description="The query as understood, fully parenthesised")
    error: str | None = None
    position: int | None = Field(None, description="0-based character position of the problem")
    caret: str | None = Field(None, description="The query line and a ^ under the problem")


class MatchedQuery(BaseModel):
    id: int
    name: str
    topic: Topic


class MentionOut(BaseModel):
    id: int
    source: str
    remote_id: str
    url: str
    author_handle: str
    author_name: str
    author_followers: int | None
    text: str
    text_length: int
    clipped: bool
    lang: str | None
    lang_detected: bool
    sentiment: Sentiment
    sentiment_score: float
    hashtags: list[str]
    created_at: datetime
    ingested_at: datetime
    queries: list[MatchedQuery] = Field(description="This client's queries the mention matched")
    duplicate: bool = Field(description="A near duplicate of an earlier mention of this client (hidden by default)")
    copies: int = Field(description="On a group's first mention: the near duplicates of it seen since")


class MentionPage(BaseModel):
    mentions: list[MentionOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next (older) page")
