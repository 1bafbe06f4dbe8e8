"""What a signed-in person may do with their own account."""

from socialdesk.kit.authz import Scope, permission

ACCOUNT_VIEW = permission("account.view", scope=Scope.USER, writes=False, description="See your own account")
ACCOUNT_TOKENS = permission(
    "account.tokens", scope=Scope.USER, writes=True, description="Create and revoke your own API tokens"
)
