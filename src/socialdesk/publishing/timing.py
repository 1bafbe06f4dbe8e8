"""Times a person types (in a client's zone) turned into instants, and the post markers.

A local time that does not exist (02:30 on a spring-forward day) or exists twice (01:30 on a
fall-back day) is resolved explicitly and the resolution is said in words, so the calendar can
show it rather than silently move the post.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Resolved:
    at: datetime  # UTC
    note: str  # empty when the local time was unambiguous


def resolve_local(local: datetime, zone: str) -> Resolved:
    """The instant a wall-clock time in ``zone`` means.

    Gap (the clocks jump over it): the time the same number of minutes after the jump, e.g. 02:30
    becomes 03:30. Overlap (the hour happens twice): the first occurrence (summer time).
    """
    tz = ZoneInfo(zone)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    when = f"{naive:%H:%M} on {naive:%Y-%m-%d} in {zone}"
    # A wall time exists when converting to UTC and back gives it again.
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:  # in a gap: fold=0 uses the offset before the jump
        moved = (first.astimezone(UTC)).astimezone(tz)
        return Resolved(
            moved.astimezone(UTC),
            f"{when} does not exist (the clocks jump forward); scheduled at {moved:%H:%M} {moved.tzname()} instead",
        )
    if first.utcoffset() != second.utcoffset():
        return Resolved(
            first.astimezone(UTC),
            f"{when} happens twice (the clocks go back); scheduled at the first one, {first:%H:%M} {first.tzname()}",
        )
    return Resolved(first.astimezone(UTC), "")


def to_local(at: datetime, zone: str) -> datetime:
    return at.astimezone(ZoneInfo(zone))


def new_marker(now: datetime | None = None) -> str:
    """A fresh atproto TID: 53 bits of microseconds since the epoch and 10 random bits, as 13
    base32-sortable characters. Unique per post target, stable across its retries; valid as a
    Bluesky record key, a Mastodon Idempotency-Key and a lookup marker."""
    micros = int((now.timestamp() if now else time.time()) * 1_000_000)
    return _tid(((micros & ((1 << 53) - 1)) << 10) | secrets.randbits(10))


def _tid_value(tid: str) -> int:
    value = 0
    for char in tid:
        value = value * 32 + B32_SORTABLE.index(char)
    return value


def _tid(value: int) -> str:
    chars = []
    for _ in range(13):
        chars.append(B32_SORTABLE[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def sibling_marker(marker: str) -> str:
    """A second marker derived from ``marker`` (the post's first comment): the next TID."""
    return _tid((_tid_value(marker) + 1) & ((1 << 63) - 1))


def backoff(attempts: int, *, base: float = 5.0, cap: float = 900.0) -> timedelta:
    """Exponential back-off with jitter: ~5 s, 10 s, 20 s ... at most 15 min."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return timedelta(seconds=delay * (0.75 + secrets.randbelow(500) / 1000))
