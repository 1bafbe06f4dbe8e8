"""Who sees crises and who does what in a crisis room: the director decides, the community manager executes.

Client approvers see nothing of crises; they sign holding statements off only where the client's approval
policy asks for them, through the post's ordinary approval (socialdesk.publishing).
"""

from socialdesk.kit.authz import INTERNAL_ROLES, Role, Scope, permission

CRISIS_VIEW = permission(
    "crisis.view", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=False,
    description="See a client's crisis alerts, crisis rooms, timelines, playbooks and post-mortems",
)
CRISIS_ALL = permission(
    "crisis.all", scope=Scope.USER, writes=False,
    description="Crisis alerts across every client you work on (never clients you only approve for)",
)
CRISIS_ACT = permission(
    "crisis.act", scope=Scope.CLIENT, roles={Role.MANAGER, Role.COMMUNITY_MANAGER}, writes=True,
    description="Open a crisis room (from an alert or by hand), log actions, tick off steps, pin mentions, "
                "pause publishing and draft holding statements",
)
CRISIS_NOTE = permission(
    "crisis.note", scope=Scope.CLIENT, roles=INTERNAL_ROLES, writes=True,
    description="Add a note to a crisis timeline",
)
CRISIS_DECIDE = permission(
    "crisis.decide", scope=Scope.CLIENT, roles=set(), writes=True,
    description="Decide the response strategy, change a crisis's type, dismiss an alert, resume publishing "
                "and close a crisis with its post-mortem (directors)",
)
PLAYBOOKS_VIEW = permission(
    "crisis.playbooks.view", scope=Scope.AGENCY, writes=False,
    description="Read the agency's crisis playbooks (directors; the team reads each client's from the client)",
)
PLAYBOOKS_EDIT = permission(
    "crisis.playbooks.edit", scope=Scope.AGENCY, writes=True,
    description="Edit the agency's crisis playbooks (directors)",
)
CLIENT_PLAYBOOKS_EDIT = permission(
    "crisis.client_playbooks.edit", scope=Scope.CLIENT, roles=set(), writes=True,
    description="Give a client its own playbook for a crisis type, or go back to the agency's (directors)",
)
