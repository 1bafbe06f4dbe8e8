"""The Channels page of a client: connected channels with their health, connect, check, disconnect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.api import VaultDep
from socialdesk.channels.permissions import CHANNELS_MANAGE, CHANNELS_VIEW
from socialdesk.channels.schemas import SUPPORTED, ChannelConnect, ChannelNetwork
from socialdesk.clients.views import Form, client_page, see_other
from socialdesk.web.deps import RowId, get_db, require
from socialdesk.web.forms import collect_errors, validate

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
FORM_FIELDS = ("network", "base_url", "access_token", "display_name", "handle", "app_password")
SECRET_FIELDS = ("access_token", "app_password")


def _page(request: Request, session: Session, client_id: int, values=None, errors=None, status=200):
    from socialdesk.inbox import service as inbox_service  # the inbox builds on channels, not the other way

    channels = channels_service.list_for(session=session, client_id=client_id)
    ctx = {
        "channels": channels,
        "imported": channels_service.imported_for(session=session, client_id=client_id),
        "syncs": inbox_service.sync_states(session=session, channel_ids=[c.id for c in channels]),
        "networks": [(n.value, n.label, n in SUPPORTED) for n in ChannelNetwork],
        "may_manage": request.state.principal.can(CHANNELS_MANAGE, client_id),
        "values": values or {"network": ChannelNetwork.MASTODON.value},
        "errors": errors or {},
    }
    return client_page(request, session, client_id, "channels/channels.html", ctx, status)


@router.get("/clients/{client_id}/channels", dependencies=[Depends(require(CHANNELS_VIEW))])
def channels(client_id: int, request: Request, session: DB):
    """The client's channels and their health."""
    return _page(request, session, client_id)


@router.post("/clients/{client_id}/channels", dependencies=[Depends(require(CHANNELS_MANAGE))])
def connect(client_id: int, request: Request, session: DB, form: Form, vault: VaultDep):
    """Connect a channel (verified with the network first)."""
    values = {name: form[name] for name in FORM_FIELDS if isinstance(form.get(name), str) and form[name] != ""}
    with collect_errors(session) as errors:
        channels_service.connect(
            session=session, vault=vault, client_id=client_id, data=validate(ChannelConnect, values).root,
            allow_private_urls=request.app.state.settings.allow_private_urls,
        )
        return see_other(f"/clients/{client_id}/channels?saved=1")
    errors = {key.split(".", 1)[-1] if key.split(".")[0] in ChannelNetwork.__members__.values() else key: message
              for key, message in errors.items()}
    shown = {k: v for k, v in values.items() if k not in SECRET_FIELDS}  # never echo a credential
    return _page(request, session, client_id, shown, errors, 422)


@router.post("/clients/{client_id}/channels/{channel_id}/check", dependencies=[Depends(require(CHANNELS_MANAGE))])
def check(client_id: int, channel_id: RowId, session: DB, vault: VaultDep):
    """Run the health check now."""
    channels_service.check_health(session=session, vault=vault, client_id=client_id, channel_id=channel_id)
    return see_other(f"/clients/{client_id}/channels")


@router.post("/clients/{client_id}/channels/{channel_id}/delete", dependencies=[Depends(require(CHANNELS_MANAGE))])
def disconnect(client_id: int, channel_id: RowId, session: DB):
    """Disconnect a channel and delete its credential."""
    channels_service.disconnect(session=session, client_id=client_id, channel_id=channel_id)
    return see_other(f"/clients/{client_id}/channels")
