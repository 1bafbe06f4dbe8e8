"""Who reads and who shapes client reports.

Everyone on the client reads its reports (client approvers included: reports are made for them).
Managers and analysts write definitions, send them and make share links; the agency's own branding
is for directors.
"""

from socialdesk.kit.authz import ALL_ROLES, Role, Scope, permission

REPORTS_VIEW = permission(
    "reports.view", scope=Scope.CLIENT, roles=ALL_ROLES, writes=False,
    description="Read a client's report definitions and render its reports (page, PDF, JSON)",
)
REPORTS_MANAGE = permission(
    "reports.manage", scope=Scope.CLIENT, roles={Role.MANAGER, Role.ANALYST}, writes=True,
    description="Write report definitions and the client's logo, send reports, make and withdraw share links",
)
BRANDING_VIEW = permission(
    "reports.branding.view", scope=Scope.USER, writes=False,
    description="See the agency's name and colour on reports",
)
BRANDING_MANAGE = permission(
    "reports.branding.manage", scope=Scope.AGENCY, writes=True,
    description="Set the agency's name, colour and logo on reports",
)
SHARES_VIEW = permission(
    "reports.shares.view", scope=Scope.CLIENT, roles={Role.MANAGER, Role.ANALYST}, writes=False,
    description="List a client's report share links (never their tokens)",
)
