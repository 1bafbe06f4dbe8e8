"""Report pages: the builder (sections, period, comparison, recipients, schedule, logos), the preview with
a period picker, and the public page a share link opens (/r/{token}), which shows that one report only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from socialdesk.analytics.service import client_today
from socialdesk.clients import service as clients_service
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import DomainError, InvalidInput
from socialdesk.reports import delivery, render, service
from socialdesk.reports.models import SECTIONS
from socialdesk.reports.periods import PERIOD_HELP, parse
from socialdesk.reports.permissions import BRANDING_MANAGE, REPORTS_MANAGE, REPORTS_VIEW
from socialdesk.reports.schemas import AgencyBrandingIn, Comparison, DefinitionIn, PeriodKind
from socialdesk.web.deps import RowId, get_db, get_settings, public, require
from socialdesk.web.forms import error_map, form_fields, validate

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
CHOICES = {"sections": list(SECTIONS.items()), "kinds": [k.value for k in PeriodKind],
           "comparisons": [("previous", "The period before"), ("year_ago", "The same period a year ago"),
                           ("none", "No comparison")],
           "schedules": [("off", "Not sent automatically"), ("weekly", "Every week (last whole week)"),
                         ("monthly", "Every month (last whole month)")]}


def _builder(request: Request, session: Session, client_id: int, *, editing=None, values=None, errors=None,
             status: int = 200, created_url: str = ""):
    principal: Principal = request.state.principal
    definitions = service.list_definitions(session=session, client_id=client_id)
    shares = service.list_shares(session=session, client_id=client_id) if principal.can(REPORTS_MANAGE, client_id) \
        else []
    if values is None:
        values = {name: getattr(editing, name) for name in DefinitionIn.model_fields} if editing else \
            DefinitionIn().model_dump()
    return client_page(request, session, client_id, "reports/builder.html", {
        "definitions": definitions, "editing": editing, "values": values, "errors": errors or {},
        "shares": shares, "report_choices": CHOICES, "created_url": created_url,
        "may_manage": principal.can(REPORTS_MANAGE, client_id),
        "may_brand": principal.can(BRANDING_MANAGE),
        "agency": service.agency_branding_view(session=session, settings=None),
        "has_logo": service.client_branding(session=session, settings=get_settings(request),
                                            client=clients_service.get(session=session, client_id=client_id)).logo,
    }, status)


def _definition_form(form) -> dict:
    data = form_fields(form, DefinitionIn, lists=("sections",), optional=("custom_start", "custom_end"))
    raw = form.get("recipients") if isinstance(form.get("recipients"), str) else ""
    data["recipients"] = [r for r in raw.replace(",", "\n").split() if r]
    return data


@router.get("/clients/{client_id}/reports")
def builder(client_id: RowId, request: Request, session: DB, _: Principal = Depends(require(REPORTS_VIEW))):
    return _builder(request, session, client_id)


@router.post("/clients/{client_id}/reports")
def create(client_id: RowId, request: Request, session: DB, form: Form,
           principal: Principal = Depends(require(REPORTS_MANAGE))):
    values = _definition_form(form)
    try:
        with session.begin_nested():
            row = service.create_definition(session=session, client_id=client_id, data=validate(DefinitionIn, values),
                                            user_id=principal.user_id)
    except InvalidInput as exc:
        return _builder(request, session, client_id, values=values, errors=error_map(exc), status=422)
    return see_other(f"/clients/{client_id}/reports/{row.id}/preview")


@router.get("/clients/{client_id}/reports/{report_id}")
def edit(client_id: RowId, report_id: RowId, request: Request, session: DB,
         _: Principal = Depends(require(REPORTS_MANAGE))):
    return _builder(request, session, client_id,
                    editing=service.get_definition(session=session, client_id=client_id, report_id=report_id))


@router.post("/clients/{client_id}/reports/{report_id}")
def save(client_id: RowId, report_id: RowId, request: Request, session: DB, form: Form,
         _: Principal = Depends(require(REPORTS_MANAGE))):
    from socialdesk.reports.schemas import DefinitionPatch

    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    values = _definition_form(form)
    try:
        with session.begin_nested():
            service.update_definition(session=session, definition=definition, data=validate(DefinitionPatch, values))
    except InvalidInput as exc:
        session.refresh(definition)
        return _builder(request, session, client_id, editing=definition, values=values, errors=error_map(exc),
                        status=422)
    return see_other(f"/clients/{client_id}/reports/{report_id}/preview")


@router.post("/clients/{client_id}/reports/{report_id}/delete")
def delete(client_id: RowId, report_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_MANAGE))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    service.delete_definition(session=session, definition=definition)
    return see_other(f"/clients/{client_id}/reports")


@router.get("/clients/{client_id}/reports/{report_id}/preview")
def preview(client_id: RowId, report_id: RowId, request: Request, session: DB,
            principal: Principal = Depends(require(REPORTS_VIEW))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    client = clients_service.get(session=session, client_id=client_id)
    text = (request.query_params.get("period") or "").strip() or None
    compare = request.query_params.get("compare") or None
    errors = {}
    try:
        if compare not in (None, *[c.value for c in Comparison]):
            raise InvalidInput.on("compare", "choose previous, year_ago or none")
        period = service.definition_period(definition, today=client_today(client), text=text)
    except InvalidInput as exc:
        errors, period = error_map(exc), service.definition_period(definition, today=client_today(client))
        compare = None
    report = service.build_for(session=session, definition=definition, period=period, comparison=compare,
                               settings=get_settings(request))
    return client_page(request, session, client_id, "reports/preview.html", {
        "definition": definition, "report": report, "body": render.fragment(report), "errors": errors,
        "period_text": text or period.key, "compare": compare or definition.comparison, "period_help": PERIOD_HELP,
        "report_choices": CHOICES, "may_manage": principal.can(REPORTS_MANAGE, client_id),
        "deliveries": delivery.deliveries(session=session, definition=definition)[:10],
    }, 422 if errors else 200)


@router.post("/clients/{client_id}/reports/{report_id}/share")
def share(client_id: RowId, report_id: RowId, request: Request, session: DB, form: Form,
          principal: Principal = Depends(require(REPORTS_MANAGE))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    raw_days = form.get("days") if isinstance(form.get("days"), str) else "30"
    try:
        days = int(raw_days or 30)
        if not 1 <= days <= 365:
            raise ValueError
        period = parse(str(form.get("period") or "")) if form.get("period") else service.definition_period(
            definition, today=client_today(clients_service.get(session=session, client_id=client_id)))
    except ValueError:
        raise InvalidInput.on("days", "give the days until the link expires, from 1 to 365") from None
    _, raw = service.create_share(session=session, definition=definition, period=period, comparison=None, days=days,
                                  user_id=principal.user_id)
    return _builder(request, session, client_id, created_url=f"{get_settings(request).base_url.rstrip('/')}/r/{raw}")


@router.post("/clients/{client_id}/reports/shares/{share_id}/revoke")
def revoke(client_id: RowId, share_id: RowId, session: DB, _: Principal = Depends(require(REPORTS_MANAGE))):
    service.revoke_share(session=session, client_id=client_id, share_id=share_id)
    return see_other(f"/clients/{client_id}/reports")


@router.post("/clients/{client_id}/reports/{report_id}/send")
def send(client_id: RowId, report_id: RowId, request: Request, session: DB, form: Form,
         _: Principal = Depends(require(REPORTS_MANAGE))):
    definition = service.get_definition(session=session, client_id=client_id, report_id=report_id)
    text = str(form.get("period") or "") or None
    period = service.definition_period(definition, today=client_today(clients_service.get(
        session=session, client_id=client_id)), text=text)
    delivery.send(session=session, settings=get_settings(request), definition=definition, period=period, force=True)
    return see_other(f"/clients/{client_id}/reports/{report_id}/preview?period={period.key}")


@router.post("/clients/{client_id}/reports/logo")
async def client_logo(client_id: RowId, request: Request, session: DB,
                      _: Principal = Depends(require(REPORTS_MANAGE))):
    form = await request.form(max_part_size=service.MAX_LOGO_BYTES + 1024)
    upload = form.get("file")
    try:
        if upload is None or isinstance(upload, str):
            raise InvalidInput.on("file", "choose a logo file")
        service.set_client_logo(session=session, settings=get_settings(request), client_id=client_id,
                                source=upload.file)
    except InvalidInput as exc:
        return _builder(request, session, client_id, errors=error_map(exc), status=422)
    return see_other(f"/clients/{client_id}/reports")


@router.post("/agency/branding")
async def agency_branding(request: Request, session: DB, _: Principal = Depends(require(BRANDING_MANAGE))):
    form = await request.form(max_part_size=service.MAX_LOGO_BYTES + 1024)
    back = str(form.get("back") or "/")
    back = back if back.startswith("/clients/") and "//" not in back else "/"
    data = validate(AgencyBrandingIn, {"name": str(form.get("name") or ""), "color": str(form.get("color") or "")})
    service.set_agency_branding(session=session, data=data)
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        service.set_agency_logo(session=session, settings=get_settings(request), source=upload.file)
    return see_other(back)


# --- the public share page: only the report the link names ------------------------------------------


def _shared(request: Request, session: Session, token: str) -> service.Report:
    row = service.share_for_token(session=session, raw=token)
    definition = service.get_definition(session=session, client_id=row.client_id, report_id=row.definition_id)
    return service.build_for(session=session, definition=definition, period=parse(row.period),
                             comparison=row.comparison, settings=get_settings(request))


def _gone(exc: DomainError) -> HTMLResponse:
    body = render.gone_page(exc.message)
    return HTMLResponse(body, status_code=exc.status, headers={"Cache-Control": "no-store",
                                                               "X-Robots-Tag": "noindex"})


@router.get("/r/{token}", dependencies=[Depends(public)])
def shared_page(token: str, request: Request, session: DB):
    try:
        report = _shared(request, session, token)
    except DomainError as exc:
        return _gone(exc)
    return HTMLResponse(render.html(report, mode="web", pdf_url=f"/r/{token}/pdf"),
                        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                                 "Referrer-Policy": "no-referrer"})


@router.get("/r/{token}/pdf", dependencies=[Depends(public)])
def shared_pdf(token: str, request: Request, session: DB):
    try:
        report = _shared(request, session, token)
    except DomainError as exc:
        return _gone(exc)
    return Response(render.pdf(report), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{delivery.filename(report)}"',
                             "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


@router.get("/reports.css", dependencies=[Depends(public)])
def stylesheet():
    return Response(render.CSS.read_text(), media_type="text/css", headers={"Cache-Control": "public, max-age=300"})
