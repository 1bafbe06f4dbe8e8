"""Imports every domain's tables so metadata (and Alembic) sees them all."""

from socialdesk.analytics import models as analytics_models  # noqa: F401
from socialdesk.auth import models as auth_models  # noqa: F401
from socialdesk.channels import models as channels_models  # noqa: F401
from socialdesk.clients import models as clients_models  # noqa: F401
from socialdesk.crisis import models as crisis_models  # noqa: F401
from socialdesk.inbox import models as inbox_models  # noqa: F401
from socialdesk.links import models as links_models  # noqa: F401
from socialdesk.listening import models as listening_models  # noqa: F401
from socialdesk.notify import models as notify_models  # noqa: F401
from socialdesk.publishing import models as publishing_models  # noqa: F401
from socialdesk.reports import models as reports_models  # noqa: F401
from socialdesk.team import models as team_models  # noqa: F401
from socialdesk.vault import models as vault_models  # noqa: F401
from socialdesk.db import Base

metadata = Base.metadata
