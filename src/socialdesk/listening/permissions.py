"""Who listens for a client: every internal role reads; managers, community managers and analysts (who
run the research) write the queries and import mentions; client approvers never see listening."""

from socialdesk.kit.authz import INTERNAL_ROLES, Role, Scope, permission

_EDITORS = {Role.MANAGER, Role.COMMUNITY_MANAGER, Role.ANALYST}

LISTENING_VIEW = permission(
    "listening.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="Read a client's listening queries and the mentions they matched",
)
LISTENING_CHECK = permission(
    "listening.check", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=True,  # a POST, like the composer's check
    description="Check the syntax of a listening query (nothing is stored)",
)
LISTENING_MANAGE = permission(
    "listening.manage", scope=Scope.CLIENT, roles=_EDITORS, writes=True,
    description="Add, change, switch off and delete a client's listening queries",
)
LISTENING_IMPORT = permission(
    "listening.import", scope=Scope.CLIENT, roles=_EDITORS, writes=True,
    description="Import mentions from a CSV or JSONL file (matched against the client's queries)",
)

# -- sources (feeds, Mastodon timelines, the Bluesky firehose) ---------------------------------------
LISTENING_SOURCES_VIEW = permission(
    "listening.sources.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="See the feeds and timelines listened to for a client, with their last error and report",
)
LISTENING_SOURCES_MANAGE = permission(
    "listening.sources.manage", scope=Scope.CLIENT, roles=_EDITORS, writes=True,
    description="Add and remove the feeds and Mastodon timelines listened to for a client",
)
LISTENING_AGENCY_SOURCES = permission(
    "listening.sources.agency", scope=Scope.AGENCY, writes=False,
    description="See the agency-wide listening sources (the Bluesky firehose, shared feeds)",
)
LISTENING_AGENCY_SOURCES_MANAGE = permission(
    "listening.sources.agency.manage", scope=Scope.AGENCY, writes=True,
    description="Add and remove agency-wide listening sources (the Bluesky firehose, shared feeds)",
)
