"""JSON routes of analytics: collect now, snapshots, series, tracked posts, imports, the reporting currency."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from socialdesk.analytics import importing, service
from socialdesk.analytics.permissions import ANALYTICS_COLLECT, ANALYTICS_IMPORT, ANALYTICS_SETTINGS, ANALYTICS_VIEW
from socialdesk.analytics.schemas import (
    AccountMetric,
    AccountSnapshotOut,
    DeltaOut,
    ImportKind,
    ImportReportOut,
    PaidResultOut,
    PointOut,
    PostMetric,
    PostSnapshotOut,
    SeriesOut,
    SettingsIn,
    SettingsOut,
    SyncStateOut,
    TrackedOut,
    TrackIn,
)
from socialdesk.channels import service as channels_service
from socialdesk.clients import service as clients_service
from socialdesk.clients.permissions import OVERVIEW_VIEW
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.vault.service import Vault
from socialdesk.web.deps import RowId, get_db, get_settings, require

router = APIRouter(prefix="/api/clients/{client_id}/analytics", tags=["analytics"])
DB = Annotated[Session, Depends(get_db)]
Id = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Day = Annotated[date | None, Query(description="YYYY-MM-DD; default: the last 30 days up to today")]


def _period(client, start: date | None, end: date | None) -> tuple[date, date]:
    end = end or service.client_today(client)
    return start or end - timedelta(days=29), end


@router.post("/channels/{channel_id}/collect", response_model=SyncStateOut)
def collect_now(client_id: RowId, channel_id: RowId, request: Request, session: DB,
                _: Principal = Depends(require(ANALYTICS_COLLECT))):
    """Read the channel's account totals and its tracked posts' counts now, as today's snapshot
    (a second run today replaces today's figures); a network error is in ``error``."""
    client = clients_service.get(session=session, client_id=client_id)
    channel = channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    settings = get_settings(request)
    return service.collect(session=session, vault=Vault.from_settings(settings), channel=channel,
                           day=service.client_today(client), window_days=settings.analytics_window_days)


@router.get("/channels/{channel_id}/state", response_model=SyncStateOut)
def collect_state(client_id: RowId, channel_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW))):
    """How the channel's last collection went: when, its error, the metrics the network stopped giving."""
    channel = channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    return service.sync_state(session, channel)


@router.get("/accounts", response_model=list[AccountSnapshotOut])
def account_snapshots(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)),
                      channel_id: Id = None, start: Day = None, end: Day = None):
    """The daily account snapshots of the client's channels (or one), by day."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = _period(client, start, end)
    return service.account_snapshots(session=session, client_id=client_id, start=start, end=end, channel_id=channel_id)


@router.get("/posts", response_model=list[PostSnapshotOut])
def post_snapshots(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)),
                   channel_id: Id = None, remote_id: Annotated[str | None, Query(max_length=300)] = None,
                   start: Day = None, end: Day = None, limit: Annotated[int, Query(ge=1, le=5000)] = 1000):
    """The daily post snapshots (counts null where the network did not say), by day."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = _period(client, start, end)
    return service.post_snapshots(session=session, client_id=client_id, start=start, end=end, channel_id=channel_id,
                                  remote_id=remote_id, limit=limit)


def _series_out(data: service.Series) -> SeriesOut:
    moved = service.delta(data)
    return SeriesOut(metric=data.metric, start=data.start, end=data.end,
                     points=[PointOut(day=p.day, value=p.value, state=p.state, decreased=p.decreased)
                             for p in data.points],
                     delta=DeltaOut(first=moved.first, last=moved.last, change=moved.change,
                                    across_gaps=moved.across_gaps, days_compared=moved.days_compared,
                                    per_day=moved.per_day, gaps=moved.gaps, decreases=moved.decreases,
                                    message=moved.message))


@router.get("/series/account", response_model=SeriesOut)
def account_series(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)),
                   metric: AccountMetric = AccountMetric.FOLLOWERS, channel_id: Id = None, start: Day = None,
                   end: Day = None):
    """One account metric per day, every day listed (gaps explicit), and how it moved; without
    ``channel_id`` the sum over the client's channels."""
    client = clients_service.get(session=session, client_id=client_id)
    if channel_id is not None:
        channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    start, end = _period(client, start, end)
    return _series_out(service.series(session=session, client_id=client_id, metric=metric.value, start=start,
                                      end=end, channel_id=channel_id))


@router.get("/series/post", response_model=SeriesOut)
def post_series(client_id: RowId, session: DB, network: Annotated[str, Query(min_length=1, max_length=20)] = "",
                remote_id: Annotated[str, Query(min_length=1, max_length=300)] = "",
                _: Principal = Depends(require(ANALYTICS_VIEW)), metric: PostMetric = PostMetric.LIKES,
                start: Day = None, end: Day = None):
    """One post's metric per day (``network`` and ``remote_id`` name it), gaps explicit, and how it moved."""
    client = clients_service.get(session=session, client_id=client_id)
    if not remote_id:
        raise InvalidInput.on("remote_id", "name the post (its id on the network)")
    start, end = _period(client, start, end)
    return _series_out(service.series(session=session, client_id=client_id, metric=metric.value, start=start,
                                      end=end, network=network, remote_id=remote_id))


@router.post("/tracked", response_model=TrackedOut, status_code=201)
def track_post(client_id: RowId, data: TrackIn, session: DB, _: Principal = Depends(require(ANALYTICS_COLLECT))):
    """Keep reading a post's counts daily until ``until`` (past the usual window, or a post made elsewhere)."""
    channel = channels_service.get(session=session, client_id=client_id, channel_id=data.channel_id)
    return service.track(session=session, channel=channel, remote_id=data.remote_id, until=data.until)


@router.get("/paid", response_model=list[PaidResultOut])
def paid(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)), start: Day = None,
         end: Day = None):
    """Imported paid results, by day, in the client's reporting currency."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = _period(client, start, end)
    return importing.paid_results(session=session, client_id=client_id, start=start, end=end)


@router.get("/settings", response_model=SettingsOut)
def get_settings_route(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW))):
    clients_service.get(session=session, client_id=client_id)
    return SettingsOut(currency=service.reporting_currency(session=session, client_id=client_id))


@router.put("/settings", response_model=SettingsOut)
def put_settings(client_id: RowId, data: SettingsIn, session: DB, _: Principal = Depends(require(ANALYTICS_SETTINGS))):
    """Set the reporting currency: paid results must be in it (amounts are never converted here)."""
    clients_service.get(session=session, client_id=client_id)
    return SettingsOut(currency=service.set_reporting_currency(session=session, client_id=client_id,
                                                               currency=data.currency).currency)


_CSV = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "example": "date,network,post_id,likes,impressions\n"
                 "2025-06-01,instagram,C8xYz,120,3400\n"},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}}


async def _csv_body(request: Request) -> bytes:
    """The CSV: the multipart field ``file``, or the raw body (text/csv); at most MAX_BYTES (+1 to tell)."""
    from socialdesk.publishing.importing import MAX_BYTES

    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput.on("file", "send the CSV as the multipart field 'file'")
        return await upload.read(MAX_BYTES + 1)
    chunks, size = [], 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BYTES:
            break
    return b"".join(chunks)[:MAX_BYTES + 1]


@router.post("/import/{kind}", response_model=ImportReportOut, openapi_extra=_CSV,
             responses={422: {"description": "Nothing imported: the report lists every row's errors by column"}})
def import_file(client_id: RowId, kind: ImportKind, session: DB, _: Principal = Depends(require(ANALYTICS_IMPORT)),
                raw: bytes = Depends(_csv_body)):
    """Import post metrics (``metrics``: date,network,post_id,channel,likes,reposts,replies,quotes,
    impressions,views,link_clicks), paid results (``paid``: date,network,campaign,ad,currency,spend,
    impressions,clicks,conversions) or daily account snapshots (``accounts``: date,network,channel,
    followers,following,posts; one per channel and day, a channel of a network without an API made on
    first import) from CSV, all or nothing. 200 with what was created, updated or already so (the same
    file twice changes nothing), or 422 with every row's errors."""
    clients_service.get(session=session, client_id=client_id)
    try:
        report = importing.import_csv(session=session, client_id=client_id, kind=kind, text=importing.decode(raw))
    except InvalidInput as exc:
        report = importing.ImportReport(ok=False, created=0, updated=0, unchanged=0, total=0, message=exc.message,
                                        errors=[{"field": e.field, "message": e.message} for e in exc.errors])
    body = report.to_dict()
    if not report.ok:
        return JSONResponse({**body, "detail": report.message}, status_code=422)
    return JSONResponse(body)


# --- insights: KPIs, best times, recommendations, the whole dashboard, the agency overview ---------

from socialdesk.analytics import insights  # noqa: E402

Weeks = Annotated[int, Query(ge=1, le=52, description="Weeks of history before the end day")]


def _days(client, start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for (the last 30 days by default), each day checked before any arithmetic."""
    for name, day in (("start", start), ("end", end)):
        if day is not None and not insights.FIRST_YEAR <= day.year <= insights.LAST_YEAR:
            raise InvalidInput.on(name, f"give a day between the years {insights.FIRST_YEAR} and {insights.LAST_YEAR}")
    return _period(client, start, end)


@router.get("/dashboard", response_model=insights.Dashboard)
def dashboard(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)), start: Day = None,
              end: Day = None, compare_start: Day = None, compare_end: Day = None, weeks: Weeks = 12):
    """Everything the Analytics page shows: KPIs against targets (and in the comparison period), followers
    with their gaps, engagement over time, what works, best times, recommendations and competitors."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = _days(client, start, end)
    return insights.dashboard(session=session, client_id=client_id, start=start, end=end,
                              compare_start=compare_start, compare_end=compare_end, weeks=weeks)


@router.get("/kpis", response_model=list[insights.KpiResult])
def kpis(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)), start: Day = None,
         end: Day = None):
    """Each KPI target against its actual figure: green, amber, red or unknown, with the formula, the
    numbers used and a sentence (and why, when there is no figure)."""
    client = clients_service.get(session=session, client_id=client_id)
    start, end = _days(client, start, end)
    return insights.kpis(session=session, client_id=client_id, start=start, end=end)


@router.get("/best-times", response_model=insights.BestTimes)
def best_times(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)), channel_id: Id = None,
               weeks: Weeks = 12, end: Day = None):
    """Engagement rate per weekday and hour of posting against the median post, with n per cell;
    labelled general guidance when the client's history is thin."""
    clients_service.get(session=session, client_id=client_id)
    if channel_id is not None:
        channels_service.get(session=session, client_id=client_id, channel_id=channel_id)
    return insights.best_times(session=session, client_id=client_id, channel_id=channel_id, weeks=weeks, end=end)


@router.get("/recommendations", response_model=list[insights.Recommendation])
def recommendations(client_id: RowId, session: DB, _: Principal = Depends(require(ANALYTICS_VIEW)),
                    weeks: Weeks = 12, end: Day = None):
    """Advice as sentences with their evidence (ratio to the median post, n, weeks)."""
    clients_service.get(session=session, client_id=client_id)
    return insights.recommendations(session=session, client_id=client_id, end=end, weeks=weeks)


agency_router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@agency_router.get("/overview", response_model=insights.Overview)
def overview(session: DB, principal: Principal = Depends(require(OVERVIEW_VIEW)),
             days: Annotated[int, Query(ge=1, le=insights.MAX_DAYS)] = 30):
    """Every client you may see the analytics of with its KPI statuses over the last ``days`` days, and
    where the team's time went: estimated hours per client (with its share of the team's), per person and
    per person on each client, from the recorded actions and the typical minutes of each kind."""
    return insights.overview(session=session, principal=principal, days=days)
