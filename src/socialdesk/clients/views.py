"""Web pages for the agency overview, clients and their brand profile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.channels.permissions import CHANNELS_VIEW
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Contact, KpiTarget, Persona
from socialdesk.clients.permissions import (
    BRAND_EDIT,
    BRAND_VIEW,
    CLIENT_CREATE,
    CLIENT_VIEW,
    LOG_VIEW,
    LOG_WRITE,
    OVERVIEW_VIEW,
)
from socialdesk.clients.schemas import (
    ClientCreate,
    ClientUpdate,
    ContactIn,
    DemographicDimension,
    EmojiPolicy,
    KpiMetric,
    KpiPeriod,
    KpiTargetIn,
    LogEntryIn,
    LogKind,
    Network,
    OfficeHoursIn,
    PersonaIn,
)
from socialdesk.kit.authz import Principal
from socialdesk.team import service as team_service
from socialdesk.team.permissions import TEAM_MANAGE, TEAM_VIEW
from socialdesk.web.deps import RowId, get_db, require
from socialdesk.web.forms import collect_errors, form_data, form_fields, form_rows, validate
from socialdesk.web.templating import render

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
Form = Annotated[FormData, Depends(form_data)]

VOICE_FORM = {"optional": ("max_hashtags",)}
DEMOGRAPHIC_COLUMNS = ("dimension", "value", "share_percent")
SLOT_COLUMNS = ("weekday", "start", "end")
CHOICES = {
    "emoji": [(p.value, p.value.capitalize()) for p in EmojiPolicy],
    "networks": [(n.value, n.value.capitalize() if n is not Network.X else "X") for n in Network],
    "metrics": [(m.value, m.label) for m in KpiMetric],
    "periods": [(p.value, p.value) for p in KpiPeriod],
    "dimensions": [(d.value, d.value.capitalize()) for d in DemographicDimension],
    "log_kinds": [(k.value, k.value.capitalize()) for k in LogKind],
}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def client_page(
    request: Request, session: Session, client_id: int, template: str, context: dict | None = None, status: int = 200
):
    """Render a page inside a client: adds the client, the client switcher and what the viewer may do there."""
    principal: Principal = request.state.principal
    client = clients_service.get(session=session, client_id=client_id)
    may = {
        "view_brand": principal.can(BRAND_VIEW, client.id),
        "edit_brand": principal.can(BRAND_EDIT, client.id),
        "view_log": principal.can(LOG_VIEW, client.id),
        "write_log": principal.can(LOG_WRITE, client.id),
        "view_team": principal.can(TEAM_VIEW, client.id),
        "view_channels": principal.can(CHANNELS_VIEW, client.id),
        "manage_team": principal.can(TEAM_MANAGE, client.id),
    }
    switcher = clients_service.list_visible(session=session, principal=principal)
    ctx = {"client": client, "switcher": switcher, "may": may, "choices": CHOICES, **(context or {})}
    return render(request, template, ctx, status)


def values_of(obj, schema: type[BaseModel]) -> dict:
    """The stored values of ``obj`` for the fields of ``schema`` (to fill an edit form)."""
    return {name: getattr(obj, name) for name in schema.model_fields if hasattr(obj, name)}


# --- agency overview and new clients --------------------------------------------------------


@router.get("/")
def overview(request: Request, session: DB, principal: Principal = Depends(require(OVERVIEW_VIEW))):
    """The clients this person works on, their KPI targets and team."""
    rows = team_service.overview(session=session, principal=principal)
    return render(request, "clients/overview.html", {"rows": rows, "can_create": principal.can(CLIENT_CREATE)})


def _client_form(form: FormData, schema: type[BaseModel]) -> tuple[dict, list[dict]]:
    """The client fields and demographic rows of the new-client and brand forms."""
    values = form_fields(form, schema, **VOICE_FORM)
    rows = form_rows(form, "demographics", DEMOGRAPHIC_COLUMNS, blank_if_empty=("value", "share_percent"))
    values["demographics"] = rows
    return values, rows


@router.get("/clients/new", dependencies=[Depends(require(CLIENT_CREATE))])
def new_client(request: Request):
    """The form to add a client."""
    defaults = {name: f.default for name, f in ClientCreate.model_fields.items() if not f.is_required()}
    return render(request, "clients/new.html", {"values": defaults, "errors": {}, "choices": CHOICES, "rows": []})


@router.post("/clients/new", dependencies=[Depends(require(CLIENT_CREATE))])
def create_client(request: Request, session: DB, form: Form):
    """Add a client, then open its home page."""
    values, rows = _client_form(form, ClientCreate)
    with collect_errors(session) as errors:
        client = clients_service.create(session=session, data=validate(ClientCreate, values))
        return see_other(f"/clients/{client.id}")
    ctx = {"values": values, "errors": errors, "choices": CHOICES, "rows": rows}
    return render(request, "clients/new.html", ctx, 422)


# --- client home and brand profile ------------------------------------------------------------


@router.get("/clients/{client_id}", dependencies=[Depends(require(CLIENT_VIEW))])
def client_home(client_id: int, request: Request, session: DB):
    """The client's home: everything at a glance (a reduced page for client approvers)."""
    client = clients_service.get(session=session, client_id=client_id)
    context = {
        "is_open": clients_service.is_open(client, datetime.now(UTC)),
        "log": clients_service.list_log(session=session, client_id=client_id, limit=5),
        "members": team_service.list_members(session=session, client_id=client_id),
    }
    return client_page(request, session, client_id, "clients/home.html", context)


@router.get("/clients/{client_id}/brand", dependencies=[Depends(require(BRAND_VIEW))])
def brand(client_id: int, request: Request, session: DB):
    """The brand profile (read-only for those who may not change it)."""
    client = clients_service.get(session=session, client_id=client_id)
    values = values_of(client, ClientUpdate)
    ctx = {"values": values, "errors": {}, "rows": values["demographics"]}
    return client_page(request, session, client_id, "clients/brand.html", ctx)


@router.post("/clients/{client_id}/brand", dependencies=[Depends(require(BRAND_EDIT))])
def save_brand(client_id: int, request: Request, session: DB, form: Form):
    """Save the brand profile."""
    values, rows = _client_form(form, ClientUpdate)
    with collect_errors(session) as errors:
        clients_service.update(session=session, client_id=client_id, data=validate(ClientUpdate, values))
        return see_other(f"/clients/{client_id}/brand?saved=1")
    ctx = {"values": values, "errors": errors, "rows": rows}
    return client_page(request, session, client_id, "clients/brand.html", ctx, 422)


# --- personas, KPI targets, contacts ------------------------------------------------------------


@dataclass(frozen=True)
class ChildKind:
    """One kind of row in a client's brand profile, with its form settings."""

    key: str  # URL segment and template suffix
    model: type
    schema: type[BaseModel]
    label: str
    title: str
    form: dict

    def parse(self, form: FormData) -> dict:
        return form_fields(form, self.schema, **self.form)


CHILD_KINDS = [
    ChildKind("personas", Persona, PersonaIn, "persona", "Personas", {"lists": ("platforms",), "optional": ("age_min", "age_max")}),
    ChildKind("kpis", KpiTarget, KpiTargetIn, "KPI target", "KPI targets", {}),
    ChildKind("contacts", Contact, ContactIn, "contact", "Contacts", {"optional": ("email",), "checkboxes": ("is_primary",)}),
]


def _child_routes(kind: ChildKind) -> None:
    """List, add, edit and delete pages for one kind of brand-profile row."""
    base = f"/clients/{{client_id}}/{kind.key}"

    def page(request, session, client_id, values=None, errors=None, status=200, template="clients/children.html", **extra):
        items = clients_service.list_children(session, kind.model, client_id)
        ctx = {"kind": kind, "items": items, "values": values or {}, "errors": errors or {}, **extra}
        return client_page(request, session, client_id, template, ctx, status)

    def list_items(client_id: int, request: Request, session: DB):
        return page(request, session, client_id)

    def add_item(client_id: int, request: Request, session: DB, form: Form):
        values = kind.parse(form)
        with collect_errors(session) as errors:
            clients_service.create_child(session, kind.model, client_id, validate(kind.schema, values))
            return see_other(f"/clients/{client_id}/{kind.key}")
        return page(request, session, client_id, values, errors, 422)

    def edit_item(client_id: int, item_id: RowId, request: Request, session: DB):
        item = clients_service.get_child(session, kind.model, client_id, item_id)
        return page(request, session, client_id, values_of(item, kind.schema), item=item, template="clients/child_edit.html")

    def save_item(client_id: int, item_id: RowId, request: Request, session: DB, form: Form):
        item = clients_service.get_child(session, kind.model, client_id, item_id)
        values = kind.parse(form)
        with collect_errors(session) as errors:
            clients_service.replace_child(session, kind.model, client_id, item_id, validate(kind.schema, values))
            return see_other(f"/clients/{client_id}/{kind.key}")
        return page(request, session, client_id, values, errors, 422, item=item, template="clients/child_edit.html")

    def delete_item(client_id: int, item_id: RowId, session: DB):
        clients_service.delete_child(session, kind.model, client_id, item_id)
        return see_other(f"/clients/{client_id}/{kind.key}")

    view, edit = [Depends(require(BRAND_VIEW))], [Depends(require(BRAND_EDIT))]
    for path, endpoint, method, deps in [
        (base, list_items, "GET", view),
        (base, add_item, "POST", edit),
        (f"{base}/{{item_id}}/edit", edit_item, "GET", edit),
        (f"{base}/{{item_id}}", save_item, "POST", edit),
        (f"{base}/{{item_id}}/delete", delete_item, "POST", edit),
    ]:
        endpoint.__doc__ = f"{endpoint.__name__.replace('_', ' ').capitalize()}: {kind.title.lower()}."
        router.add_api_route(path, endpoint, methods=[method], dependencies=deps, name=f"{endpoint.__name__}_{kind.key}")


for _kind in CHILD_KINDS:
    _child_routes(_kind)


# --- office hours -----------------------------------------------------------------------------


@router.get("/clients/{client_id}/office-hours", dependencies=[Depends(require(BRAND_VIEW))])
def office_hours(client_id: int, request: Request, session: DB):
    """The weekly office hours editor."""
    client = clients_service.get(session=session, client_id=client_id)
    values = {"timezone": client.timezone, "outside_hours_message": client.outside_hours_message}
    rows = [{"weekday": s.weekday, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"} for s in client.office_hours]
    ctx = {"values": values, "rows": rows, "errors": {}, "is_open": clients_service.is_open(client, datetime.now(UTC))}
    return client_page(request, session, client_id, "clients/office_hours.html", ctx)


@router.post("/clients/{client_id}/office-hours", dependencies=[Depends(require(BRAND_EDIT))])
def save_office_hours(client_id: int, request: Request, session: DB, form: Form):
    """Replace the weekly office hours, time zone and outside-hours message."""
    values = form_fields(form, OfficeHoursIn)
    rows = form_rows(form, "slots", SLOT_COLUMNS, blank_if_empty=("start", "end"))
    with collect_errors(session) as errors:
        data = validate(OfficeHoursIn, {**values, "slots": rows})
        clients_service.set_office_hours(session=session, client_id=client_id, data=data)
        return see_other(f"/clients/{client_id}/office-hours?saved=1")
    ctx = {"values": values, "rows": rows, "errors": errors, "is_open": None}
    return client_page(request, session, client_id, "clients/office_hours.html", ctx, 422)


# --- client log -------------------------------------------------------------------------------


def _log_page(request: Request, session: Session, client_id: int, kind: str | None, values: dict, errors: dict, status=200):
    kind = kind if kind in LogKind.__members__.values() else None
    entries = clients_service.list_log(session=session, client_id=client_id, kind=kind)
    ctx = {"entries": entries, "kind": kind or "", "values": values, "errors": errors}
    return client_page(request, session, client_id, "clients/log.html", ctx, status)


@router.get("/clients/{client_id}/log", dependencies=[Depends(require(LOG_VIEW))])
def log(client_id: int, request: Request, session: DB, kind: str | None = None):
    """The client log, newest first, optionally of one kind."""
    values = {"kind": LogKind.NOTE.value, "occurred_on": date.today().isoformat()}
    return _log_page(request, session, client_id, kind, values, {})


@router.post("/clients/{client_id}/log")
def add_log(client_id: int, request: Request, session: DB, form: Form, principal: Principal = Depends(require(LOG_WRITE))):
    """Add a signed entry to the client log."""
    values = form_fields(form, LogEntryIn)
    with collect_errors(session) as errors:
        data = validate(LogEntryIn, values)
        clients_service.add_log_entry(session=session, client_id=client_id, author_id=principal.user_id, data=data)
        return see_other(f"/clients/{client_id}/log")
    return _log_page(request, session, client_id, None, values, errors, 422)


@router.post("/clients/{client_id}/log/{entry_id}/delete", dependencies=[Depends(require(LOG_WRITE))])
def delete_log(client_id: int, entry_id: RowId, session: DB):
    """Delete a log entry."""
    clients_service.delete_log_entry(session=session, client_id=client_id, entry_id=entry_id)
    return see_other(f"/clients/{client_id}/log")
