"""Tracked links over the JSON API, and how conversions come back.

Conversions (no sign-in; the redirect itself is in links/public.py):

* ``GET /l/px.gif?c=<public id>&k=<kind>&v=<value>&cur=<currency>&ref=<order ref>&sdc=<click>``:
  the conversion pixel, a 1x1 GIF (no-store). Only pages of the client's allowed origins count.
* ``POST /api/conversions``: the server call, signed with the client's conversion secret.

Attribution (per client, off by default): ``param`` appends ``sdc=<random click token>`` to the
destination, which the client's site hands back in the pixel or the server call; ``cookie`` sets
``sd_click=<token>`` (SameSite=Lax, HttpOnly) on the short-link domain, which reaches the pixel only
when that domain is same-site with the client's (e.g. go.client.example). The token names a click,
not a person: the click row holds no personal data unless the client opted into visitor hashing.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput
from socialdesk.links import schemas, service as links_service
from socialdesk.links.permissions import LINKS_SETTINGS, LINKS_STATS, LINKS_VIEW, LINKS_WRITE
from socialdesk.links.schemas import (
    ConversionIn,
    ConversionOut,
    LinkIn,
    LinkOut,
    SecretOut,
    SettingsIn,
    SettingsOut,
    StatRow,
    StatsBy,
    StatsOut,
    UtmIn,
    UtmOut,
)
from socialdesk.vault.service import Vault
from socialdesk.web.deps import MAX_ROW_ID, RowId, get_db, get_settings, public, require
from socialdesk.web.forms import validate

router = APIRouter(prefix="/api", tags=["links"])
PUBLIC_ID = re.compile(schemas.PUBLIC_ID)
EARLIEST, LATEST = date(1970, 1, 1), date(2200, 12, 31)
MAX_DAYS = 1100
DB = Annotated[Session, Depends(get_db)]
LinkId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="One of the client's tracked links")]


def link_out(settings, link, counts=None) -> LinkOut:
    out = LinkOut(
        id=link.id, code=link.code, short_url=links_service.short_url(settings, link.code),
        destination=link.destination, utm_source=link.utm_source, utm_medium=link.utm_medium,
        utm_campaign=link.utm_campaign, utm_term=link.utm_term, utm_content=link.utm_content, network=link.network,
        label=link.label, campaign_id=link.campaign_id, archived=link.archived, created_at=link.created_at)
    if counts is not None:
        out.clicks, out.previews, out.conversions = counts.clicks, counts.previews, counts.conversions
    return out


def settings_out(settings, row) -> SettingsOut:
    base = links_service.link_base(settings)
    return SettingsOut(public_id=row.public_id, hash_visitors=row.hash_visitors, dedup_seconds=row.dedup_seconds,
                       attribution=row.attribution, pixel_origins=list(row.pixel_origins or []),
                       secret_set=row.secret_set_at is not None, pixel_url=f"{base}/l/px.gif?c={row.public_id}",
                       conversion_url=f"{settings.base_url.rstrip('/')}/api/conversions")


# --- links ---------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/links", response_model=list[LinkOut])
def list_links(client_id: RowId, request: Request, session: DB, archived: bool = False,
               _: Principal = Depends(require(LINKS_VIEW))):
    """The client's tracked links, newest first, with all-time clicks, previews and conversions."""
    links = links_service.list_links(session=session, client_id=client_id, archived=archived)
    counts = links_service.counts_for(session=session, client_id=client_id, link_ids=[link.id for link in links])
    settings = get_settings(request)
    return [link_out(settings, link, counts[link.id]) for link in links]


@router.post("/clients/{client_id}/links", response_model=LinkOut, status_code=201)
def create_link(client_id: RowId, data: LinkIn, request: Request, session: DB,
                principal: Principal = Depends(require(LINKS_WRITE))):
    """Make a short link: the destination gets the UTM values (``utm_campaign`` defaults to the
    campaign's name, ``utm_source`` to the network); refused naming the field if it is not a public
    http(s) address or a UTM value holds characters other than letters, digits and - _ . ~ +."""
    settings = get_settings(request)
    link = links_service.create_link(session=session, settings=settings, principal=principal, client_id=client_id,
                                     data=data)
    return link_out(settings, link)


@router.post("/clients/{client_id}/links/preview", response_model=UtmOut)
def preview(client_id: RowId, data: UtmIn, request: Request, _: Principal = Depends(require(LINKS_WRITE))):
    """The UTM builder: the destination with the UTM values applied, nothing stored."""
    utm = data.model_dump(exclude={"destination"})
    return UtmOut(url=links_service.preview_url(settings=get_settings(request), destination=data.destination, utm=utm))


def _span(session: Session, client_id: int, start: date | None, end: date | None) -> tuple[date, date]:
    zone = ZoneInfo(clients_service.get(session=session, client_id=client_id).timezone)
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidInput.on(name, "give a date from 1970 to 2200")
    end = end or datetime.now(zone).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise InvalidInput.on("end", "must not be before start")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput.on("start", f"a span of at most {MAX_DAYS} days; ask for several spans")
    return start, end


@router.get("/clients/{client_id}/links/stats", response_model=StatsOut)
def stats(client_id: RowId, session: DB, start: date | None = None, end: date | None = None,
          by: StatsBy = StatsBy.DAY, _: Principal = Depends(require(LINKS_STATS))):
    """Clicks, previews and conversions per day (the client's local days), link, campaign or network,
    from ``start`` to ``end`` (both included; default: the last 30 days)."""
    lo, hi = _span(session, client_id, start, end)
    lines, total = links_service.stats(session=session, client_id=client_id, start=lo, end=hi, by=by)
    zone = ZoneInfo(clients_service.get(session=session, client_id=client_id).timezone)
    rows = [StatRow(key=line.key.isoformat() if isinstance(line.key, date) else line.key, label=line.label,
                    clicks=line.clicks, previews=line.previews, conversions=line.conversions) for line in lines]
    return StatsOut(by=by, start=datetime.combine(lo, datetime.min.time(), zone),
                    end=datetime.combine(hi + timedelta(days=1), datetime.min.time(), zone), rows=rows,
                    totals=StatRow(key=None, label="Total", clicks=total.clicks, previews=total.previews,
                                   conversions=total.conversions))


@router.get("/clients/{client_id}/links/{link_id}", response_model=LinkOut)
def get_link(client_id: RowId, link_id: LinkId, request: Request, session: DB,
             _: Principal = Depends(require(LINKS_VIEW))):
    """One tracked link with its all-time numbers."""
    link = links_service.get_link(session=session, client_id=client_id, link_id=link_id)
    counts = links_service.counts_for(session=session, client_id=client_id, link_ids=[link.id])
    return link_out(get_settings(request), link, counts[link.id])


@router.post("/clients/{client_id}/links/{link_id}/archive", response_model=LinkOut)
def archive_link(client_id: RowId, link_id: LinkId, request: Request, session: DB,
                 _: Principal = Depends(require(LINKS_WRITE))):
    """Move a link out of the list; it keeps redirecting (posts already out there must not break)."""
    link = links_service.get_link(session=session, client_id=client_id, link_id=link_id)
    return link_out(get_settings(request), links_service.set_archived(session=session, link=link, archived=True))


@router.post("/clients/{client_id}/links/{link_id}/restore", response_model=LinkOut)
def restore_link(client_id: RowId, link_id: LinkId, request: Request, session: DB,
                 _: Principal = Depends(require(LINKS_WRITE))):
    """Bring an archived link back into the list."""
    link = links_service.get_link(session=session, client_id=client_id, link_id=link_id)
    return link_out(get_settings(request), links_service.set_archived(session=session, link=link, archived=False))


# --- settings ------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/link-settings", response_model=SettingsOut)
def get_link_settings(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(LINKS_VIEW))):
    """The client's tracking choices, its public id (for the pixel and the server call) and whether a
    conversion secret is set (the secret itself is never shown again)."""
    row = links_service.settings_for(session=session, client_id=client_id)
    return settings_out(get_settings(request), row)


@router.put("/clients/{client_id}/link-settings", response_model=SettingsOut)
def put_link_settings(client_id: RowId, data: SettingsIn, request: Request, session: DB,
                      _: Principal = Depends(require(LINKS_SETTINGS))):
    """Opt into visitor hashing (repeated clicks within ``dedup_seconds`` count once; a salted hash of IP
    and user agent that rotates daily, never the IP), choose the attribution (off, param, cookie) and
    the sites allowed to fire the pixel."""
    row = links_service.update_settings(session=session, client_id=client_id, data=data)
    return settings_out(get_settings(request), row)


@router.post("/clients/{client_id}/link-settings/secret", response_model=SecretOut)
def new_secret(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(LINKS_SETTINGS))):
    """Make a new conversion secret (the old one stops working). Shown once; kept encrypted."""
    secret = links_service.new_conversion_secret(session=session, vault=Vault.from_settings(get_settings(request)),
                                                 client_id=client_id)
    return SecretOut(secret=secret)


# --- conversions: the server call ----------------------------------------------------------------


async def raw_body(request: Request) -> bytes:
    return await request.body()


CONVERSION_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": ConversionIn.model_json_schema(ref_template="#/components/schemas/{model}")}}}}


@router.post("/conversions", response_model=ConversionOut, dependencies=[Depends(public)],
             openapi_extra=CONVERSION_BODY)
def post_conversion(request: Request, session: DB, body: bytes = Depends(raw_body)):
    """Record a conversion from the client's server. Authenticate with ``Authorization: Bearer
    <conversion secret>``, or sign: ``X-Socialdesk-Timestamp: <unix seconds>`` and
    ``X-Socialdesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>``
    (5 minutes' leeway). ``click`` is the ``sdc`` token the redirect handed over; the same
    ``order_ref`` is counted once (``recorded: false`` the second time)."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise InvalidInput.on("body", "send a JSON object") from None
    if not isinstance(data, dict) or not isinstance(data.get("client"), str) or not PUBLIC_ID.fullmatch(data["client"]):
        raise InvalidInput.on("client", "give the client's public id (see its Links page)")
    settings = get_settings(request)
    row = links_service.verify_server_call(session=session, vault=Vault.from_settings(settings),
                                           headers=request.headers, body=body, public_id=data["client"])
    conversion = validate(ConversionIn, data)
    done = links_service.record_conversion(session=session, client_id=row.client_id, data=conversion, source="server")
    return ConversionOut(recorded=done.recorded, id=done.conversion_id, link_id=done.link_id, click_id=done.click_id)
