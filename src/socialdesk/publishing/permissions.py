"""Who may write, approve, schedule and publish a client's posts."""

from socialdesk.kit.authz import ALL_ROLES, Role, Scope, permission

WRITERS = {Role.MANAGER, Role.COMMUNITY_MANAGER, Role.CONTENT_CREATOR}

POSTS_VIEW = permission(
    "posts.view", scope=Scope.CLIENT, roles=ALL_ROLES, writes=False,
    description="See the client's posts, calendar and their history (client approvers too)",
)
POSTS_WRITE = permission(
    "posts.write", scope=Scope.CLIENT, roles=WRITERS, writes=True,
    description="Write, edit, submit and schedule posts; upload media",
)
POSTS_APPROVE = permission(
    "posts.approve", scope=Scope.CLIENT, roles={Role.MANAGER, Role.CLIENT_APPROVER}, writes=True,
    description="Approve a post or ask for changes (directors decide on major campaigns)",
)
POSTS_COMMENT = permission(
    "posts.comment", scope=Scope.CLIENT, roles=ALL_ROLES, writes=True, description="Comment on a post",
)
PUBLISHING_MANAGE = permission(
    "publishing.manage", scope=Scope.CLIENT, roles={Role.MANAGER}, writes=True,
    description="Set the approval policy, queues and campaigns; pause and resume publishing",
)
PUBLISHING_PAUSE = permission(
    "publishing.pause", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="Pause all of a client's scheduled publishing (a crisis)",
)
CALENDAR_VIEW = permission(
    "calendar.view", scope=Scope.USER, writes=False, description="See the calendar across the clients you work on",
)
NOTIFICATIONS_VIEW = permission(
    "notifications.view", scope=Scope.USER, writes=False, description="See your notifications",
)
NOTIFICATIONS_READ = permission(
    "notifications.read", scope=Scope.USER, writes=True, description="Mark your notifications read",
)
