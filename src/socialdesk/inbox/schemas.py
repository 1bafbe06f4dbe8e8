"""Pydantic shapes of the inbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from socialdesk.kit.validation import NoNul


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"  # waiting on the client
    DONE = "done"


class Tag(enum.StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    LEAD = "lead"
    SPAM = "spam"
    TROLL = "troll"


def tag_mask(tags) -> int:
    """The tags as bits in Tag's order (what ``Conversation.tag_mask`` keeps for filtering)."""
    order = list(Tag)
    return sum(1 << order.index(Tag(t)) for t in set(tags or []))


class Sentiment(enum.StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class ConversationPatch(BaseModel):
    """Triage: any of status, assignee (null to unassign) and tags."""

    model_config = ConfigDict(extra="forbid")
    status: Status | None = None
    assignee_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=6)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NoNul]


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    remote_id: str
    kind: str
    author_remote_id: str
    author_handle: str
    author_name: str
    author_url: str
    author_followers: int | None
    text: str
    url: str
    in_reply_to: str | None
    sentiment: str | None
    sentiment_score: float | None
    created_at: datetime


class ConversationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    channel_id: int
    network: str
    status: Status
    assignee_id: int | None
    tags: list[str]
    first_item_at: datetime
    last_activity_at: datetime
    item_count: int
    author_remote_id: str
    author_handle: str
    sentiment: str | None
    urgent: bool
    awaiting_since: datetime | None
    due_at: datetime | None
    breach_at: datetime | None
    escalation_level: int
    breached: bool
    first_response_at: datetime | None
    first_response_seconds: int | None
    latest: ItemOut | None = None


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author_id: int | None
    text: str
    at: datetime


class ConversationDetail(ConversationOut):
    items: list[ItemOut]
    notes: list[NoteOut]


class SyncStateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    channel_id: int
    cursor: str | None
    synced_at: datetime | None
    error: str
    error_at: datetime | None
    items_total: int
