"""Everyone manages where their own notifications go; nobody sees anyone else's targets or rules."""

from socialdesk.kit.authz import ALL_ROLES, Scope, permission

PUSH_VIEW = permission(
    "push.view", scope=Scope.USER, writes=False,
    description="See your push targets (masked), your quiet-hour and mute rules and what was pushed",
)
PUSH_MANAGE = permission(
    "push.manage", scope=Scope.USER, writes=True,
    description="Add, test and remove your push targets; set your quiet hours and mutes",
)
PUSH_CLIENT_RULE = permission(
    "push.client_rule", scope=Scope.CLIENT, roles=ALL_ROLES, writes=True,
    description="Set your own push rule (mute, urgent only, quiet hours) for a client you work on",
)
