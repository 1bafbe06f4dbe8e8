"""Reviews imported from a CSV file into the client's inbox.

Columns: ``source,author,rating,text,url,created_at,remote_id`` (``rating``, ``url`` and ``remote_id``
may be left out). ``source`` names where the review was written (e.g. Google, Yelp, Trustpilot);
``rating`` is 1 to 5 (halves allowed); ``created_at`` is a date (YYYY-MM-DD) or a date and time
(ISO 8601; without an offset it is the client's local time); ``remote_id`` is the review's id at the
source (left out: one is made from source, author, date and text, so the same review is still
recognised).

Reviews land on the client's **Reviews** channel (network ``reviews``, made on the first import):
a channel because every inbox item belongs to one, but one with no network adapter, so the sync
skips it and the channel lists of publishing never show it. Each review starts its own conversation.

As for posts (publishing/importing.py) the import is all or nothing: every row is checked first
and, if any row has an error, nothing is written and the report lists every row's errors by row
number (the header is row 1) and column. Importing the same file again adds nothing: a review is
unique per (source, remote id), and the ones already in the inbox are counted as duplicates.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.models import Channel
from socialdesk.clients import service as clients_service
from socialdesk.inbox import service as inbox_service
from socialdesk.inbox.models import InboxItem
from socialdesk.kit.csvheader import header_problems
from socialdesk.networks.base import Author, InboxEntry
from socialdesk.publishing.importing import MAX_BYTES, decode  # noqa: F401 - the same file rules as posts

NETWORK = "reviews"  # the Reviews channel's network: no adapter, nothing to sync
COLUMNS = ("source", "author", "rating", "text", "url", "created_at", "remote_id")
REQUIRED = ("source", "author", "text", "created_at")
MAX_ROWS = 5000
MAX_TEXT = 20_000
_SOURCE = re.compile(r"^[\w .&'-]{1,60}$")
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.I)


@dataclass
class ReviewRow:
    row: int  # the spreadsheet row number (the header is row 1)
    ok: bool
    remote_id: str = ""
    new: bool = False  # stored by this import (False: already in the inbox, or the import was refused)
    errors: list[dict] = field(default_factory=list)  # [{"field": column, "message": ...}]


@dataclass
class ReviewImportReport:
    ok: bool
    created: int  # reviews added to the inbox
    duplicates: int  # rows already in the inbox (or repeated in the file): skipped
    total: int  # rows in the file
    message: str
    channel_id: int | None = None
    rows: list[ReviewRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # every problem, flat: {"field": "row 3.rating", ...}

    def to_dict(self) -> dict:
        return asdict(self)


def _failed(message: str, field_name: str = "file") -> ReviewImportReport:
    return ReviewImportReport(ok=False, created=0, duplicates=0, total=0, message=message,
                              errors=[{"field": field_name, "message": message}])


def reviews_channel(*, session: Session, client_id: int, create: bool = False) -> Channel | None:
    """The client's Reviews channel (made when ``create`` and there is none)."""
    channel = session.scalar(select(Channel).where(Channel.client_id == client_id, Channel.network == NETWORK)
                             .order_by(Channel.id).limit(1))
    if channel is None and create:
        channel = Channel(client_id=client_id, network=NETWORK, display_name="Reviews", handle="reviews",
                          base_url="", status="ok")
        session.add(channel)
        session.flush()
    return channel


def _when(value: str, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, str]:
    """The review's time in UTC, or the problem with the cell."""
    if not value:
        return None, "missing; write the date the review was written, YYYY-MM-DD (or ISO 8601 with a time)"
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = datetime.combine(date.fromisoformat(value), time(12, 0))  # a day: noon, so the date stays
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, f"{value[:40]!r} is not a date YYYY-MM-DD or an ISO 8601 time such as 2025-06-01T14:30:00Z"
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
    moment = moment.astimezone(UTC)
    if moment > now + timedelta(days=1):
        return None, f"{value[:40]} is in the future; check the date"
    return moment, ""


def _rating(value: str) -> tuple[str, str]:
    if not value:
        return "", ""
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        number = -1.0
    if not 1 <= number <= 5 or number * 2 != int(number * 2):
        return "", f"{value[:20]!r} is not a rating from 1 to 5 (halves allowed, e.g. 4.5)"
    return f"{number:g}", ""


def _entry(cells: dict[str, str], zone: ZoneInfo, now: datetime) -> tuple[InboxEntry | None, list[dict]]:
    """The review of one row, or its problems by column."""
    errors: list[dict] = []

    def problem(column: str, message: str) -> None:
        errors.append({"field": column, "message": message})

    source, author, text = cells.get("source", ""), cells.get("author", ""), cells.get("text", "")
    if not source:
        problem("source", "missing; name where the review was written, e.g. Google")
    elif not _SOURCE.match(source):
        problem("source", f"{source[:60]!r} is not a source name (letters, digits, spaces, . & ' -; at most 60)")
    if not author:
        problem("author", "missing; write the reviewer's name as the source shows it")
    elif len(author) > 300:
        problem("author", "is longer than 300 characters")
    if not text:
        problem("text", "missing; a review needs its text")
    elif len(text) > MAX_TEXT:
        problem("text", f"is longer than {MAX_TEXT:,} characters")
    rating, why = _rating(cells.get("rating", ""))
    if why:
        problem("rating", why)
    url = cells.get("url", "")
    if url and (not _URL.match(url) or len(url) > 1000):
        problem("url", f"{url[:60]!r} is not a web address starting with http:// or https://")
    created, why = _when(cells.get("created_at", ""), zone, now)
    if why:
        problem("created_at", why)
    remote_id = cells.get("remote_id", "")
    if len(remote_id) > 200:
        problem("remote_id", "is longer than 200 characters")
    if errors or created is None:
        return None, errors
    if not remote_id:  # the same review gives the same id, so a re-import recognises it
        basis = "\x1f".join([source.lower(), author, created.isoformat(), " ".join(text.split())])
        remote_id = "sha256-" + hashlib.sha256(basis.encode()).hexdigest()[:32]
    key = f"{source.lower()}:{remote_id}"
    extra = {"source": source, **({"rating": rating} if rating else {})}
    return InboxEntry(remote_id=key, kind="review", author=Author(remote_id=f"{source.lower()}:{author}",
                      handle=author, display_name=author), text=text, created_at=created, url=url,
                      extra=extra), []


def import_reviews(*, session: Session, client_id: int, text: str, now: datetime | None = None) -> ReviewImportReport:
    """Add the file's reviews to the client's inbox, all or nothing (see the module doc)."""
    client = clients_service.get(session=session, client_id=client_id)
    now = now or datetime.now(UTC)
    text = text.lstrip("\ufeff")
    if not text.strip():
        return _failed("the file is empty; the first line must be the header " + ",".join(COLUMNS))
    first = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    try:
        header = next(reader)
        records: list[list[str] | None] = []
        for cells in reader:
            records.append(cells if any(c.strip() for c in cells) else None)  # a blank line keeps the numbering
            if len(records) > MAX_ROWS:
                break
    except csv.Error as exc:
        return _failed(f"the file is not valid CSV (line {reader.line_num}): {exc}")
    names = [h.strip().lower() for h in header]
    problem = header_problems(names, columns=COLUMNS, required=REQUIRED,
                              optional="rating, url and remote_id may be left out")
    if problem:
        return _failed(problem, "header")
    while records and records[-1] is None:
        records.pop()
    if len(records) > MAX_ROWS:
        return _failed(f"the file has more than {MAX_ROWS:,} rows; split it into several imports")
    if not any(records):
        return _failed("the file has a header but no reviews")
    zone = ZoneInfo(client.timezone or "UTC")
    rows: list[ReviewRow] = []
    entries: list[tuple[ReviewRow, InboxEntry]] = []
    for index, cells in enumerate(records):
        if cells is None:
            continue
        row = ReviewRow(row=index + 2, ok=False)
        rows.append(row)
        if len(cells) > len(names):
            row.errors.append({"field": "row", "message": f"has {len(cells)} cells, the header {len(names)}; "
                               "quote cells that contain the separator"})
            continue
        entry, row.errors = _entry({n: c.strip() for n, c in zip(names, cells, strict=False)}, zone, now)
        if entry is not None:
            row.ok, row.remote_id = True, entry.remote_id
            entries.append((row, entry))
    failed = [r for r in rows if not r.ok]
    if failed:
        return ReviewImportReport(
            ok=False, created=0, duplicates=0, total=len(rows),
            message=(f"nothing was imported: {len(failed)} of {len(rows)} rows have errors; "
                     "correct them and import the whole file again"),
            rows=rows, errors=[{"field": f"row {r.row}.{e['field']}", "message": e["message"]}
                               for r in failed for e in r.errors])
    channel = reviews_channel(session=session, client_id=client_id, create=True)
    known = set()
    ids = [e.remote_id for _, e in entries]
    for start in range(0, len(ids), 500):
        known |= set(session.scalars(select(InboxItem.remote_id).where(
            InboxItem.channel_id == channel.id, InboxItem.remote_id.in_(ids[start:start + 500]))))
    fresh: dict[str, InboxEntry] = {}
    for row, entry in entries:
        row.new = entry.remote_id not in known and entry.remote_id not in fresh
        if row.new:
            fresh[entry.remote_id] = entry
    created = inbox_service.ingest(session=session, channel=channel, entries=list(fresh.values()))
    duplicates = len(entries) - created
    message = f"{created} review{'s' if created != 1 else ''} imported"
    if duplicates:
        message += f", {duplicates} already in the inbox (skipped)"
    state = inbox_service.sync_state(session, channel)  # the channel shows what the last import did
    state.items_total += created
    state.last_report, state.synced_at = message, now
    session.flush()
    return ReviewImportReport(ok=True, created=created, duplicates=duplicates, total=len(rows), message=message,
                              channel_id=channel.id, rows=rows)
