"""The one authorization check every route and service goes through.

Each domain declares its permissions in its own ``permissions.py`` with :func:`permission`,
naming the client roles that hold it. Agency directors (and the owner) hold every permission
on every client; other people hold a role per client. A principal who has no role on a client
is told the client does not exist (404), one whose role lacks the permission gets 403.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from socialdesk.kit.errors import Forbidden, NotFound


class Role(enum.StrEnum):
    """A person's role on one client."""

    DIRECTOR = "director"
    MANAGER = "manager"
    COMMUNITY_MANAGER = "community_manager"
    CONTENT_CREATOR = "content_creator"
    ANALYST = "analyst"
    CLIENT_APPROVER = "client_approver"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AgencyRole(enum.StrEnum):
    """A person's standing in the agency as a whole."""

    OWNER = "owner"  # the first account; a director who cannot be removed
    DIRECTOR = "director"  # sees and may do everything on every client
    MEMBER = "member"  # sees only the clients they hold a role on


INTERNAL_ROLES = frozenset(Role) - {Role.CLIENT_APPROVER}
ALL_ROLES = frozenset(Role)


class Scope(enum.StrEnum):
    CLIENT = "client"  # checked against the role on the client named in the request
    AGENCY = "agency"  # only agency directors
    USER = "user"  # any signed-in person, about their own things


@dataclass(frozen=True)
class Permission:
    name: str
    scope: Scope
    roles: frozenset[Role]
    writes: bool
    description: str

    def __str__(self) -> str:
        return self.name


REGISTRY: dict[str, Permission] = {}


def permission(name: str, *, scope: Scope, roles=frozenset(), writes: bool, description: str) -> Permission:
    """Declare a permission once, at import of the domain's ``permissions.py``."""
    if name in REGISTRY:
        raise ValueError(f"permission {name!r} is declared twice")
    perm = Permission(name, scope, frozenset(roles) | {Role.DIRECTOR}, writes, description)
    REGISTRY[name] = perm
    return perm


@dataclass
class Principal:
    """Who is asking: a person (through a session or an API token) and their roles."""

    user_id: int
    email: str
    name: str
    agency_role: AgencyRole
    client_roles: dict[int, Role] = field(default_factory=dict)
    read_only: bool = False  # an API token limited to reading

    @property
    def is_director(self) -> bool:
        return self.agency_role in (AgencyRole.OWNER, AgencyRole.DIRECTOR)

    def role_on(self, client_id: int) -> Role | None:
        if self.is_director:
            return Role.DIRECTOR
        return self.client_roles.get(client_id)

    def can(self, perm: Permission, client_id: int | None = None) -> bool:
        try:
            authorize(self, perm, client_id)
        except (Forbidden, NotFound):
            return False
        return True


def authorize(principal: Principal, perm: Permission, client_id: int | None = None) -> None:
    """Raise unless ``principal`` holds ``perm`` (on ``client_id`` for client permissions)."""
    if perm.writes and principal.read_only:
        raise Forbidden(f"this API token is read-only; '{perm.name}' changes data")
    if perm.scope is Scope.USER:
        return
    if perm.scope is Scope.AGENCY:
        if not principal.is_director:
            raise Forbidden(f"only agency directors may do this ('{perm.name}')")
        return
    if client_id is None:
        raise ValueError(f"client permission {perm.name} checked without a client")
    role = principal.role_on(client_id)
    if role is None:
        raise NotFound(f"client {client_id} not found")
    if role not in perm.roles:
        raise Forbidden(f"your role on this client ({role.label}) does not allow '{perm.name}'")
