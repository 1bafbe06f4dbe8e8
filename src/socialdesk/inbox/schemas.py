"""Pydantic shapes of the inbox."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, computed_field

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

    @computed_field
    @property
    def due_in_seconds(self) -> int | None:
        """Seconds until the first-response target (negative once past; null when nobody waits)."""
        return _time_left(self, "due")

    @computed_field
    @property
    def breach_in_seconds(self) -> int | None:
        """Seconds until the first-response limit (negative once breached; null when nobody waits)."""
        return _time_left(self, "breach")


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    author_id: int | None
    text: str
    mentions: list[int] = []  # the teammates @-mentioned (and notified)
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
    last_report: str = ""  # what the last sync saw: new, duplicates skipped, malformed entries, cursor trouble


class BulkTriage(BaseModel):
    """Triage many conversations at once: a status, an assignee (null to unassign), tags to add or remove."""

    model_config = ConfigDict(extra="forbid")
    conversation_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=500)
    status: Status | None = None
    assignee_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    tags_add: list[Tag] = Field(default_factory=list, max_length=6)
    tags_remove: list[Tag] = Field(default_factory=list, max_length=6)


class BulkOut(BaseModel):
    updated: int
    conversations: list[ConversationOut]


class HistoryConversation(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    status: Status
    tags: list[str]
    first_item_at: datetime
    last_activity_at: datetime
    item_count: int


class AuthorHistoryOut(BaseModel):
    """A person from the public and what they said to this client before (newest first)."""

    author_remote_id: str
    handle: str
    name: str
    url: str
    followers: int | None
    conversation_count: int
    item_count: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    conversations: list[HistoryConversation]


class EventOut(BaseModel):
    """One line of a conversation's history (status, assigned, tags, replied, escalated, handed off)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    actor_id: int | None
    kind: str
    detail: str
    at: datetime


# --- response-time promises: settings and the report ---------------------------------------------


def _time_left(conversation, which: str) -> int | None:
    from socialdesk.inbox import sla  # sla imports this module

    left = sla.time_left(conversation)
    return None if left is None else getattr(left, which)


class Clock(enum.StrEnum):
    CALENDAR = "calendar"  # every hour counts
    BUSINESS = "business"  # only the client's office hours count


def _webhook_url(value: str) -> str:
    from urllib.parse import urlsplit

    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address such as https://hooks.example.com/leads "
                         "(or empty for none)")
    return value


def _email_address(value: str) -> str:
    from pydantic.networks import validate_email
    from pydantic_core import PydanticCustomError

    value = value.strip()
    if not value:
        return ""
    try:
        return validate_email(value)[1]
    except (PydanticCustomError, ValueError):
        raise ValueError("must be an e-mail address such as sales@example.com (or empty for none)") from None


WebhookUrl = Annotated[str, StringConstraints(max_length=1000), NoNul, AfterValidator(_webhook_url)]
EmailAddress = Annotated[str, StringConstraints(max_length=320), NoNul, AfterValidator(_email_address)]
MAX_PROMISE_MINUTES = 30 * 24 * 60  # a month


class InboxSettingsIn(BaseModel):
    """A client's inbox rules. Fields left out keep their value; the target may not exceed the limit."""

    model_config = ConfigDict(extra="forbid")
    target_minutes: Annotated[int, Field(ge=5, le=MAX_PROMISE_MINUTES,
                                         description="First-response target, minutes of the client's clock")] = 480
    limit_minutes: Annotated[int, Field(ge=5, le=MAX_PROMISE_MINUTES,
                                        description="First-response limit (a breach after it)")] = 1440
    clock: Clock = Clock.CALENDAR
    near_breach_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60,
                                              description="Warn the managers this long before the limit")] = 60
    auto_reply: bool = False
    auto_reply_message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] = ""
    urgent_followers: Annotated[int, Field(ge=1, le=10**9,
                                           description="A complaint from an author with this reach is urgent")] = 10_000
    lead_webhook_url: WebhookUrl = ""
    lead_email: EmailAddress = ""
    support_webhook_url: WebhookUrl = ""
    support_email: EmailAddress = ""


class InboxSettingsOut(InboxSettingsIn):
    model_config = ConfigDict(from_attributes=True)
    client_id: int
    clock_in_effect: Clock = Field(description="business only when the client also has office hours")
    clock_note: str = ""


class ResponseFigures(BaseModel):
    """First-response figures of a set of conversations (seconds of each client's clock)."""

    model_config = ConfigDict(from_attributes=True)
    conversations: int
    answered: int
    median_seconds: float | None
    p90_seconds: float | None
    breaches: int
    open_past_limit: int


class ClientResponseReport(ResponseFigures):
    client_id: int
    client_name: str
    timezone: str
    clock: Clock
    volume_by_hour: list[int] = Field(description="Incoming items per hour of day 0-23, client's time zone")


class MemberResponseReport(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    user_id: int | None
    name: str
    answered: int
    median_seconds: float | None
    p90_seconds: float | None
    breaches: int = Field(description="Conversations they answered first, after the limit")
    open_past_limit: int = Field(description="Conversations assigned to them still waiting past the limit")
    volume_by_hour: list[int] = Field(description="Their first responses per hour of day 0-23 the conversation "
                                                  "began, in its client's time zone")


class ResponseReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    start: datetime
    end: datetime
    percentile_method: str
    empty: bool
    message: str
    total: ResponseFigures
    clients: list[ClientResponseReport]
    members: list[MemberResponseReport]


# --- replies, saved replies and the brand voice check ----------------------------------------

ReplyText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000), NoNul]
RowRef = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ReplyIn(BaseModel):
    """A reply: ``text`` (or a saved reply's text when ``text`` is empty), to ``item_id`` (default: the
    newest message from someone else). ``confirm_voice`` sends despite words the brand avoids;
    ``key`` (a TID the form chose) makes a second click return the first reply instead of sending again."""

    model_config = ConfigDict(extra="forbid")
    text: ReplyText = ""
    item_id: RowRef | None = None
    saved_reply_id: RowRef | None = None
    confirm_voice: bool = False
    key: Annotated[str, StringConstraints(max_length=13)] | None = None


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    conversation_id: int
    channel_id: int
    item_id: int | None
    author_id: int | None
    text: str
    automatic: bool
    status: str  # sending | sent | failed
    remote_id: str | None
    url: str
    error: str
    created_at: datetime
    sent_at: datetime | None


class SavedReplyIn(BaseModel):
    """A saved reply; ``{name}`` and ``{handle}`` in the text become the person answered."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000), NoNul]


class SavedReplyOut(SavedReplyIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    client_id: int
    created_by_id: int | None
    created_at: datetime


class VoiceCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[str, StringConstraints(max_length=20_000), NoNul]


class FindingOut(BaseModel):
    """One departure from the brand voice; ``start``/``end`` are code point offsets into the text."""

    kind: str
    message: str
    start: int
    end: int
    blocking: bool


class VoiceCheckOut(BaseModel):
    findings: list[FindingOut]
    blocking: bool  # true: sending needs confirm_voice


class ReviewRowOut(BaseModel):
    row: int = Field(description="The spreadsheet row number (the header is row 1)")
    ok: bool
    remote_id: str = Field(description="source:id of the review (made from its content when the file has no id)")
    new: bool = Field(description="Added by this import (false: already in the inbox, or nothing was imported)")
    errors: list[dict]


class ReviewImportOut(BaseModel):
    """What a reviews import did: all or nothing; per-row errors name the row and the column."""

    ok: bool
    created: int
    duplicates: int
    total: int
    message: str
    channel_id: int | None
    rows: list[ReviewRowOut]
    errors: list[dict]
