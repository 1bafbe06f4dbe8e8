"""Who may see and change a client and its brand profile."""

from socialdesk.kit.authz import ALL_ROLES, INTERNAL_ROLES, Role, Scope, permission

CLIENTS_LIST = permission(
    "clients.list", scope=Scope.USER, writes=False, description="List the clients you work on (directors: all)"
)
CLIENT_CREATE = permission("clients.create", scope=Scope.AGENCY, writes=True, description="Add a client")
CLIENT_VIEW = permission(
    "clients.view", scope=Scope.CLIENT, roles=ALL_ROLES, writes=False, description="See a client's name and home page"
)
CLIENT_ARCHIVE = permission(
    "clients.archive", scope=Scope.CLIENT, writes=True, description="Archive or restore a client (directors)"
)
BRAND_VIEW = permission(
    "clients.brand.view",
    scope=Scope.CLIENT,
    roles=INTERNAL_ROLES,
    writes=False,
    description="See the brand profile: voice, personas, demographics, KPIs, office hours, contacts",
)
BRAND_EDIT = permission(
    "clients.brand.edit", scope=Scope.CLIENT, roles={Role.MANAGER}, writes=True, description="Change the brand profile"
)
LOG_VIEW = permission(
    "clients.log.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False, description="Read the client log"
)
LOG_WRITE = permission(
    "clients.log.write",
    scope=Scope.CLIENT,
    roles={Role.MANAGER, Role.COMMUNITY_MANAGER},
    writes=True,
    description="Add meetings, notes, requests and news to the client log",
)
OVERVIEW_VIEW = permission(
    "agency.overview", scope=Scope.USER, writes=False, description="See the overview of the clients you work on"
)
