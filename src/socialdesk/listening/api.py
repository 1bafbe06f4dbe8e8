"""JSON routes of listening: a client's queries, the syntax check, its mentions, and file imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import importing
from socialdesk.listening import service as listening
from socialdesk.listening.permissions import LISTENING_CHECK, LISTENING_IMPORT, LISTENING_MANAGE, LISTENING_VIEW
from socialdesk.listening.query import QuerySyntaxError, caret, parse
from socialdesk.listening.schemas import (
    MentionOut,
    MentionPage,
    QueryCheckIn,
    QueryCheckOut,
    QueryIn,
    QueryOut,
    QueryPatch,
    Sentiment,
    Topic,
)
from socialdesk.web.deps import RowId, get_db, require

router = APIRouter(prefix="/api/clients/{client_id}/listening", tags=["listening"])
DB = Annotated[Session, Depends(get_db)]


@router.get("/queries", response_model=list[QueryOut])
def list_queries(client_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_VIEW))):
    clients_service.get(session=session, client_id=client_id)
    return listening.list_queries(session=session, client_id=client_id)


@router.post("/queries", response_model=QueryOut, status_code=201)
def create_query(client_id: RowId, data: QueryIn, session: DB,
                 principal: Principal = Depends(require(LISTENING_MANAGE))):
    """Add a query; a syntax error answers 422 on ``text`` with the position of the problem."""
    clients_service.get(session=session, client_id=client_id)
    return listening.create_query(session=session, client_id=client_id, data=data, user_id=principal.user_id)


@router.post("/queries/check", response_model=QueryCheckOut)
def check_query(client_id: RowId, data: QueryCheckIn, session: DB, _: Principal = Depends(require(LISTENING_CHECK))):
    """Parse a query without storing it: how it is understood, or where and why it is wrong."""
    clients_service.get(session=session, client_id=client_id)
    try:
        node = parse(data.text)
    except QuerySyntaxError as exc:
        return QueryCheckOut(ok=False, error=exc.reason, position=exc.position, caret=caret(data.text, exc.position))
    return QueryCheckOut(ok=True, parsed=str(node))


@router.get("/queries/{query_id}", response_model=QueryOut)
def get_query(client_id: RowId, query_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_VIEW))):
    return listening.get_query(session=session, client_id=client_id, query_id=query_id)


@router.patch("/queries/{query_id}", response_model=QueryOut)
def update_query(client_id: RowId, query_id: RowId, data: QueryPatch, session: DB,
                 _: Principal = Depends(require(LISTENING_MANAGE))):
    """Change any of name, topic, text and enabled (a switched-off query keeps its mentions)."""
    return listening.update_query(session=session, client_id=client_id, query_id=query_id, data=data)


@router.delete("/queries/{query_id}", status_code=204)
def delete_query(client_id: RowId, query_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_MANAGE))):
    """Delete the query and its matches."""
    listening.delete_query(session=session, client_id=client_id, query_id=query_id)
    return Response(status_code=204)


@router.get("/mentions", response_model=MentionPage)
def mentions(client_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_VIEW)),
             query_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None, topic: Topic | None = None,
             sentiment: Sentiment | None = None, lang: Annotated[str | None, Query(max_length=20)] = None,
             source: Annotated[str | None, Query(max_length=40)] = None, since: datetime | None = None,
             until: datetime | None = None, include_duplicates: bool = False,
             cursor: Annotated[str | None, Query(max_length=80)] = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """The client's mentions, newest first, each once (near duplicates only with ``include_duplicates``);
    ``next_cursor`` gives the older page. ``lang=en`` also finds ``en-gb``."""
    clients_service.get(session=session, client_id=client_id)
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput.on(name, "needs a time zone, like 2026-11-02T09:00:00Z")
    views, next_cursor = listening.list_mentions(
        session=session, client_id=client_id, query_id=query_id, topic=topic, sentiment=sentiment, lang=lang,
        source=source, since=since, until=until, include_duplicates=include_duplicates, cursor=cursor, limit=limit)
    out = [MentionOut.model_validate({**{c.key: getattr(v.mention, c.key) for c in v.mention.__table__.columns},
                                      "queries": v.queries, "duplicate": v.duplicate, "copies": v.copies})
           for v in views]
    return MentionPage(mentions=out, next_cursor=next_cursor)


# --- import ------------------------------------------------------------------------------------


class ImportRowOut(BaseModel):
    row: int
    outcome: str
    errors: list[dict]


class ImportReportOut(BaseModel):
    ok: bool
    total: int
    stored: int
    duplicates: int
    repeats: int
    unmatched: int
    rejected: int
    message: str
    rows: list[ImportRowOut]
    errors: list[dict]


async def _upload(request: Request) -> tuple[bytes, str]:
    """The file of an import and its name: the ``file`` field of a multipart form, or the raw body."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput.on("file", "send the CSV or JSONL file as the multipart field 'file'")
        return await upload.read(importing.MAX_BYTES + 1), upload.filename or ""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        chunks.append(chunk)
        if size > importing.MAX_BYTES:
            break
    kind = request.headers.get("content-type", "").lower()
    return b"".join(chunks), ("upload.jsonl" if "json" in kind else "upload.csv" if "csv" in kind else "")


_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": "remote_id,text,created_at,source,author_handle\n"
                         "42,Loving the new Acme kettle,2026-11-02T09:00:00Z,mastodon,fan@example.social\n"},
            "application/x-ndjson": {"schema": {"type": "string"}, "example":
                                     '{"remote_id": "42", "text": "Loving Acme", "created_at": "2026-11-02T09:00:00Z"}\n'},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": {"type": "string", "format": "binary"}}}},
        },
    }
}


@router.post("/import", response_model=ImportReportOut, openapi_extra=_FILE_BODY,
             responses={422: {"description": "Nothing imported: the file or its header is wrong"}})
def import_mentions(client_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_IMPORT)),
                    upload: tuple[bytes, str] = Depends(_upload)):
    """Import mentions from a CSV or JSONL file (columns in the report's ``message`` when wrong), matched
    against this client's enabled queries only. Good rows are stored even when others have errors; each
    error names its row and column. Importing the same file again stores nothing twice."""
    clients_service.get(session=session, client_id=client_id)
    raw, filename = upload
    if len(raw) > importing.MAX_BYTES:
        raise InvalidInput.on("file", f"is larger than {importing.MAX_BYTES // 2**20} MB; import it with "
                                      "`socialdesk listening import` or split it")
    report = importing.import_text(session=session, client_id=client_id, text=importing.decode(raw),
                                   filename=filename)
    body = report.to_dict()
    if not report.rows:
        return JSONResponse({**body, "detail": report.message}, status_code=422)
    return body


# --- sources: what is listened to (feeds, Mastodon timelines; the Bluesky firehose agency-wide) ----------

from socialdesk.config import Settings  # noqa: E402 - this section is self-contained
from socialdesk.listening.permissions import (  # noqa: E402
    LISTENING_AGENCY_SOURCES,
    LISTENING_AGENCY_SOURCES_MANAGE,
    LISTENING_SOURCES_MANAGE,
    LISTENING_SOURCES_VIEW,
)
from socialdesk.listening.sources import service as sources  # noqa: E402
from socialdesk.listening.sources.schemas import SourceIn, SourceOut  # noqa: E402
from socialdesk.web.deps import get_settings  # noqa: E402

agency_router = APIRouter(prefix="/api/listening", tags=["listening"])
AppSettings = Annotated[Settings, Depends(get_settings)]


@router.get("/sources", response_model=list[SourceOut])
def list_sources(client_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_SOURCES_VIEW))):
    clients_service.get(session=session, client_id=client_id)
    return [sources.to_out(r) for r in sources.list_sources(session=session, client_id=client_id)]


@router.post("/sources", response_model=SourceOut, status_code=201)
def create_source(client_id: RowId, data: SourceIn, session: DB, settings: AppSettings,
                  _: Principal = Depends(require(LISTENING_SOURCES_MANAGE))):
    """Listen to a feed or Mastodon timelines for this client (polled in the background; errors show on it)."""
    clients_service.get(session=session, client_id=client_id)
    return sources.to_out(sources.create_source(session=session, settings=settings, client_id=client_id, data=data))


@router.delete("/sources/{source_id}", status_code=204)
def delete_source(client_id: RowId, source_id: RowId, session: DB,
                  _: Principal = Depends(require(LISTENING_SOURCES_MANAGE))):
    sources.delete_source(session=session, client_id=client_id, source_id=source_id)
    return Response(status_code=204)


@agency_router.get("/sources", response_model=list[SourceOut])
def list_agency_sources(session: DB, _: Principal = Depends(require(LISTENING_AGENCY_SOURCES))):
    """Sources listened to for the whole agency (every client's queries match what they bring)."""
    return [sources.to_out(r) for r in sources.list_sources(session=session, client_id=None)]


@agency_router.post("/sources", response_model=SourceOut, status_code=201)
def create_agency_source(data: SourceIn, session: DB, settings: AppSettings,
                         _: Principal = Depends(require(LISTENING_AGENCY_SOURCES_MANAGE))):
    return sources.to_out(sources.create_source(session=session, settings=settings, client_id=None, data=data))


@agency_router.delete("/sources/{source_id}", status_code=204)
def delete_agency_source(source_id: RowId, session: DB,
                         _: Principal = Depends(require(LISTENING_AGENCY_SOURCES_MANAGE))):
    sources.delete_source(session=session, client_id=None, source_id=source_id)
    return Response(status_code=204)


# --- dashboards and CSV exports --------------------------------------------------------------------

from fastapi.responses import StreamingResponse  # noqa: E402
from pydantic import ConfigDict, Field  # noqa: E402

from socialdesk.listening import dashboard as dash  # noqa: E402
from socialdesk.listening import export  # noqa: E402


class PeriodOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    start: datetime
    end: datetime
    zone: str
    bucket: str = Field(description="hour or day: what one point of the volume counts")


class VolumeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    bucket: str
    starts: list[datetime] = Field(description="Where each bucket begins, in the client's time zone")
    series: dict[str, list[int]] = Field(description="Per topic, distinct mentions per bucket")
    total: list[int] = Field(description="Distinct mentions per bucket whatever their topic")


class SentimentShareOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    topic: str = Field(description="`all`, or a topic")
    total: int
    counts: dict[str, int]
    percents: dict[str, float] = Field(description="Add up to 100 (all 0 without mentions)")


class VoiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str
    kind: str = Field(description="brand (all brand queries together) or competitor (one query)")
    query_id: int | None
    mentions: int
    percent: float


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    source: str
    handle: str
    name: str
    followers: int | None
    mentions: int


class TermOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    term: str
    mentions: int


class TermTableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    terms: list[TermOut]
    read: int = Field(description="Mentions read (the newest of the period, near duplicates once)")
    total: int
    sampled: bool = Field(description="Counts are scaled from a sample of the period")


class RisingTermOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    term: str
    recent: int
    baseline_per_day: float
    ratio: float = Field(description="(recent + 1) / (baseline_per_day + 1)")
    new: bool


class RisingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    terms: list[RisingTermOut]
    window_start: datetime
    window_end: datetime
    recent_read: int
    recent_total: int
    baseline_read: int
    baseline_total: int


class DashboardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    period: PeriodOut
    topic: str | None
    total: int
    empty: bool
    message: str
    volume: VolumeOut
    sentiment: list[SentimentShareOut]
    share_of_voice: list[VoiceOut]
    authors_by_mentions: list[AuthorOut]
    authors_by_reach: list[AuthorOut]
    terms: TermTableOut
    hashtags: TermTableOut
    rising: RisingOut
    topics: list[str]


def _period(client, start: datetime | None, end: datetime | None, bucket: str | None = None) -> dash.Period:
    return dash.period(start=start, end=end, zone=client.timezone, bucket=bucket)


@router.get("/dashboard", response_model=DashboardOut)
def dashboard(client_id: RowId, session: DB, _: Principal = Depends(require(LISTENING_VIEW)),
              start: datetime | None = None, end: datetime | None = None, topic: Topic | None = None,
              bucket: Annotated[str | None, Query(pattern="^(hour|day)$")] = None, bigrams: bool = False):
    """Every figure of the dashboard for [start, end) (default: the last 7 days; a time without offset is
    in the client's time zone): volume per hour (up to 2 days) or day per topic, sentiment share, share of
    voice, top authors, terms and hashtags, and rising terms (the 24 hours before ``end`` against the 28
    days before)."""
    client = clients_service.get(session=session, client_id=client_id)
    board = dash.dashboard(session=session, client_id=client_id, period=_period(client, start, end, bucket),
                           topic=topic, bigrams=bigrams)
    return DashboardOut.model_validate(board, from_attributes=True)


def _csv(request: Request, rows_of, name: str) -> StreamingResponse:
    """Stream CSV lines read in a session of their own (the request's closes before the body is sent)."""
    database = request.app.state.database

    def body():
        with database.session() as session:
            yield from rows_of(session)

    return StreamingResponse(body(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV, a header row first"}}


@router.get("/mentions.csv", response_class=StreamingResponse, responses=_CSV)
def mentions_csv(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(LISTENING_VIEW)),
                 start: datetime | None = None, end: datetime | None = None, topic: Topic | None = None,
                 query_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None, sentiment: Sentiment | None = None,
                 lang: Annotated[str | None, Query(max_length=20)] = None,
                 source: Annotated[str | None, Query(max_length=40)] = None, include_duplicates: bool = False):
    """The period's mentions with the list's filters as CSV, newest first (at most 100,000 rows). Text
    cells starting with = + - @ are prefixed with ' so spreadsheets do not run them."""
    client = clients_service.get(session=session, client_id=client_id)
    p = _period(client, start, end)
    filters = {"query_id": query_id, "topic": topic, "sentiment": sentiment, "lang": lang, "source": source,
               "since": p.start, "until": p.end, "include_duplicates": include_duplicates}
    # Refused filters are said now, as a 422: once the CSV streams, its status is sent.
    listening.list_mentions(session=session, client_id=client_id, limit=1, **filters)
    return _csv(request, lambda s: export.lines(export.MENTION_COLUMNS, export.mention_rows(
        session=s, client_id=client_id, **filters)), export.filename(client.name, "mentions", p.start, p.end))


@router.get("/dashboard.csv", response_class=StreamingResponse, responses=_CSV)
def dashboard_csv(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(LISTENING_VIEW)),
                  table: Annotated[str, Query(description="One of: " + ", ".join(export.TABLES))] = "volume",
                  start: datetime | None = None, end: datetime | None = None, topic: Topic | None = None,
                  bucket: Annotated[str | None, Query(pattern="^(hour|day)$")] = None):
    """One table of the dashboard as CSV: volume, sentiment, share_of_voice, authors, authors_reach, terms,
    hashtags or rising."""
    client = clients_service.get(session=session, client_id=client_id)
    if table not in export.TABLES:
        raise InvalidInput.on("table", f"must be one of {', '.join(export.TABLES)}")
    p = _period(client, start, end, bucket)
    header, rows = export.table(dash.dashboard(session=session, client_id=client_id, period=p, topic=topic), table)
    return _csv(request, lambda _s: export.lines(header, rows), export.filename(client.name, table, p.start, p.end))
