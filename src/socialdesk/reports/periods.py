"""Report periods: a month (2026-10), an ISO week (2026-W42) or a span of days, and what each is compared with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from socialdesk.kit.errors import InvalidInput

PERIOD_HELP = ("use YYYY-MM for a month (e.g. 2026-10), YYYY-Www for an ISO week (e.g. 2026-W42) "
               "or YYYY-MM-DD..YYYY-MM-DD for a span of days")
COMPARISONS = ("previous", "year_ago", "none")
MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)
_SPAN = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included, in the client's calendar."""

    kind: str  # month | week | custom
    start: date
    end: date

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"week {week} of {year} ({self.start.day} {self.start:%b} to {self.end.day} {self.end:%b})"
        return f"{self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _bad(text: str, why: str = "") -> InvalidInput:
    return InvalidInput.on("period", f"{text!r} is not a period{why}; {PERIOD_HELP}")


def _year(text: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _bad(text, f" (the year must be between {FIRST_YEAR} and {LAST_YEAR})")


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    following = date(year + (number == 12), number % 12 + 1, 1)
    return Period("month", first, following - timedelta(days=1))


def week(year: int, number: int) -> Period:
    first = date.fromisocalendar(year, number, 1)
    return Period("week", first, first + timedelta(days=6))


def parse(text: str) -> Period:
    """A period from its written form; a clear error naming ``period`` and the forms it takes."""
    raw = (text or "").strip()
    if found := _MONTH.match(raw):
        year, number = int(found[1]), int(found[2])
        _year(raw, year)
        if not 1 <= number <= 12:
            raise _bad(raw, " (months go from 01 to 12)")
        return month(year, number)
    if found := _WEEK.match(raw):
        year, number = int(found[1]), int(found[2])
        _year(raw, year)
        try:
            return week(year, number)
        except ValueError:
            raise _bad(raw, f" ({year} has no ISO week {number})") from None
    if found := _SPAN.match(raw):
        try:
            start, end = date.fromisoformat(found[1]), date.fromisoformat(found[2])
        except ValueError:
            raise _bad(raw, " (one of the days does not exist)") from None
        _year(raw, start.year)
        _year(raw, end.year)
        if end < start:
            raise _bad(raw, " (it ends before it starts)")
        if (end - start).days >= MAX_DAYS:
            raise _bad(raw, f" (a report covers at most {MAX_DAYS} days)")
        return Period("custom", start, end)
    raise _bad(raw)


def custom(start: date, end: date) -> Period:
    return parse(f"{start.isoformat()}..{end.isoformat()}")


def last_complete(kind: str, today: date) -> Period:
    """The last whole month or week before ``today`` (what a scheduled report covers)."""
    if kind == "week":
        this_monday = today - timedelta(days=today.weekday())
        year, number, _ = (this_monday - timedelta(days=7)).isocalendar()
        return week(year, number)
    first = today.replace(day=1) - timedelta(days=1)
    return month(first.year, first.month)


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def compared(period: Period, comparison: str) -> Period | None:
    """The period ``period`` is compared with: the one before it, the same one a year earlier, or none."""
    if comparison not in COMPARISONS:
        raise InvalidInput.on("compare", f"{comparison!r} is not a comparison; use previous, year_ago or none")
    if comparison == "none":
        return None
    if period.kind == "month":
        if comparison == "previous":
            before = period.start - timedelta(days=1)
            return month(before.year, before.month)
        return month(period.start.year - 1, period.start.month)
    if period.kind == "week":
        if comparison == "previous":
            year, number, _ = (period.start - timedelta(days=7)).isocalendar()
            return week(year, number)
        year, number, _ = period.start.isocalendar()
        try:
            return week(year - 1, number)
        except ValueError:  # week 53 in a year of 52
            return week(year - 1, 52)
    if comparison == "previous":
        return Period("custom", period.start - timedelta(days=period.days), period.start - timedelta(days=1))
    return Period("custom", _shift_year(period.start, -1), _shift_year(period.end, -1))
