"""Bulk import of posts from a CSV file.

Columns: ``date,time,channels,text,link,campaign`` (``link`` and ``campaign`` may be left out).
``date`` is YYYY-MM-DD and ``time`` HH:MM in the client's time zone (both empty: an unscheduled
draft); ``channels`` names the client's channels by name, handle or network, separated by ``;``
or ``|`` (a network names every channel of that network); ``campaign`` is a campaign's name.

Every row goes through the same service function as the composer (:func:`service.create_post`),
so a row is refused for exactly the reasons a post written by hand would be. The import is all or
nothing: each row runs in its own savepoint so every row is checked, and if any row fails the
whole import is rolled back and the report lists every row's errors.

Row numbers are those a spreadsheet shows: the header is row 1, the first post row 2.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.models import Channel
from socialdesk.kit.authz import Principal
from socialdesk.kit.csvheader import header_problems
from socialdesk.kit.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound, validate
from socialdesk.publishing import service
from socialdesk.publishing.models import IMPORTED
from socialdesk.publishing.schemas import PostIn

COLUMNS = ("date", "time", "channels", "text", "link", "campaign")
REQUIRED = ("date", "time", "channels", "text")
MAX_ROWS = 5000
MAX_BYTES = 10 * 1024 * 1024
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# Service field names as the file's columns call them.
FIELD_TO_COLUMN = {"scheduled_at": "date", "channel_ids": "channels", "campaign_id": "campaign",
                   "first_comment": "text", "title": "text", "input": "text"}


@dataclass
class RowResult:
    row: int  # the spreadsheet row number (the header is row 1)
    ok: bool
    post_id: int | None = None  # set when the post was created (never when the import was rolled back)
    errors: list[dict] = field(default_factory=list)  # [{"field": ..., "message": ...}]

    def messages(self) -> list[str]:
        return [f"row {self.row}, {e['field']}: {e['message']}" for e in self.errors]


@dataclass
class ImportReport:
    ok: bool  # every row was valid and the posts were created
    created: int
    total: int  # rows in the file
    message: str
    rows: list[RowResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # every problem, the file's and the rows', flat

    def to_dict(self) -> dict:
        return asdict(self)


def _failed(message: str, field_name: str = "file") -> ImportReport:
    return ImportReport(ok=False, created=0, total=0, message=message,
                        errors=[{"field": field_name, "message": message}])


def decode(raw: bytes) -> str:
    """The file's text (UTF-8, with or without a byte order mark), or InvalidInput."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput.on("file", f"is larger than {MAX_BYTES // 2**20} MB; split it into several imports")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.on("file", "is not UTF-8 text; save it as “CSV UTF-8” and try again") from None


def _dialect(header_line: str) -> str:
    """``;`` when the header is separated by semicolons (spreadsheets in many locales), else ``,``."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


class _Lookup:
    """The client's channels and campaigns, by the names a file may use."""

    def __init__(self, session: Session, client_id: int):
        self.channels: list[Channel] = channels_service.list_for(session=session, client_id=client_id)
        self.campaigns = {c.name.strip().lower(): c for c in service.list_campaigns(session=session,
                                                                                     client_id=client_id)}

    def channel_ids(self, cell: str) -> tuple[list[int], list[str]]:
        ids: list[int] = []
        problems: list[str] = []
        for name in (n.strip() for n in re.split(r"[;|]", cell)):
            if not name:
                continue
            key = name.lower().removeprefix("@")
            found = [c for c in self.channels if key in {(c.display_name or "").strip().lower(),
                                                         (c.handle or "").strip().lower().removeprefix("@")}]
            found = found or [c for c in self.channels if c.network == key]
            if not found:
                known = ", ".join(sorted({c.display_name or c.handle or c.network for c in self.channels})) or "none"
                problems.append(f"no channel named {name!r} for this client (its channels: {known})")
            ids.extend(c.id for c in found if c.id not in ids)
        if not ids and not problems:
            problems.append("name at least one of the client's channels")
        return ids, problems


def _cell(record: dict, name: str) -> str:
    value = record.get(name)
    return value.strip() if isinstance(value, str) else ""


def _row_input(record: dict, lookup: _Lookup) -> tuple[dict, list[FieldError]]:
    """The PostIn fields of one row, and the problems found before the service sees it."""
    errors: list[FieldError] = []
    raw_date, raw_time = _cell(record, "date"), _cell(record, "time")
    when = None
    day = moment = None
    if raw_date or raw_time:
        if not DATE.match(raw_date):
            errors.append(FieldError("date", f"{raw_date!r} is not a date YYYY-MM-DD" if raw_date
                                     else "missing (a time needs a date; leave both empty for a draft)"))
        else:
            try:
                day = date.fromisoformat(raw_date)
            except ValueError:
                errors.append(FieldError("date", f"{raw_date} is not a date YYYY-MM-DD"))
        match = TIME.match(raw_time)
        if not raw_time:
            errors.append(FieldError("time", "missing (a date needs a time HH:MM; leave both empty for a draft)"))
        elif not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            errors.append(FieldError("time", f"{raw_time} is not a time HH:MM"))
        else:
            moment = time(int(match.group(1)), int(match.group(2)))
        if day and moment:
            when = datetime.combine(day, moment)  # no offset: the client's local time
    channel_ids, problems = lookup.channel_ids(_cell(record, "channels"))
    errors += [FieldError("channels", p) for p in problems]
    campaign_id = None
    campaign = _cell(record, "campaign")
    if campaign:
        found = lookup.campaigns.get(campaign.lower())
        if found is None:
            errors.append(FieldError("campaign", f"no campaign named {campaign!r} for this client"))
        else:
            campaign_id = found.id
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    data = {"text": text.strip(), "channel_ids": channel_ids, "link": _cell(record, "link") or None,
            "campaign_id": campaign_id, "scheduled_at": when}
    return data, errors


def _column_errors(exc: DomainError) -> list[FieldError]:
    found = exc.errors or [FieldError("text", exc.message)]
    out = []
    for err in found:
        head = (err.field or "text").split(".")[0]
        out.append(FieldError(FIELD_TO_COLUMN.get(head, head), err.message))
    return out


def import_csv(session: Session, principal: Principal, client_id: int, text: str,
               now: datetime | None = None) -> ImportReport:
    """Create one post per row of ``text`` (CSV) for the client, all or nothing. See the module doc."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return _failed("the file is empty; the first line must be the header " + ",".join(COLUMNS))
    first_line = text.splitlines()[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(first_line))
    try:
        header = next(reader)
        records = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                records.append(None)  # a blank line keeps the row numbering
                continue
            records.append(cells)
            if len(records) > MAX_ROWS:
                break
    except csv.Error as exc:
        return _failed(f"the file is not valid CSV (line {reader.line_num}): {exc}")
    problem = header_problems(header, columns=COLUMNS, required=REQUIRED,
                              optional="link and campaign may be left out")
    if problem:
        return _failed(problem, "header")
    while records and records[-1] is None:
        records.pop()
    if len(records) > MAX_ROWS:
        return _failed(f"the file has more than {MAX_ROWS:,} rows; split it into several imports")
    if not any(records):
        return _failed("the file has a header but no posts")
    names = [h.strip().lower() for h in header]
    lookup = _Lookup(session, client_id)
    results: list[RowResult] = []
    outer = session.begin_nested()
    for index, cells in enumerate(records):
        number = index + 2
        if cells is None:
            continue
        if len(cells) > len(names):
            results.append(RowResult(number, False, errors=[{"field": "row", "message":
                           f"has {len(cells)} cells, the header {len(names)}; quote cells that contain the separator"}]))
            continue
        record = dict(zip(names, cells, strict=False))
        data, errors = _row_input(record, lookup)
        if not errors:
            try:
                with session.begin_nested():
                    post = service.create_post(session=session, principal=principal, client_id=client_id,
                                               data=validate(PostIn, data), now=now, origin=IMPORTED)
                results.append(RowResult(number, True, post_id=post.id))
                continue
            except (InvalidInput, Conflict, NotFound) as exc:
                errors = _column_errors(exc)
        results.append(RowResult(number, False, errors=[{"field": e.field, "message": e.message} for e in errors]))
    failed = [r for r in results if not r.ok]
    if failed:
        outer.rollback()
        for result in results:
            result.post_id = None
        message = (f"nothing was imported: {len(failed)} of {len(results)} rows have errors; "
                   "correct them and import the whole file again")
        flat = [{"field": f"row {r.row}.{e['field']}", "message": e["message"]} for r in failed for e in r.errors]
        return ImportReport(ok=False, created=0, total=len(results), message=message, rows=results, errors=flat)
    outer.commit()
    return ImportReport(ok=True, created=len(results), total=len(results),
                        message=f"{len(results)} post{'s' if len(results) != 1 else ''} imported", rows=results)
