"""CSV exports of listening: a client's mentions with the list's filters, and each dashboard table.

Mention text, names and links come from the public. A spreadsheet runs a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return as a formula, so such text cells are prefixed with ``'``
(OWASP's advice); numbers stay numbers. Quotes, commas and line breaks are quoted by the csv module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import service as listening
from socialdesk.listening.dashboard import SENTIMENTS, Dashboard

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 100_000  # mentions per export; narrow the period or filters for more
_PAGE = 1_000

MENTION_COLUMNS = ("created_at", "source", "author_handle", "author_name", "author_followers", "text", "url",
                   "lang", "sentiment", "sentiment_score", "hashtags", "queries", "topics", "duplicate", "copies",
                   "remote_id", "id")
TABLES = ("volume", "sentiment", "share_of_voice", "authors", "authors_reach", "terms", "hashtags", "rising")


def cell(value) -> str | int | float:
    """A value safe to put in a spreadsheet cell (see the module's note)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """The CSV text, one line (row) at a time, so a large export streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(v) for v in row])
        yield buffer.getvalue()


def mention_rows(*, session: Session, client_id: int, limit: int = MAX_ROWS, **filters) -> Iterator[list]:
    """The client's mentions as rows of MENTION_COLUMNS, newest first, with ``list_mentions``' filters."""
    cursor, sent = None, 0
    while sent < limit:
        views, cursor = listening.list_mentions(session=session, client_id=client_id, cursor=cursor,
                                                limit=min(_PAGE, limit - sent), **filters)
        for v in views:
            m = v.mention
            yield [m.created_at, m.source, m.author_handle, m.author_name, m.author_followers, m.text, m.url,
                   m.lang, m.sentiment, m.sentiment_score, " ".join(f"#{t}" for t in m.hashtags or []),
                   "; ".join(q["name"] for q in v.queries), " ".join(sorted({q["topic"] for q in v.queries})),
                   v.duplicate, v.copies, m.remote_id, m.id]
        sent += len(views)
        if cursor is None or not views:
            return


def table(dash: Dashboard, name: str) -> tuple[list[str], list[list]]:
    """The header and rows of one dashboard table (one of TABLES)."""
    if name == "volume":
        topics = list(dash.volume.series)
        rows = [[start, dash.volume.total[i], *(dash.volume.series[t][i] for t in topics)]
                for i, start in enumerate(dash.volume.starts)]
        return ["bucket_start", "all", *topics], rows
    if name == "sentiment":
        header = ["topic", "mentions"] + [s.value for s in SENTIMENTS] + [f"{s.value}_percent" for s in SENTIMENTS]
        return header, [[row.topic, row.total, *(row.counts[s.value] for s in SENTIMENTS),
                         *(row.percents[s.value] for s in SENTIMENTS)] for row in dash.sentiment]
    if name == "share_of_voice":
        return ["name", "kind", "mentions", "percent"], [[v.name, v.kind, v.mentions, v.percent]
                                                         for v in dash.share_of_voice]
    if name in ("authors", "authors_reach"):
        authors = dash.authors_by_mentions if name == "authors" else dash.authors_by_reach
        return ["source", "handle", "name", "followers", "mentions"], [
            [a.source, a.handle, a.name, a.followers, a.mentions] for a in authors]
    if name in ("terms", "hashtags"):
        terms = dash.terms if name == "terms" else dash.hashtags
        return [name[:-1], "mentions"], [[("#" if name == "hashtags" else "") + t.term, t.mentions]
                                         for t in terms.terms]
    if name == "rising":
        return ["term", "last_24h", "baseline_per_day", "ratio", "new"], [
            [r.term, r.recent, r.baseline_per_day, r.ratio, r.new] for r in dash.rising.terms]
    raise InvalidInput.on("table", f"must be one of {', '.join(TABLES)}")


def filename(client_name: str, what: str, start: datetime, end: datetime) -> str:
    """A download name such as ``acme-bikes-mentions-2026-11-01-2026-11-08.csv`` (ASCII letters only)."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in client_name.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "client"
    return f"{slug}-{what}-{start.date().isoformat()}-{end.date().isoformat()}.csv"

