"""Response-time promises: when the first answer to a conversation is due, escalation, urgency.

The clock runs from the oldest item we have not answered (``Conversation.awaiting_since``) until a
reply goes out. ``due_at`` is the client's target, ``breach_at`` its limit (defaults 8 h and 24 h),
counted in the client's clock:

* ``calendar``: every second counts.
* ``business``: only seconds inside the client's office hours count (``OfficeHoursSlot`` rows, in
  the client's time zone, DST included). A client on the business clock with no office hours at all
  is counted on the calendar clock (nothing would ever come due otherwise); the settings page and
  ``InboxSettingsOut.clock_in_effect`` say so.

Escalation (:func:`escalate_due`, every minute) moves a waiting conversation up one level per
threshold crossed, each level once per waiting period (``escalation_level`` keeps it; an answer
resets it) and always in order (a run that finds a conversation past several thresholds fires each
missing level, lowest first):

1. ``due_at`` passed (target missed): the assignee, or the client's community managers if unassigned.
2. ``near_breach_minutes`` (calendar minutes) before ``breach_at``: the client's managers.
3. ``breach_at`` passed: ``breached`` and ``urgent`` are set and the directors are told, urgent.

A level whose people are missing falls back to the next group up (community managers -> managers ->
directors), so someone is always told. A breach older than :data:`STALE_AFTER` when first seen
(history fetched by a first sync) is recorded without notifying anyone. Conversations marked done
are not escalated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from socialdesk.auth.models import User
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.inbox.models import Conversation, InboxEvent, InboxSettings
from socialdesk.inbox.schemas import InboxSettingsIn, Status, Tag
from socialdesk.kit import bulk
from socialdesk.kit.authz import AgencyRole, Role
from socialdesk.kit.errors import FieldError, InvalidInput
from socialdesk.kit.netguard import check_public_url
from socialdesk.notify import service as notify
from socialdesk.team.models import Membership

STALE_AFTER = timedelta(hours=24)  # older breaches / complaints are recorded but nobody is woken for them
LEVELS = {1: "target passed", 2: "near breach", 3: "breached"}
_MAX_DAYS = 3700  # a walk over office hours gives up after ~10 years (only zero-length openings remain)


# --- office hours and the client's clock ------------------------------------------------------


@dataclass
class OfficeWeek:
    """A client's weekly office hours in its time zone; each day's openings are cached in UTC."""

    zone: ZoneInfo
    days: tuple[tuple[tuple[time, time], ...], ...]  # index 0 = Monday
    _openings: dict[date, tuple[tuple[datetime, datetime], ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, client: Client) -> OfficeWeek:
        days: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for slot in client.office_hours:
            if 0 <= slot.weekday <= 6 and slot.end > slot.start:
                days[slot.weekday].append((slot.start, slot.end))
        return cls(ZoneInfo(client.timezone or "UTC"), tuple(tuple(sorted(d)) for d in days))

    @property
    def empty(self) -> bool:
        return not any(self.days)

    def openings(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's open spans as UTC instants, merged and in order.

        A wall time that does not exist (spring forward) or exists twice (fall back) is placed as
        zoneinfo places it, so a span across a change lasts the real time that passed.
        """
        cached = self._openings.get(day)
        if cached is not None:
            return cached
        spans = []
        for start, end in self.days[day.weekday()]:
            a = datetime.combine(day, start, tzinfo=self.zone).astimezone(UTC)
            b = datetime.combine(day, end, tzinfo=self.zone).astimezone(UTC)
            if b > a:
                spans.append((a, b))
        merged: list[tuple[datetime, datetime]] = []
        for a, b in sorted(spans):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        self._openings[day] = result = tuple(merged)
        return result

    def local_day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()


def hours_for(session: Session, client_id: int) -> OfficeWeek:
    """The client's office hours, loaded once (pass it on to every clock computation of a batch)."""
    client = session.get(Client, client_id)
    if client is None:
        return OfficeWeek(ZoneInfo("UTC"), ((),) * 7)
    return OfficeWeek.of(client)


def clock_in_effect(rules: InboxSettings, hours: OfficeWeek) -> str:
    """``business`` only when the client chose it and has office hours; otherwise ``calendar``."""
    return "business" if rules.clock == "business" and not hours.empty else "calendar"


def _week(hours: OfficeWeek | Client) -> OfficeWeek:
    return hours if isinstance(hours, OfficeWeek) else OfficeWeek.of(hours)


def business_seconds(rules: InboxSettings, hours: OfficeWeek | Client, start: datetime, end: datetime) -> int:
    """Seconds of the client's clock between ``start`` and ``end`` (every second under the calendar
    clock; only office-hours seconds under the business clock). 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    week = _week(hours)
    if clock_in_effect(rules, week) == "calendar":
        return int((end - start).total_seconds())
    total = 0.0
    day, last = week.local_day(start), week.local_day(end)
    while day <= last:
        for a, b in week.openings(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def deadline(rules: InboxSettings, start: datetime, minutes: int, *, hours: OfficeWeek | Client | None = None
             ) -> datetime:
    """When ``minutes`` of the client's clock have passed after ``start``.

    Under the business clock time outside office hours does not count: an item written on Friday
    evening under Mon-Fri 09-17 with an 8 h target is due on Monday at 17:00.
    """
    week = _week(hours) if hours is not None else None
    if week is None or clock_in_effect(rules, week) == "calendar":
        return start + timedelta(minutes=minutes)
    left = timedelta(minutes=minutes)
    day = week.local_day(start)
    for _ in range(_MAX_DAYS):
        for a, b in week.openings(day):
            if b <= start:
                continue
            lo = max(a, start)
            if b - lo >= left:
                return lo + left
            left -= b - lo
        day += timedelta(days=1)
    return start + timedelta(minutes=minutes)


class TimeLeft(NamedTuple):
    """Seconds until the target (``due``) and the limit (``breach``); negative once past."""

    due: int | None
    breach: int | None


def time_left(conversation: Conversation, now: datetime | None = None) -> TimeLeft | None:
    """How long until the conversation's target and limit; None when nobody waits for an answer.
    Real seconds until those instants (they were already placed in the client's clock)."""
    if conversation.awaiting_since is None:
        return None
    now = now or utcnow()

    def until(at: datetime | None) -> int | None:
        return None if at is None else int((at - now).total_seconds() // 1)

    return TimeLeft(until(conversation.due_at), until(conversation.breach_at))


# --- the rules -----------------------------------------------------------------------------------


def settings_for(session: Session, client_id: int) -> InboxSettings:
    """The client's inbox rules (the defaults until someone changes them)."""
    row = session.get(InboxSettings, client_id)
    if row is None:
        # Two syncs of the client's channels may be the first to ask at once: both insert, one row stays.
        bulk.insert_if_missing(session, InboxSettings, client_id=client_id)
        row = session.get(InboxSettings, client_id)
    return row


def update_settings(*, session: Session, client_id: int, data: InboxSettingsIn, allow_private_urls: bool
                    ) -> InboxSettings:
    """Change the fields given (the others keep their value); the combination is checked as a whole."""
    row = settings_for(session, client_id)
    given = data.model_dump(exclude_unset=True)
    merged = {name: getattr(row, name) for name in InboxSettingsIn.model_fields} | given
    errors: list[FieldError] = []
    if merged["target_minutes"] > merged["limit_minutes"]:
        name = "limit_minutes" if "limit_minutes" in given else "target_minutes"
        errors.append(FieldError(name, f"the target ({merged['target_minutes']} min) must not be longer than the "
                                       f"limit ({merged['limit_minutes']} min); raise limit_minutes or lower "
                                       "target_minutes"))
    if merged["near_breach_minutes"] >= merged["limit_minutes"]:
        errors.append(FieldError("near_breach_minutes", f"must be shorter than the limit ({merged['limit_minutes']} "
                                                        "min), or the warning would come before anyone wrote"))
    for name in ("lead_webhook_url", "support_webhook_url"):
        if name in given and merged[name]:
            try:
                check_public_url(merged[name], field=name, allow_private=allow_private_urls)
            except InvalidInput as exc:
                errors.extend(exc.errors)
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    for name, value in given.items():
        setattr(row, name, value.value if hasattr(value, "value") else value)
    session.flush()
    return row


def clock_note(rules: InboxSettings, hours: OfficeWeek) -> str:
    """What the clock counts, in words (the fallback of a business clock without office hours included)."""
    if rules.clock == "business" and hours.empty:
        return ("The business clock is chosen but this client has no office hours, so every hour counts "
                "(calendar clock) until office hours are set.")
    if rules.clock == "business":
        return f"Only office hours count ({hours.zone.key}); evenings, nights and days off do not."
    return "Every hour counts, day and night, weekends included."


def _masked(url: str) -> str:
    # A webhook URL often carries its secret in the path or query: people who cannot change it see the host.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…" if url else ""


def settings_view(session: Session, *, client_id: int, reveal: bool) -> dict:
    """The client's rules as shown (``InboxSettingsOut``); webhook URLs only in full when ``reveal``."""
    rules = settings_for(session, client_id)
    hours = hours_for(session, client_id)
    out = {name: getattr(rules, name) for name in InboxSettingsIn.model_fields}
    if not reveal:
        out["lead_webhook_url"], out["support_webhook_url"] = _masked(rules.lead_webhook_url), _masked(
            rules.support_webhook_url)
    return {**out, "client_id": client_id, "clock_in_effect": clock_in_effect(rules, hours),
            "clock_note": clock_note(rules, hours)}


# --- the clock -----------------------------------------------------------------------------------


def start_clock(session: Session, conversation: Conversation, *, at: datetime, rules: InboxSettings,
                hours: OfficeWeek | None = None) -> None:
    """The public wrote at ``at``: start the clock unless it already runs for an earlier item.

    ``hours``: the client's office hours, loaded once per batch (loaded here when not given).
    """
    if conversation.awaiting_since is not None and conversation.awaiting_since <= at:
        return
    if hours is None and rules.clock == "business":
        hours = hours_for(session, conversation.client_id)
    running = conversation.awaiting_since is not None
    conversation.awaiting_since = at
    conversation.due_at = deadline(rules, at, rules.target_minutes, hours=hours)
    conversation.breach_at = deadline(rules, at, rules.limit_minutes, hours=hours)
    if not running:  # an older item found later only moves the deadlines earlier; levels fired stay fired
        conversation.escalation_level = 0


def record_response(session: Session, conversation: Conversation, *, at: datetime, user_id: int | None) -> None:
    """We answered at ``at``: stop the clock; the first answer is kept for the reports (its time in
    the client's clock)."""
    if conversation.first_response_at is None:
        start = conversation.awaiting_since or conversation.first_item_at
        rules = settings_for(session, conversation.client_id)
        hours = hours_for(session, conversation.client_id)
        conversation.first_response_at = at
        conversation.first_response_seconds = business_seconds(rules, hours, start, at)
        conversation.first_responder_id = user_id
    if conversation.breach_at is not None and at > conversation.breach_at:
        conversation.breached = True
    conversation.awaiting_since = conversation.due_at = conversation.breach_at = None
    conversation.escalation_level = 0


# --- who is told ---------------------------------------------------------------------------------


def _members(session: Session, client_id: int, roles: Iterable[Role]) -> list[int]:
    return sorted(set(session.scalars(
        select(Membership.user_id).join(User, User.id == Membership.user_id)
        .where(Membership.client_id == client_id, Membership.role.in_([r.value for r in roles]),
               User.is_active.is_(True)))))


def directors(session: Session, client_id: int) -> list[int]:
    """The agency's directors (and owner), plus anyone holding the director role on the client."""
    agency = session.scalars(select(User.id).where(User.agency_role.in_([AgencyRole.OWNER, AgencyRole.DIRECTOR]),
                                                   User.is_active.is_(True)))
    return sorted(set(agency) | set(_members(session, client_id, [Role.DIRECTOR])))


def audience(session: Session, conversation: Conversation, level: int) -> list[int]:
    """Who a level tells; an empty group falls back to the next one up."""
    if level <= 1:
        if conversation.assignee_id is not None:
            active = session.scalar(select(User.id).where(User.id == conversation.assignee_id,
                                                          User.is_active.is_(True)))
            if active is not None:
                return [active]
        people = _members(session, conversation.client_id, [Role.COMMUNITY_MANAGER])
        if people:
            return people
    if level <= 2:
        people = _members(session, conversation.client_id, [Role.MANAGER])
        if people:
            return people
    return directors(session, conversation.client_id)


def _link(conversation: Conversation) -> str:
    return f"/clients/{conversation.client_id}/inbox/{conversation.id}"


def _local(at: datetime | None, zone: ZoneInfo) -> str:
    if at is None:
        return "?"
    local = at.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M} {local.tzname()}"


def _who(conversation: Conversation) -> str:
    return f"{conversation.author_handle or 'someone'} on {conversation.network.capitalize()}"


# --- urgency at ingest ---------------------------------------------------------------------------


def flag_urgent(session: Session, conversation: Conversation, *, sentiment: str | None, followers: int | None,
                rules: InboxSettings, at: datetime, now: datetime | None = None) -> bool:
    """A complaint (negative item or a conversation tagged complaint) from an author with at least
    ``urgent_followers`` followers makes the conversation urgent, once: the assignee and the client's
    community managers are told (urgent). Returns whether it became urgent now."""
    if conversation.urgent or followers is None or followers < rules.urgent_followers:
        return False
    if sentiment != "negative" and Tag.COMPLAINT.value not in (conversation.tags or []):
        return False
    now = now or utcnow()
    conversation.urgent = True
    session.flush()  # the conversation needs its id for the event and the link
    reach = f"{followers:,} followers"
    stale = now - at > STALE_AFTER
    session.add(InboxEvent(conversation_id=conversation.id, client_id=conversation.client_id, kind="urgent",
                           detail=f"complaint from an author with {reach}" + (" (old item: nobody told)" if stale
                                                                                else ""), at=now))
    if not stale:
        people = set(_members(session, conversation.client_id, [Role.COMMUNITY_MANAGER]))
        if conversation.assignee_id is not None:
            people.add(conversation.assignee_id)
        notify.send(session, people or audience(session, conversation, 2), client_id=conversation.client_id,
                    kind="inbox_urgent", message=f"Urgent: a complaint from {_who(conversation)} ({reach})",
                    link=_link(conversation), urgent=True)
    session.flush()
    return True


# --- escalation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """One level fired on one conversation: who was told (nobody when ``silent``)."""

    conversation_id: int
    client_id: int
    level: int
    notified: tuple[int, ...]
    silent: bool = False


def _level_due(conversation: Conversation, near: timedelta, now: datetime) -> int:
    if conversation.breach_at is not None and now >= conversation.breach_at:
        return 3
    if conversation.breach_at is not None and now >= conversation.breach_at - near:
        return 2
    if conversation.due_at is not None and now >= conversation.due_at:
        return 1
    return 0


def escalate_due(session: Session, *, now: datetime | None = None) -> list[Escalation]:
    """Fire every escalation level that has come due (see the module docstring); returns what it did.
    Safe to run from several workers at once: a level is claimed with a conditional UPDATE."""
    now = now or utcnow()
    default_near = InboxSettings.__table__.c.near_breach_minutes.default.arg
    widest = max(session.scalar(select(func.max(InboxSettings.near_breach_minutes))) or 0, default_near)
    candidates: Sequence[Conversation] = session.scalars(
        select(Conversation).where(
            Conversation.awaiting_since.is_not(None), Conversation.escalation_level < 3,
            Conversation.status != Status.DONE.value,
            (Conversation.due_at <= now) | (Conversation.breach_at <= now + timedelta(minutes=widest)))
        .order_by(Conversation.breach_at, Conversation.id)).all()
    rules_of: dict[int, InboxSettings] = {}
    zones: dict[int, ZoneInfo] = {}
    done: list[Escalation] = []
    for conversation in candidates:
        cid = conversation.client_id
        if cid not in rules_of:
            rules_of[cid] = settings_for(session, cid)
            zones[cid] = hours_for(session, cid).zone
        old = conversation.escalation_level or 0
        new = _level_due(conversation, timedelta(minutes=rules_of[cid].near_breach_minutes), now)
        if new <= old:
            continue
        values = {"escalation_level": new}
        if new == 3:
            values |= {"breached": True, "urgent": True}
        claimed = session.execute(update(Conversation).where(Conversation.id == conversation.id,
                                                             Conversation.escalation_level == old)
                                  .values(**values).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue  # another worker took it
        for name, value in values.items():
            set_committed_value(conversation, name, value)
        silent = new == 3 and now - conversation.breach_at > STALE_AFTER
        for level in range(old + 1, new + 1):
            done.append(_fire(session, conversation, level, zones[cid], silent=silent, now=now))
    session.flush()
    return done


def _fire(session: Session, conversation: Conversation, level: int, zone: ZoneInfo, *, silent: bool,
          now: datetime) -> Escalation:
    people = [] if silent else audience(session, conversation, level)
    who = _who(conversation)
    if level == 1:
        kind, message = "inbox_due", (f"Reply due: {who} has waited since {_local(conversation.awaiting_since, zone)}; "
                                      f"the limit is {_local(conversation.breach_at, zone)}")
    elif level == 2:
        kind, message = "inbox_near_breach", (f"Near breach: {who} must be answered before "
                                              f"{_local(conversation.breach_at, zone)}")
    else:
        kind, message = "inbox_breach", (f"Breach: {who} was not answered by the limit "
                                         f"({_local(conversation.breach_at, zone)})")
    if people:
        notify.send(session, people, client_id=conversation.client_id, kind=kind, message=message,
                    link=_link(conversation), urgent=level == 3)
    names = ", ".join(session.scalars(select(User.name).where(User.id.in_(people)).order_by(User.name))) or "nobody"
    detail = f"level {level} ({LEVELS[level]}): " + ("old breach recorded, nobody told" if silent else f"told {names}")
    session.add(InboxEvent(conversation_id=conversation.id, client_id=conversation.client_id,
                           kind="breached" if level == 3 else "escalated", detail=detail, at=now))
    return Escalation(conversation.id, conversation.client_id, level, tuple(people), silent)
