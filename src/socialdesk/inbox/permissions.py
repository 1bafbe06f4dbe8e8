"""Who sees and works a client's inbox (client approvers never see it)."""

from socialdesk.kit.authz import INTERNAL_ROLES, Role, Scope, permission

INBOX_VIEW = permission(
    "inbox.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="Read a client's inbox: mentions, replies and messages, notes, sync state",
)
INBOX_TRIAGE = permission(
    "inbox.triage", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="Assign, tag, set the status of and annotate inbox conversations; sync a channel now",
)
INBOX_ALL = permission(
    "inbox.all", scope=Scope.USER, writes=False,
    description="The inbox across every client you work on (never clients you only approve for)",
)
