"""Clients and their brand profiles: plain functions over a session."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.clients.models import Client, Contact, KpiTarget, LogEntry, OfficeHoursSlot, Persona
from socialdesk.clients.schemas import ClientCreate, ClientUpdate, LogEntryIn, OfficeHoursIn
from socialdesk.kit import children
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import Conflict, InvalidInput, NotFound

# Re-exported so callers write clients_service.personas... without knowing the helper.
list_children, get_child, create_child, replace_child, delete_child = (
    children.list_for,
    children.get_for,
    children.create_for,
    children.replace_for,
    children.delete_for,
)
CHILD_MODELS = {"personas": Persona, "kpi_targets": KpiTarget, "contacts": Contact}


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _check_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    existing = session.scalar(select(Client).where(Client.name_key == _name_key(name)))
    if existing is not None and existing.id != except_id:
        raise Conflict(f"a client named {existing.name!r} already exists; choose another name", field="name")


def list_visible(*, session: Session, principal: Principal, include_archived: bool = False) -> list[Client]:
    """The clients this person works on (all of them for directors), by name."""
    return list(session.scalars(_visible(select(Client), principal, include_archived)))


def brief_visible(*, session: Session, principal: Principal):
    """(id, name, timezone) of ``list_visible``'s clients, without their profiles: for list pages that only
    name them (a director's inbox names fifty)."""
    return session.execute(_visible(select(Client.id, Client.name, Client.timezone), principal, False)).all()


def _visible(query, principal: Principal, include_archived: bool):
    query = query.order_by(Client.name_key)
    if not include_archived:
        query = query.where(Client.archived.is_(False))
    if not principal.is_director:
        query = query.where(Client.id.in_(list(principal.client_roles)))
    return query


def get(*, session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    return client


def get_by_name(*, session: Session, name: str) -> Client | None:
    return session.scalar(select(Client).where(Client.name_key == _name_key(name)))


def create(*, session: Session, data: ClientCreate) -> Client:
    _check_name_free(session, data.name)
    fields = data.model_dump(mode="json")
    client = Client(**fields, name_key=_name_key(data.name))
    session.add(client)
    session.flush()
    return client


def update(*, session: Session, client_id: int, data: ClientUpdate) -> Client:
    client = get(session=session, client_id=client_id)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if changes.get("name") is not None:
        _check_name_free(session, changes["name"], except_id=client.id)
        client.name_key = _name_key(changes["name"])
    words_use = changes.get("words_to_use", client.words_to_use) or []
    words_avoid = changes.get("words_to_avoid", client.words_to_avoid) or []
    clash = {w.lower() for w in words_use} & {w.lower() for w in words_avoid}
    if clash:
        raise InvalidInput.on(
            "words_to_avoid", f"{', '.join(sorted(clash))} would be both a word to use and a word to avoid"
        )
    for key, value in changes.items():
        if value is None and key not in {"max_hashtags"}:
            continue
        setattr(client, key, value)
    session.flush()
    return client


def set_archived(*, session: Session, client_id: int, archived: bool) -> Client:
    client = get(session=session, client_id=client_id)
    client.archived = archived
    session.flush()
    return client


def set_office_hours(*, session: Session, client_id: int, data: OfficeHoursIn) -> Client:
    """Replace the client's weekly office hours, time zone and outside-hours message at once."""
    client = get(session=session, client_id=client_id)
    client.timezone = data.timezone
    client.outside_hours_message = data.outside_hours_message
    client.office_hours.clear()
    session.flush()
    for slot in data.slots:
        client.office_hours.append(OfficeHoursSlot(weekday=slot.weekday, start=slot.start, end=slot.end))
    session.flush()
    return client


def is_open(client: Client, at: datetime) -> bool:
    """Whether ``at`` (any aware datetime) falls inside the client's office hours."""
    local = at.astimezone(ZoneInfo(client.timezone))
    now = local.time().replace(tzinfo=None)
    return any(s.weekday == local.weekday() and s.start <= now < s.end for s in client.office_hours)


def add_log_entry(*, session: Session, client_id: int, author_id: int, data: LogEntryIn) -> LogEntry:
    get(session=session, client_id=client_id)
    entry = LogEntry(client_id=client_id, author_id=author_id, **data.model_dump())
    session.add(entry)
    session.flush()
    return entry


def list_log(*, session: Session, client_id: int, kind: str | None = None, limit: int = 200) -> list[LogEntry]:
    query = select(LogEntry).where(LogEntry.client_id == client_id)
    if kind:
        query = query.where(LogEntry.kind == kind)
    return list(session.scalars(query.order_by(LogEntry.occurred_on.desc(), LogEntry.id.desc()).limit(limit)))


def delete_log_entry(*, session: Session, client_id: int, entry_id: int) -> None:
    children.delete_for(session, LogEntry, client_id, entry_id)
