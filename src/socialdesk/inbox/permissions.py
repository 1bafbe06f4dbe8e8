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
INBOX_BULK = permission(
    "inbox.bulk", scope=Scope.USER, writes=True,
    description="Triage many conversations at once (each only on a client where you may triage; all or nothing)",
)
INBOX_SETTINGS = permission(
    "inbox.settings", scope=Scope.CLIENT, roles={Role.MANAGER}, writes=True,
    description="Change a client's inbox rules: response-time promise and clock, urgency, outside-hours reply, "
                "handoff destinations",
)
INBOX_REPORT = permission(
    "inbox.report", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="The response-time report of a client's inbox (per client and per member)",
)
INBOX_REPORT_ALL = permission(
    "inbox.report_all", scope=Scope.USER, writes=False,
    description="The response-time report across every client you work on (never clients you only approve for)",
)
INBOX_REPLY = permission(
    "inbox.reply", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="Answer inbox conversations through the network, and retry a reply that failed",
)
SAVED_REPLIES_MANAGE = permission(
    "inbox.saved_replies", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="See, add, change and delete the client's saved replies",
)
SAVED_REPLIES_VIEW = permission(
    "inbox.saved_replies.view", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=False,
    description="List the client's saved replies",
)
INBOX_HANDOFF = permission(
    "inbox.handoff", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="Hand a conversation to sales (a lead) or customer service (a support case)",
)
VOICE_CHECK = permission(
    "clients.voice.check", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=True,
    description="Check a text against the client's brand voice (the composer and the reply form do)",
)
