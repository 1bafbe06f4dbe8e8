"""JSON routes for a client's channels."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from socialdesk.channels import service as channels_service
from socialdesk.channels.permissions import CHANNELS_MANAGE, CHANNELS_VIEW
from socialdesk.channels.schemas import ChannelConnect, ChannelOut
from socialdesk.clients import service as clients_service
from socialdesk.vault.service import Vault
from socialdesk.web.deps import RowId, get_db, get_settings, require

router = APIRouter(prefix="/api/clients/{client_id}/channels", tags=["channels"])
DB = Annotated[Session, Depends(get_db)]


def get_vault(request: Request) -> Vault:
    return Vault.from_settings(get_settings(request))


VaultDep = Annotated[Vault, Depends(get_vault)]

view, manage = [Depends(require(CHANNELS_VIEW))], [Depends(require(CHANNELS_MANAGE))]


@router.get("", response_model=list[ChannelOut], dependencies=view)
def list_channels(client_id: RowId, session: DB):
    """The client's channels with their health."""
    clients_service.get(session=session, client_id=client_id)
    return channels_service.list_for(session=session, client_id=client_id)


@router.post("", response_model=ChannelOut, status_code=201, dependencies=manage)
def connect_channel(client_id: RowId, data: ChannelConnect, request: Request, session: DB, vault: VaultDep):
    """Connect a channel. The credential is verified with the network first (5 s timeout); when the
    network refuses it or cannot be reached the answer is 422 naming the field, and nothing is stored."""
    clients_service.get(session=session, client_id=client_id)
    return channels_service.connect(
        session=session, vault=vault, client_id=client_id, data=data.root,
        allow_private_urls=request.app.state.settings.allow_private_urls,
    )


@router.get("/{channel_id}", response_model=ChannelOut, dependencies=view)
def get_channel(client_id: RowId, channel_id: RowId, session: DB):
    return channels_service.get(session=session, client_id=client_id, channel_id=channel_id)


@router.post("/{channel_id}/check", response_model=ChannelOut, dependencies=manage)
def check_channel(client_id: RowId, channel_id: RowId, session: DB, vault: VaultDep):
    """Verify the stored credential with the network now; the outcome is in ``status`` and ``last_error``."""
    return channels_service.check_health(session=session, vault=vault, client_id=client_id, channel_id=channel_id)


@router.delete("/{channel_id}", status_code=204, dependencies=manage)
def disconnect_channel(client_id: RowId, channel_id: RowId, session: DB):
    """Disconnect: removes the channel and its stored credential."""
    channels_service.disconnect(session=session, client_id=client_id, channel_id=channel_id)
