"""What one inbox sync saw, in words for the channel page: new items, duplicates skipped, entries
the network sent that could not be read, a cursor that went backwards, a page sent twice.

A network may answer garbage, repeat itself or page out of order; the sync loses nothing because
of it (nothing is stored twice, the newer cursor is kept) and this report says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from socialdesk.networks.base import Author, InboxEntry

KINDS = frozenset({"mention", "reply", "quote", "dm", "review"})
MAX_LISTED = 5  # malformed entries named one by one in the report; the rest are counted


@dataclass
class SyncReport:
    pages: int = 0
    fetched: int = 0  # readable entries the network sent
    new: int = 0
    malformed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.fetched - self.new

    def text(self) -> str:
        """One paragraph: counts first, then what went wrong (empty parts left out)."""
        parts = [f"{self.pages} page{'s' if self.pages != 1 else ''} read", f"{self.new} new"]
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''} skipped")
        if self.malformed:
            listed = "; ".join(self.malformed[:MAX_LISTED])
            more = f"; and {len(self.malformed) - MAX_LISTED} more" if len(self.malformed) > MAX_LISTED else ""
            count = len(self.malformed)
            parts.append(f"{count} malformed entr{'ies' if count != 1 else 'y'} skipped ({listed}{more})")
        return ", ".join(parts) + "".join(f". {n[0].upper()}{n[1:]}" for n in self.notes) + "."


def readable(entries, report: SyncReport) -> list[InboxEntry]:
    """The entries that can be stored; the others are named in ``report.malformed``. An adapter
    already skips what it cannot read; this catches what slips through (no id, no date, no kind)."""
    good = []
    for position, entry in enumerate(entries):
        label = f"entry {position + 1}"
        if not isinstance(entry, InboxEntry):
            report.malformed.append(f"{label}: not an inbox entry ({type(entry).__name__})")
            continue
        remote_id = entry.remote_id.strip() if isinstance(entry.remote_id, str) else ""
        if not remote_id:
            report.malformed.append(f"{label}: no id")
            continue
        if not isinstance(entry.created_at, datetime):
            report.malformed.append(f"{remote_id[:80]}: no readable date")
            continue
        if not isinstance(entry.author, Author):
            report.malformed.append(f"{remote_id[:80]}: no author")
            continue
        if entry.kind not in KINDS:
            report.malformed.append(f"{remote_id[:80]}: unknown kind {str(entry.kind)[:20]!r}")
            continue
        if entry.created_at.tzinfo is None:  # a naive time from an adapter is UTC (what the networks send)
            entry = replace(entry, created_at=entry.created_at.replace(tzinfo=UTC))
        good.append(entry)
    return good
