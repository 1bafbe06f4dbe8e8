"""Who sees and feeds a client's analytics.

Client approvers see their own client's figures (the reports are made for them); they never
collect, import or change settings. Collecting and importing are for managers and analysts.
"""

from socialdesk.kit.authz import ALL_ROLES, Role, Scope, permission

ANALYTICS_VIEW = permission(
    "analytics.view", scope=Scope.CLIENT, roles=ALL_ROLES, writes=False,
    description="Read a client's metric snapshots, series and paid results, and how collection went",
)
ANALYTICS_COLLECT = permission(
    "analytics.collect", scope=Scope.CLIENT, roles={Role.MANAGER, Role.ANALYST}, writes=True,
    description="Collect a channel's metrics now and choose which posts are tracked",
)
ANALYTICS_IMPORT = permission(
    "analytics.import", scope=Scope.CLIENT, roles={Role.MANAGER, Role.ANALYST}, writes=True,
    description="Import post metrics and paid results from CSV files",
)
ANALYTICS_SETTINGS = permission(
    "analytics.settings", scope=Scope.CLIENT, roles={Role.MANAGER}, writes=True,
    description="Set the client's reporting currency",
)
