"""Import mentions from a CSV or JSONL file into one client's listening.

Columns (the CSV header, or the keys of each JSONL object): ``text`` and ``created_at`` are required, with
``remote_id`` or ``url`` (the URL stands for the id when there is none); ``source`` (default ``import``),
``author_handle``, ``author_name``, ``author_followers``, ``lang``, ``hashtags`` and ``mentions`` may be
given. ``created_at`` is ISO 8601 (``2026-11-02T09:00:00Z``; without an offset it is taken as UTC) or Unix
seconds; ``hashtags`` and ``mentions`` are a JSON list or words separated by spaces, commas or ``;``.

Rows go through :func:`socialdesk.listening.service.ingest` restricted to this client's enabled queries
(another client never gets matches from someone else's import); a row matching none of them is reported
and not stored. Good rows are imported even when others have errors: each error names its row and
column, and since exact repeats are skipped, importing the corrected file again adds only what was missing.
Row numbers are what a spreadsheet shows for CSV (the header is row 1) and the line number for JSONL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import language
from socialdesk.listening import service
from socialdesk.listening.service import IncomingMention

COLUMNS = ("remote_id", "text", "created_at", "source", "url", "author_handle", "author_name", "author_followers",
           "lang", "hashtags", "mentions")
REQUIRED = ("text", "created_at")
MAX_BYTES = 10 * 1024 * 1024  # through the API; the command line reads any size
CHUNK = 1000  # rows per ingest call (and per commit from the command line)
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class RowResult:
    row: int
    outcome: str  # stored | duplicate | repeat | unmatched | rejected
    errors: list[dict] = field(default_factory=list)  # [{"column": ..., "message": ...}]


@dataclass
class ImportReport:
    ok: bool  # no row had an error
    total: int = 0
    stored: int = 0
    duplicates: int = 0  # of the stored: near duplicates of mentions the client already has
    repeats: int = 0
    unmatched: int = 0
    rejected: int = 0
    message: str = ""
    rows: list[RowResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # every problem flat: {"row", "column", "message"}

    def to_dict(self) -> dict:
        return asdict(self)

    def summarize(self) -> None:
        self.ok = not self.errors
        self.message = (f"{self.stored} of {self.total} rows stored ({self.duplicates} near duplicates), "
                        f"{self.repeats} already stored, {self.unmatched} matched none of the client's queries, "
                        f"{self.rejected} with errors")


def decode(raw: bytes) -> str:
    """The file's text (UTF-8, with or without a byte order mark), or InvalidInput on ``file``."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.on("file", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def detect_format(text: str, filename: str = "") -> str:
    """``jsonl`` or ``csv``: by the file's extension, else by its first character."""
    name = filename.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if text.lstrip()[:1] == "{" else "csv"


# --- reading rows ------------------------------------------------------------------------------


Record = dict | None  # None: a blank line (kept so row numbers stay right)


def csv_records(text: str) -> tuple[list[dict], Iterator[tuple[int, Record]]]:
    """Header problems (row 1, per column) and the rows as dicts keyed by column name."""
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if first.count("\t") > first.count(",") else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        return [{"row": 1, "column": "header", "message": "the file is empty; the first line must name the columns: "
                 + ",".join(COLUMNS)}], iter(())
    problems = [{"row": 1, "column": h or f"column {i + 1}", "message": "unknown column; use "
                 + ", ".join(COLUMNS)} for i, h in enumerate(header) if h not in COLUMNS]
    problems += [{"row": 1, "column": h, "message": "this column is repeated"}
                 for h in sorted({h for h in header if h and header.count(h) > 1})]
    problems += [{"row": 1, "column": c, "message": "missing column (required)"} for c in REQUIRED if c not in header]
    if "remote_id" not in header and "url" not in header:
        problems.append({"row": 1, "column": "remote_id", "message": "missing column: give remote_id or url"})

    def rows() -> Iterator[tuple[int, Record]]:
        number = 1
        try:
            for number, cells in enumerate(reader, 2):
                if not any(c.strip() for c in cells):
                    yield number, None
                    continue
                if len(cells) != len(header):
                    yield number, {"__error__": ("row", f"has {len(cells)} cells, the header {len(header)}; "
                                                        "quote cells that contain the separator")}
                    continue
                yield number, dict(zip(header, cells, strict=True))
        except csv.Error as exc:
            yield number + 1, {"__error__": ("row", f"is not valid CSV: {exc}")}

    return problems, rows()


def jsonl_records(text: str) -> Iterator[tuple[int, Record]]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            yield number, None
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            yield number, {"__error__": ("line", f"is not JSON ({exc.msg} at character {exc.pos + 1})")}
            continue
        if not isinstance(value, dict):
            yield number, {"__error__": ("line", "must be one JSON object per line, like {\"text\": ...}")}
            continue
        unknown = [k for k in value if k not in COLUMNS]
        if unknown:
            yield number, {"__error__": (str(unknown[0])[:100], "unknown field; use " + ", ".join(COLUMNS))}
            continue
        yield number, value


# --- one row -----------------------------------------------------------------------------------


def _text(record: dict, name: str, errors: list[dict], limit: int | None = None) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append({"column": name, "message": "must be text"})
        return ""
    value = str(value).strip()
    if limit is not None and len(value) > limit:
        errors.append({"column": name, "message": f"is longer than {limit} characters"})
    return value


def _when(raw, errors: list[dict]) -> datetime | None:
    seconds = isinstance(raw, int | float) and not isinstance(raw, bool)
    if seconds or (isinstance(raw, str) and re.fullmatch(r"\d{9,11}(\.\d+)?", raw.strip())):
        try:
            return datetime.fromtimestamp(float(raw), UTC)
        except (OverflowError, ValueError, OSError):
            pass
    elif isinstance(raw, str) and raw.strip():
        try:
            when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace("z", "+00:00"))
            return when.replace(tzinfo=UTC) if when.tzinfo is None else when
        except ValueError:
            pass
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors.append({"column": "created_at", "message": "missing (required): when the post was written"})
    else:
        errors.append({"column": "created_at", "message": f"{str(raw)[:40]!r} is not a date and time like "
                                                          "2026-11-02T09:00:00Z or Unix seconds"})
    return None


def _words(raw, name: str, errors: list[dict]) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    if isinstance(raw, str):
        return tuple(w.lstrip("#") if name == "hashtags" else w for w in _SPLIT.split(raw.strip()) if w)[:50]
    if isinstance(raw, list) and all(isinstance(w, str) for w in raw):
        return tuple(w.strip().lstrip("#") if name == "hashtags" else w.strip() for w in raw if w.strip())[:50]
    errors.append({"column": name, "message": "must be a list of words or words separated by spaces or commas"})
    return ()


def to_incoming(record: dict) -> tuple[IncomingMention | None, list[dict]]:
    """The post of one row, or the row's errors (each naming its column)."""
    if "__error__" in record:
        column, message = record["__error__"]
        return None, [{"column": column, "message": message}]
    errors: list[dict] = []
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append({"column": "text", "message": "must be text" if text not in (None, "") else "missing (required)"})
        text = ""
    url = _text(record, "url", errors, 1000)
    remote_id = _text(record, "remote_id", errors, 300) or url
    if not remote_id:
        errors.append({"column": "remote_id", "message": "missing: give the post's id in its source, or its url"})
    when = _when(record.get("created_at"), errors)
    followers = record.get("author_followers")
    if isinstance(followers, str):
        followers = followers.strip().replace(",", "").replace("_", "")
        followers = int(followers) if followers.isdigit() else (None if not followers else followers)
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)
                                  or not 0 <= followers < 2**31):
        errors.append({"column": "author_followers", "message": "must be a whole number from 0, or empty"})
        followers = None
    raw_lang = _text(record, "lang", errors)
    lang = language.clean_tag(raw_lang)
    if raw_lang and lang is None:
        errors.append({"column": "lang", "message": f"{raw_lang[:20]!r} is not a language tag like en or pt-BR"})
    source = _text(record, "source", errors, 40).lower() or "import"
    incoming = IncomingMention(
        remote_id=remote_id, text=text, created_at=when or datetime.now(UTC), source=source, url=url,
        author_handle=_text(record, "author_handle", errors, 320), author_name=_text(record, "author_name", errors, 300),
        author_followers=followers, lang=lang, hashtags=_words(record.get("hashtags"), "hashtags", errors),
        mentions=_words(record.get("mentions"), "mentions", errors))
    return (None, errors) if errors else (incoming, [])


# --- the import --------------------------------------------------------------------------------


def import_text(*, session: Session, client_id: int, text: str, filename: str = "", chunk: int = CHUNK,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import every good row of the file (see the module doc); ``progress(rows done)`` after each chunk."""
    report = ImportReport(ok=False)
    if detect_format(text, filename) == "jsonl":
        records: Iterator[tuple[int, Record]] = jsonl_records(text)
    else:
        problems, records = csv_records(text)
        if problems:
            report.errors = problems
            report.message = "nothing was imported: the header is wrong (" + "; ".join(
                f"{p['column']}: {p['message']}" for p in problems) + ")"
            return report
    batch: list[tuple[int, IncomingMention]] = []
    done = 0

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        service.hold_whole_store(session)  # the file may be one transaction of many batches
        result = service.ingest(session=session, source="import", posts=[p for _, p in batch], client_ids=[client_id])
        reasons = iter(result.rejected)
        for (number, _), outcome in zip(batch, result.outcomes, strict=True):
            row = RowResult(number, outcome)
            if outcome == service.REJECTED:  # import checks came first: only what ingest alone knows
                reason = next(reasons).split(": ", 1)[-1]
                row.errors.append({"column": reason.split(" ", 1)[0], "message": reason})
            _count(report, row)
        done += len(batch)
        batch.clear()
        if progress is not None:
            progress(done)

    for number, record in records:
        if record is None:
            continue
        incoming, errors = to_incoming(record)
        if incoming is None:
            _count(report, RowResult(number, service.REJECTED, errors))
            done += 1
            continue
        batch.append((number, incoming))
        if len(batch) >= chunk:
            flush()
    flush()
    report.rows.sort(key=lambda r: r.row)
    report.errors.sort(key=lambda e: e["row"])
    if not report.rows:
        report.errors.append({"row": 1 if not text.strip() else 2, "column": "file",
                              "message": "has no rows to import"})
    report.summarize()
    return report


def _count(report: ImportReport, row: RowResult) -> None:
    report.rows.append(row)
    report.total += 1
    if row.outcome in (service.STORED, service.DUPLICATE):
        report.stored += 1
        report.duplicates += row.outcome == service.DUPLICATE
    elif row.outcome == service.REPEAT:
        report.repeats += 1
    elif row.outcome == service.UNMATCHED:
        report.unmatched += 1
    else:
        report.rejected += 1
        report.errors += [{"row": row.row, **e} for e in row.errors]


def count_rows(text: str, filename: str = "") -> int:
    """Rows a progress bar can expect (lines, less the CSV header)."""
    lines = sum(1 for line in text.splitlines() if line.strip())
    return lines if detect_format(text, filename) == "jsonl" else max(lines - 1, 0)
