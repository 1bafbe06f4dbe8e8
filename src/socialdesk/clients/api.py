"""JSON routes for clients and their brand profile."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Contact, KpiTarget, Persona
from socialdesk.clients.permissions import (
    BRAND_EDIT,
    BRAND_VIEW,
    CLIENT_ARCHIVE,
    CLIENT_CREATE,
    CLIENT_VIEW,
    CLIENTS_LIST,
    LOG_VIEW,
    LOG_WRITE,
)
from socialdesk.clients.schemas import (
    ClientCreate,
    ClientOut,
    ClientSummary,
    ClientUpdate,
    ContactIn,
    ContactOut,
    KpiTargetIn,
    KpiTargetOut,
    LogEntryIn,
    LogEntryOut,
    LogKind,
    OfficeHoursIn,
    OfficeHoursOut,
    PersonaIn,
    PersonaOut,
)
from socialdesk.kit.authz import Principal
from socialdesk.web.deps import RowId, get_db, require

router = APIRouter(prefix="/api/clients", tags=["clients"])
DB = Annotated[Session, Depends(get_db)]


@router.get("", response_model=list[ClientSummary])
def list_clients(
    session: DB, principal: Principal = Depends(require(CLIENTS_LIST)), include_archived: bool = False
):
    """The clients you work on (agency directors see all)."""
    return clients_service.list_visible(session=session, principal=principal, include_archived=include_archived)


@router.post("", response_model=ClientOut, status_code=201, dependencies=[Depends(require(CLIENT_CREATE))])
def create_client(data: ClientCreate, session: DB):
    """Add a client with its brand voice; the name must be new."""
    return clients_service.create(session=session, data=data)


@router.get("/{client_id}", response_model=ClientSummary, dependencies=[Depends(require(CLIENT_VIEW))])
def get_client(client_id: RowId, session: DB):
    return clients_service.get(session=session, client_id=client_id)


@router.get("/{client_id}/profile", response_model=ClientOut, dependencies=[Depends(require(BRAND_VIEW))])
def get_profile(client_id: RowId, session: DB):
    """The whole brand profile: voice, personas, demographics, KPI targets, office hours, contacts."""
    return clients_service.get(session=session, client_id=client_id)


@router.patch("/{client_id}", response_model=ClientOut, dependencies=[Depends(require(BRAND_EDIT))])
def update_client(client_id: RowId, data: ClientUpdate, session: DB):
    """Change any of the client's fields and brand voice."""
    return clients_service.update(session=session, client_id=client_id, data=data)


@router.post("/{client_id}/archive", response_model=ClientSummary, dependencies=[Depends(require(CLIENT_ARCHIVE))])
def archive_client(client_id: RowId, session: DB):
    return clients_service.set_archived(session=session, client_id=client_id, archived=True)


@router.post("/{client_id}/restore", response_model=ClientSummary, dependencies=[Depends(require(CLIENT_ARCHIVE))])
def restore_client(client_id: RowId, session: DB):
    return clients_service.set_archived(session=session, client_id=client_id, archived=False)


@router.get("/{client_id}/office-hours", response_model=OfficeHoursOut, dependencies=[Depends(require(BRAND_VIEW))])
def get_office_hours(client_id: RowId, session: DB):
    client = clients_service.get(session=session, client_id=client_id)
    return OfficeHoursOut(
        timezone=client.timezone, slots=client.office_hours, outside_hours_message=client.outside_hours_message
    )


@router.put("/{client_id}/office-hours", response_model=OfficeHoursOut, dependencies=[Depends(require(BRAND_EDIT))])
def set_office_hours(client_id: RowId, data: OfficeHoursIn, session: DB):
    """Replace the weekly office hours (in the given time zone) and the outside-hours message."""
    client = clients_service.set_office_hours(session=session, client_id=client_id, data=data)
    return OfficeHoursOut(
        timezone=client.timezone, slots=client.office_hours, outside_hours_message=client.outside_hours_message
    )


def _child_routes(path: str, model, schema_in: type[BaseModel], schema_out: type[BaseModel], label: str) -> None:
    """List/create/get/replace/delete routes for one kind of brand-profile row."""
    id_path = f"/{{client_id}}/{path}/{{item_id}}"

    def list_items(client_id: RowId, session: DB):
        clients_service.get(session=session, client_id=client_id)
        return clients_service.list_children(session, model, client_id)

    def create_item(client_id: RowId, data: schema_in, session: DB):  # type: ignore[valid-type]
        clients_service.get(session=session, client_id=client_id)
        return clients_service.create_child(session, model, client_id, data)

    def get_item(client_id: RowId, item_id: RowId, session: DB):
        return clients_service.get_child(session, model, client_id, item_id)

    def replace_item(client_id: RowId, item_id: RowId, data: schema_in, session: DB):  # type: ignore[valid-type]
        return clients_service.replace_child(session, model, client_id, item_id, data)

    def delete_item(client_id: RowId, item_id: RowId, session: DB):
        clients_service.delete_child(session, model, client_id, item_id)

    view, edit = [Depends(require(BRAND_VIEW))], [Depends(require(BRAND_EDIT))]
    name = path.replace("-", "_")
    router.add_api_route(f"/{{client_id}}/{path}", list_items, methods=["GET"], response_model=list[schema_out],
                         dependencies=view, name=f"list_{name}", summary=f"List {label}s")
    router.add_api_route(f"/{{client_id}}/{path}", create_item, methods=["POST"], response_model=schema_out,
                         status_code=201, dependencies=edit, name=f"create_{name}", summary=f"Add a {label}")
    router.add_api_route(id_path, get_item, methods=["GET"], response_model=schema_out, dependencies=view,
                         name=f"get_{name}", summary=f"Get a {label}")
    router.add_api_route(id_path, replace_item, methods=["PUT"], response_model=schema_out, dependencies=edit,
                         name=f"replace_{name}", summary=f"Replace a {label}")
    router.add_api_route(id_path, delete_item, methods=["DELETE"], status_code=204, dependencies=edit,
                         name=f"delete_{name}", summary=f"Delete a {label}")


_child_routes("personas", Persona, PersonaIn, PersonaOut, "persona")
_child_routes("kpi-targets", KpiTarget, KpiTargetIn, KpiTargetOut, "KPI target")
_child_routes("contacts", Contact, ContactIn, ContactOut, "contact")


def _log_out(entry) -> LogEntryOut:
    return LogEntryOut(
        id=entry.id,
        client_id=entry.client_id,
        kind=entry.kind,
        occurred_on=entry.occurred_on,
        title=entry.title,
        body=entry.body,
        author_name=entry.author.name if entry.author else None,
        created_at=entry.created_at,
    )


@router.get("/{client_id}/log", response_model=list[LogEntryOut], dependencies=[Depends(require(LOG_VIEW))])
def list_log(client_id: RowId, session: DB, kind: LogKind | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    """The client log, newest first."""
    clients_service.get(session=session, client_id=client_id)
    return [_log_out(e) for e in clients_service.list_log(session=session, client_id=client_id, kind=kind, limit=limit)]


@router.post("/{client_id}/log", response_model=LogEntryOut, status_code=201)
def add_log(client_id: RowId, data: LogEntryIn, session: DB, principal: Principal = Depends(require(LOG_WRITE))):
    """Record a meeting, note, request or piece of news, signed by you."""
    entry = clients_service.add_log_entry(session=session, client_id=client_id, author_id=principal.user_id, data=data)
    return _log_out(entry)


@router.delete("/{client_id}/log/{entry_id}", status_code=204, dependencies=[Depends(require(LOG_WRITE))])
def delete_log(client_id: RowId, entry_id: RowId, session: DB):
    clients_service.delete_log_entry(session=session, client_id=client_id, entry_id=entry_id)
