"""The response-time report: per client and per member, how fast and how reliably the public got a
first answer, and when the public writes (volume by hour of day in each client's time zone).
Breaches are the conversations answered after their limit or still waiting past it.

Per member, a conversation answered late is charged to whoever answered it first (``breaches``) and
one still waiting past its limit to its assignee (``open_past_limit``): kept apart, because the first
is done and the second is still someone's to answer. A member's volume by hour counts the first
responses they gave by the hour their conversation began (its first item, the one a first response
answers) in its client's time zone, so it adds up to their ``answered``, as a client's volume counts
its incoming items.

A conversation belongs to the period in which it began (``first_item_at``); first-response times are
``first_response_seconds`` (already in the client's clock). Percentiles interpolate linearly between
the closest ranks (like PostgreSQL's ``percentile_cont`` and numpy's default), so the median of
60, 120, 180, 240 is 150 and one answer is its own median and 90th percentile.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from socialdesk.auth.models import User
from socialdesk.clients.models import Client
from socialdesk.db import utcnow
from socialdesk.inbox import sla
from socialdesk.inbox.models import Conversation, InboxItem
from socialdesk.kit.errors import InvalidInput

PERCENTILE_METHOD = "linear interpolation between closest ranks (percentile_cont)"
BUCKET = 900  # items are counted per UTC quarter hour in SQL; every time zone's offset is a multiple of it
MAX_DAYS = 400
FIRST_YEAR, LAST_YEAR = 1970, 2200  # far outside any inbox, and clear of datetime's limits


def percentile(values: Sequence[float], p: float) -> float | None:
    """The ``p`` quantile (0..1) of already sorted ``values``; None for no values."""
    if not values:
        return None
    rank = (len(values) - 1) * p
    low = math.floor(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


@dataclass
class Figures:
    conversations: int = 0
    answered: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    breaches: int = 0
    open_past_limit: int = 0

    def set_times(self, seconds: list[int]) -> None:
        seconds.sort()
        self.median_seconds, self.p90_seconds = percentile(seconds, 0.5), percentile(seconds, 0.9)


@dataclass
class ClientFigures(Figures):
    client_id: int = 0
    client_name: str = ""
    timezone: str = "UTC"
    clock: str = "calendar"
    volume_by_hour: list[int] = field(default_factory=lambda: [0] * 24)


@dataclass
class MemberFigures:
    user_id: int | None
    name: str
    answered: int = 0
    median_seconds: float | None = None
    p90_seconds: float | None = None
    breaches: int = 0  # answered first by them, after the limit
    open_past_limit: int = 0  # assigned to them and still waiting past the limit
    volume_by_hour: list[int] = field(default_factory=lambda: [0] * 24)


@dataclass
class ResponseReport:
    start: datetime
    end: datetime
    total: Figures
    clients: list[ClientFigures]
    members: list[MemberFigures]
    percentile_method: str = PERCENTILE_METHOD

    @property
    def empty(self) -> bool:
        return self.total.conversations == 0 and not any(sum(c.volume_by_hour) for c in self.clients)

    @property
    def message(self) -> str:
        if self.empty:
            return "No conversations began and nothing came in during this period."
        if self.total.answered == 0:
            return "No conversation of this period has been answered yet, so there are no response times."
        return ""


def period(start: datetime | None, end: datetime | None, *, zone: str = "UTC", now: datetime | None = None
           ) -> tuple[datetime, datetime]:
    """The period asked for: the last 30 days by default; a time without offset is in ``zone``."""
    tz = ZoneInfo(zone)

    def aware(name: str, at: datetime) -> datetime:
        if not FIRST_YEAR <= at.year <= LAST_YEAR:
            raise InvalidInput.on(name, f"must be a time between the years {FIRST_YEAR} and {LAST_YEAR}")
        return at.replace(tzinfo=tz) if at.tzinfo is None else at

    end = aware("end", end) if end is not None else (now or utcnow())
    start = aware("start", start) if start is not None else end - timedelta(days=30)
    check_period(start, end)
    return start.astimezone(UTC), end.astimezone(UTC)


def check_period(start: datetime, end: datetime) -> None:
    """Refuse an empty, reversed or overlong period, naming the field to fix."""
    if end <= start:
        raise InvalidInput.on("end", f"must be after start ({start.isoformat()})")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput.on("start", f"the period may span at most {MAX_DAYS} days; move start closer to end")


def _quarter_hour(session: Session, column):
    """The UTC quarter hour of a timestamp as an integer, in the database's own dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", column), Integer) / BUCKET
    return cast(func.floor(func.extract("epoch", column) / BUCKET), BigInteger)


def response_report(*, session: Session, client_ids: Sequence[int], start: datetime, end: datetime,
                    now: datetime | None = None) -> ResponseReport:
    """Figures for the conversations of ``client_ids`` that began in [start, end), as of ``now``."""
    check_period(start, end)
    now = now or utcnow()
    ids = sorted(set(client_ids))
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(ids)))} if ids else {}
    rows: dict[int, ClientFigures] = {}
    for cid in ids:
        if cid in clients:
            client = clients[cid]
            rules, hours = sla.settings_for(session, cid), sla.OfficeWeek.of(client)
            rows[cid] = ClientFigures(client_id=cid, client_name=client.name, timezone=client.timezone,
                                      clock=sla.clock_in_effect(rules, hours))
    in_period = (Conversation.client_id.in_(list(rows)), Conversation.first_item_at >= start,
                 Conversation.first_item_at < end)
    # A conversation still waiting past its limit is a breach whether or not the escalation ran yet.
    late = Conversation.awaiting_since.is_not(None) & (Conversation.breach_at <= now)
    counts = session.execute(
        select(Conversation.client_id, func.count(), func.count(Conversation.first_response_at),
               func.sum(case((Conversation.breached.is_(True) | late, 1), else_=0)),
               func.sum(case((late, 1), else_=0)))
        .where(*in_period).group_by(Conversation.client_id))
    total = Figures()
    for cid, n, answered, breaches, past in counts:
        row = rows[cid]
        row.conversations, row.answered, row.breaches, row.open_past_limit = n, answered, breaches or 0, past or 0
        total.conversations += row.conversations
        total.answered += row.answered
        total.breaches += row.breaches
        total.open_past_limit += row.open_past_limit
    zones = {cid: ZoneInfo(row.timezone or "UTC") for cid, row in rows.items()}
    # Percentiles need the values themselves (SQLite has no percentile function): one sorted column.
    times = session.execute(
        select(Conversation.client_id, Conversation.first_responder_id, Conversation.first_response_seconds,
               Conversation.breached, Conversation.first_item_at)
        .where(*in_period, Conversation.first_response_seconds.is_not(None))
        .order_by(Conversation.first_response_seconds))
    per_client: dict[int, list[int]] = defaultdict(list)
    per_member: dict[int | None, list[int]] = defaultdict(list)
    member_breaches: dict[int | None, int] = defaultdict(int)
    member_hours: dict[int | None, list[int]] = defaultdict(lambda: [0] * 24)
    everyone: list[int] = []
    for cid, responder, seconds, breached, began in times:
        per_client[cid].append(seconds)
        per_member[responder].append(seconds)
        member_breaches[responder] += 1 if breached else 0
        member_hours[responder][began.astimezone(zones[cid]).hour] += 1
        everyone.append(seconds)
    for cid, seconds in per_client.items():
        rows[cid].set_times(seconds)
    total.set_times(everyone)
    bucket = _quarter_hour(session, InboxItem.created_at)
    volume = session.execute(
        select(InboxItem.client_id, bucket.label("bucket"), func.count())
        .where(InboxItem.client_id.in_(list(rows)), InboxItem.created_at >= start, InboxItem.created_at < end)
        .group_by(InboxItem.client_id, bucket))
    for cid, quarter, n in volume:
        local = datetime.fromtimestamp(int(quarter) * BUCKET, UTC).astimezone(zones[cid])
        rows[cid].volume_by_hour[local.hour] += n
    # Still waiting past the limit: the assignee's to answer (unassigned ones count on the client's figures only).
    waiting = dict(session.execute(
        select(Conversation.assignee_id, func.count())
        .where(*in_period, late, Conversation.assignee_id.is_not(None)).group_by(Conversation.assignee_id)).all())
    people = [uid for uid in per_member.keys() | waiting.keys() if uid is not None]
    names = {uid: name for uid, name in session.execute(select(User.id, User.name).where(User.id.in_(people)))}
    members = []
    for uid in per_member.keys() | waiting.keys():
        seconds = per_member.get(uid, [])
        member = MemberFigures(uid, names.get(uid, "a removed person") if uid is not None else "automatic or unknown",
                               answered=len(seconds), breaches=member_breaches[uid],
                               open_past_limit=waiting.get(uid, 0), volume_by_hour=member_hours[uid])
        member.median_seconds, member.p90_seconds = percentile(seconds, 0.5), percentile(seconds, 0.9)
        members.append(member)
    members.sort(key=lambda m: (-m.answered, m.name))
    return ResponseReport(start, end, total, [rows[cid] for cid in sorted(rows, key=lambda c: rows[c].client_name)],
                          members)
