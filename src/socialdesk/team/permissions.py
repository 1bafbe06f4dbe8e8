"""Who may see and change the team."""

from socialdesk.kit.authz import INTERNAL_ROLES, Scope, permission

TEAM_VIEW = permission(
    "team.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False, description="See who works on a client"
)
TEAM_MANAGE = permission(
    "team.manage", scope=Scope.CLIENT, writes=True, description="Give or take a role on a client (directors)"
)
USERS_VIEW = permission("users.view", scope=Scope.AGENCY, writes=False, description="See every account")
USERS_MANAGE = permission(
    "users.manage", scope=Scope.AGENCY, writes=True, description="Invite people, change agency roles, deactivate"
)
