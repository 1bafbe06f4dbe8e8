"""Fill an empty database with the demo agency (demo.data), through the domain services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socialdesk.auth import service as auth_service
from socialdesk.auth.models import User
from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client, Contact, KpiTarget, Persona
from socialdesk.clients.schemas import ClientCreate, ContactIn, KpiTargetIn, LogEntryIn, OfficeHoursIn, PersonaIn
from socialdesk.config import Settings, get_settings
from socialdesk.db import utcnow
from socialdesk.demo.data import CLIENTS, DEFAULT_PASSWORD, PEOPLE, DemoClient, DemoPerson
from socialdesk.kit.authz import AgencyRole
from socialdesk.kit.errors import Conflict
from socialdesk.team import service as team_service

if TYPE_CHECKING:  # the activity module imports most domains: loaded only when a seed needs it
    from socialdesk.demo.activity import ActivitySummary


@dataclass
class DemoAccount:
    email: str
    name: str
    agency_role: str
    roles: list[str]
    created: bool  # False when the account already existed (its password is unchanged)


@dataclass
class DemoResult:
    accounts: list[DemoAccount] = field(default_factory=list)
    clients_created: list[str] = field(default_factory=list)
    clients_kept: list[str] = field(default_factory=list)
    activity: dict[str, ActivitySummary] = field(default_factory=dict)  # per client created, by name


def step_count(*, activity: bool = True) -> int:
    """How many times :func:`seed` calls ``on_step`` (one per client, person, and the client logs; with
    ``activity`` one more per client and one for the inbox escalation)."""
    return len(CLIENTS) + len(PEOPLE) + 1 + ((len(CLIENTS) + 1) if activity else 0)


def _create_client(session: Session, spec: DemoClient) -> Client:
    client = clients_service.create(session=session, data=ClientCreate.model_validate(spec.profile))
    for model, schema, rows in (
        (Persona, PersonaIn, spec.personas),
        (KpiTarget, KpiTargetIn, spec.kpi_targets),
        (Contact, ContactIn, spec.contacts),
    ):
        for row in rows:
            clients_service.create_child(session, model, client.id, schema.model_validate(row))
    slots = [{"weekday": day, "start": start, "end": end} for days, start, end in spec.office_hours for day in days]
    hours = OfficeHoursIn(timezone=client.timezone, slots=slots, outside_hours_message=spec.outside_hours_message)
    return clients_service.set_office_hours(session=session, client_id=client.id, data=hours)


def _create_person(session: Session, person: DemoPerson, password: str, clients: dict[str, Client]) -> User:
    if person.agency_role == AgencyRole.OWNER and not auth_service.has_users(session=session):
        user = auth_service.create_owner(session=session, email=person.email, name=person.name, password=password)
    else:  # an agency that already has its owner gets the demo lead as a director
        role = AgencyRole.DIRECTOR if person.agency_role == AgencyRole.OWNER else person.agency_role
        user = auth_service.create_user(
            session=session, email=person.email, name=person.name, password=password, agency_role=role
        )
    for client_name, role in person.roles.items():
        team_service.set_role(session=session, client_id=clients[client_name].id, user_id=user.id, role=role)
    return user


def _add_log(session: Session, spec: DemoClient, client: Client, users: dict[str, User]) -> None:
    today = utcnow().date()
    for entry in spec.log:
        data = LogEntryIn(
            kind=entry["kind"],
            occurred_on=today - timedelta(days=entry["days_ago"]),
            title=entry["title"],
            body=entry["body"],
        )
        clients_service.add_log_entry(session=session, client_id=client.id, author_id=users[entry["author"]].id, data=data)


def seed(
    *,
    session: Session,
    password: str = DEFAULT_PASSWORD,
    force: bool = False,
    activity: bool = True,
    settings: Settings | None = None,
    now: datetime | None = None,
    on_step: Callable[[str], None] = lambda label: None,
) -> DemoResult:
    """Create the demo clients and team. Refused if any client exists, unless ``force``
    (then only missing clients and accounts are added; existing ones are left as they are).

    With ``activity`` each client created also gets the last eight weeks of activity (demo.activity):
    inbox reviews and their triage, listening queries and mentions, a crisis for one client, analytics
    imports and tracked links, dated relative to ``now``. ``settings``: for the tracked links' addresses
    (the process's settings when not given)."""
    existing = session.scalar(select(func.count(Client.id)))
    if existing and not force:
        raise Conflict(
            f"the database already has {existing} client{'s' if existing != 1 else ''}; the demo only fills an "
            "empty one (use --force to add just the missing demo clients and accounts)"
        )
    auth_service.check_password_strength(password)
    result = DemoResult()
    clients: dict[str, Client] = {}
    for spec in CLIENTS:
        client = clients_service.get_by_name(session=session, name=spec.name)
        if client is None:
            client = _create_client(session, spec)
            result.clients_created.append(spec.name)
        else:
            result.clients_kept.append(spec.name)
        clients[spec.name] = client
        on_step(f"client {spec.name}")

    users: dict[str, User] = {}
    for person in PEOPLE:
        user = auth_service.get_by_email(session=session, email=person.email)
        created = user is None
        if created:
            user = _create_person(session, person, password, clients)
        users[person.email] = user
        roles = [f"{client}: {role.label.lower()}" for client, role in person.roles.items()]
        result.accounts.append(
            DemoAccount(user.email, user.name, user.agency_role, roles or ["every client"], created)
        )
        on_step(f"account {person.email}")

    for spec in CLIENTS:
        if spec.name in result.clients_created:
            _add_log(session, spec, clients[spec.name], users)
    on_step("client logs")
    if not activity:
        return result
    from socialdesk.demo import activity as demo_activity

    now = now or datetime.now(UTC)
    settings = settings or get_settings()
    for spec in CLIENTS:
        if spec.name in result.clients_created:
            result.activity[spec.name] = demo_activity.seed_client(session=session, client=clients[spec.name],
                                                                   users=users, settings=settings, now=now)
        on_step(f"activity {spec.name}")
    demo_activity.escalate(session, now=now)
    on_step("inbox escalation")
    return result
