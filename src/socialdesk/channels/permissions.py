"""Who may see and connect a client's channels."""

from socialdesk.kit.authz import INTERNAL_ROLES, Role, Scope, permission

CHANNELS_VIEW = permission(
    "channels.view",
    scope=Scope.CLIENT,
    roles=INTERNAL_ROLES,
    writes=False,
    description="See a client's connected channels and their health",
)
CHANNELS_MANAGE = permission(
    "channels.manage",
    scope=Scope.CLIENT,
    roles={Role.MANAGER},
    writes=True,
    description="Connect, check and disconnect a client's channels",
)
