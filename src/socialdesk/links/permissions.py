"""Who makes tracked links, who reads their numbers, who sets a client's tracking choices.

Writers (managers, community managers, content creators) make and archive links; analysts read
them; client approvers read the client's aggregate numbers (clicks, conversions), nothing else.
Only managers change the privacy opt-ins and the conversion secret.
"""

from socialdesk.kit.authz import ALL_ROLES, INTERNAL_ROLES, Role, Scope, permission

LINK_WRITERS = {Role.MANAGER, Role.COMMUNITY_MANAGER, Role.CONTENT_CREATOR}

LINKS_VIEW = permission(
    "links.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="See a client's tracked links, their destinations and numbers, and preview UTM links",
)
LINKS_WRITE = permission(
    "links.write", scope=Scope.CLIENT, roles=LINK_WRITERS, writes=True,
    description="Make and archive a client's tracked links",
)
LINKS_STATS = permission(
    "links.stats", scope=Scope.CLIENT, roles=ALL_ROLES, writes=False,
    description="Read a client's click and conversion counts per day, link, campaign or network",
)
LINKS_SETTINGS = permission(
    "links.settings", scope=Scope.CLIENT, roles={Role.MANAGER}, writes=True,
    description="Set a client's link tracking: visitor hashing, conversion attribution, pixel origins, "
                "the conversion secret",
)
