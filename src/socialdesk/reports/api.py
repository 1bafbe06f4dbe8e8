"""JSON routes of client reports: definitions, preview, PDF, sending, share links, logos, agency branding."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from socialdesk.analytics.service import client_today
from socialdesk.clients import service as clients_service
from socialdesk.kit.authz import Principal
from socialdesk.reports import delivery, render, service
from socialdesk.reports.permissions import BRANDING_MANAGE, BRANDING_VIEW, REPORTS_MANAGE, REPORTS_VIEW, SHARES_VIEW
from socialdesk.reports.schemas import (
    AgencyBrandingIn,
    AgencyBrandingOut,
    Comparison,
    DefinitionIn,
    DefinitionOut,
    DefinitionPatch,
    DeliveryOut,
    SendIn,
    ShareCreated,
    ShareIn,
    ShareOut,
)
from socialdesk.web.deps import RowId, get_db, get_settings, require

router = APIRouter(prefix="/api/clients/{client_id}/reports", tags=["reports"])
agency_router = APIRouter(prefix="/api/agency/branding", tags=["reports"])
DB = Annotated[Session, Depends(get_db)]
PeriodQuery = Annotated[str | None, Query(max_length=30, description=(
    "YYYY-MM (a month), YYYY-Www (an ISO week) or YYYY-MM-DD..YYYY-MM-DD; default: the definition's last whole "
    "period"))]
CompareQuery = Annotated[Comparison | None, Query(description="previous, year_ago or none; default: the definition's")]
_LOGO = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


def _report(session: Session, request: Request, client_id: int, report_id: int, period: str | None,
            compare: Comparison | None) -> service.Report:
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    client = clients_service.get(session=session, client_id=client_id)
    chosen = service.definition_period(definition, today=client_today(client), text=period)
    return service.build_for(session=session, definition=definition, period=chosen,
                             comparison=compare.value if compare else None, settings=get_settings(request))


@router.get("", response_model=list[DefinitionOut])
def list_definitions(client_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_VIEW))):
    """The client's report definitions, by name."""
    clients_service.get(session=session, client_id=client_id)
    return service.list_definitions(session=session, client_id=client_id)


@router.post("", response_model=DefinitionOut, status_code=201)
def create_definition(client_id: RowId, data: DefinitionIn, session: DB,
                      principal: Principal = Depends(require(REPORTS_MANAGE))):
    """A report definition: sections (summary, kpis, audience_growth, ...), period kind, comparison,
    recipients and schedule (weekly or monthly sends the last whole period once)."""
    return service.create_definition(session=session, client_id=client_id, data=data, user_id=principal.user_id)


@router.get("/shares", response_model=list[ShareOut])
def list_shares(client_id: RowId, session: DB, _: Principal = Depends(require(SHARES_VIEW))):
    """The client's share links, newest first (the tokens themselves are never shown again)."""
    clients_service.get(session=session, client_id=client_id)
    return service.list_shares(session=session, client_id=client_id)


@router.delete("/shares/{share_id}", status_code=204)
def revoke_share(client_id: RowId, share_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_MANAGE))):
    """Withdraw a share link: it stops working at once."""
    service.revoke_share(session=session, client_id=client_id, share_id=share_id)
    return Response(status_code=204)


@router.put("/logo", status_code=204, openapi_extra=_LOGO)
async def put_logo(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(REPORTS_MANAGE))):
    """The client's logo on its reports: a PNG, JPEG, WebP or GIF image, at most 2 MB and 4000 pixels a side."""
    upload = await _upload(request)
    service.set_client_logo(session=session, settings=get_settings(request), client_id=client_id, source=upload.file)
    return Response(status_code=204)


@router.delete("/logo", status_code=204)
def delete_logo(client_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_MANAGE))):
    clients_service.get(session=session, client_id=client_id)
    service.remove_client_logo(session=session, client_id=client_id)
    return Response(status_code=204)


@router.get("/{report_id}", response_model=DefinitionOut)
def get_definition(client_id: RowId, report_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_VIEW))):
    return service.get_definition(session=session, client_id=client_id, report_id=report_id)


@router.patch("/{report_id}", response_model=DefinitionOut)
def update_definition(client_id: RowId, report_id: RowId, data: DefinitionPatch, session: DB,
                      _: Principal = Depends(require(REPORTS_MANAGE))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    return service.update_definition(session=session, definition=definition, data=data)


@router.delete("/{report_id}", status_code=204)
def delete_definition(client_id: RowId, report_id: RowId, session: DB,
                      _: Principal = Depends(require(REPORTS_MANAGE))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    service.delete_definition(session=session, definition=definition)
    return Response(status_code=204)


@router.get("/{report_id}/preview")
def preview(client_id: RowId, report_id: RowId, request: Request, session: DB,
            _: Principal = Depends(require(REPORTS_VIEW)), period: PeriodQuery = None, compare: CompareQuery = None):
    """The report's numbers, sections and plain-language summary as JSON (what the page and PDF show)."""
    return _report(session, request, client_id, report_id, period, compare).to_dict()


@router.get("/{report_id}/pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The report as a PDF"}})
def pdf(client_id: RowId, report_id: RowId, request: Request, session: DB,
        _: Principal = Depends(require(REPORTS_VIEW)), period: PeriodQuery = None, compare: CompareQuery = None):
    """The report as a PDF with charts, both logos and page numbers."""
    report = _report(session, request, client_id, report_id, period, compare)
    return Response(render.pdf(report), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{delivery.filename(report)}"'})


@router.post("/{report_id}/send", response_model=DeliveryOut)
def send_now(client_id: RowId, report_id: RowId, data: SendIn, request: Request, session: DB,
             _: Principal = Depends(require(REPORTS_MANAGE))):
    """E-mail the report now to its recipients (the PDF attached); ``status`` and ``error`` say how it went."""
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    client = clients_service.get(session=session, client_id=client_id)
    chosen = service.definition_period(definition, today=client_today(client), text=data.period)
    return delivery.send(session=session, settings=get_settings(request), definition=definition, period=chosen,
                         force=True)


@router.get("/{report_id}/deliveries", response_model=list[DeliveryOut])
def deliveries(client_id: RowId, report_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_VIEW))):
    """When the report was sent, for which period, to whom, and any error."""
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    return delivery.deliveries(session=session, definition=definition)


@router.post("/{report_id}/shares", response_model=ShareCreated, status_code=201)
def create_share(client_id: RowId, report_id: RowId, data: ShareIn, request: Request, session: DB,
                 principal: Principal = Depends(require(REPORTS_MANAGE))):
    """A link that shows this report for this period without signing in, until it expires or is withdrawn.
    The URL is shown once."""
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    client = clients_service.get(session=session, client_id=client_id)
    chosen = service.definition_period(definition, today=client_today(client), text=data.period)
    row, raw = service.create_share(session=session, definition=definition, period=chosen,
                                    comparison=data.comparison.value if data.comparison else None, days=data.days,
                                    user_id=principal.user_id)
    url = f"{get_settings(request).base_url.rstrip('/')}/r/{raw}"
    return ShareCreated.model_validate({**ShareOut.model_validate(row).model_dump(), "url": url})


async def _upload(request: Request) -> UploadFile:
    from socialdesk.kit.errors import InvalidInput

    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidInput.on("file", "send the logo as the multipart field 'file'")
    form = await request.form(max_part_size=service.MAX_LOGO_BYTES + 1024)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput.on("file", "send the logo as the multipart field 'file'")
    return upload


def _branding_out(row) -> AgencyBrandingOut:
    return AgencyBrandingOut(name=row.name, color=row.color, has_logo=bool(row.logo))


@agency_router.get("", response_model=AgencyBrandingOut)
def get_branding(session: DB, _: Principal = Depends(require(BRANDING_VIEW))):
    """The agency's name, colour and whether it has a logo, as reports show them."""
    from socialdesk.reports.models import AgencyBranding

    return _branding_out(session.get(AgencyBranding, 1) or AgencyBranding(name="", color="#1f2937", logo=None))


@agency_router.put("", response_model=AgencyBrandingOut)
def put_branding(data: AgencyBrandingIn, session: DB, _: Principal = Depends(require(BRANDING_MANAGE))):
    return _branding_out(service.set_agency_branding(session=session, data=data))


@agency_router.put("/logo", response_model=AgencyBrandingOut, openapi_extra=_LOGO)
async def put_agency_logo(request: Request, session: DB, _: Principal = Depends(require(BRANDING_MANAGE))):
    """The agency's logo on every report: a PNG, JPEG, WebP or GIF image, at most 2 MB and 4000 pixels a side."""
    upload = await _upload(request)
    return _branding_out(service.set_agency_logo(session=session, settings=get_settings(request), source=upload.file))
