"""Channels: connect (verified against the network first), list, check health, disconnect.

Connecting talks to the network before anything is written: a credential that does not work
leaves no channel row and no secret behind. The credential is stored in the vault as
``channel:{id}`` for the channel's client and deleted with the channel.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.channels.models import Channel
from socialdesk.channels.schemas import (
    SUPPORTED,
    X_API_URL,
    BlueskyChannelIn,
    ChannelNetwork,
    ChannelStatus,
    MastodonChannelIn,
    XChannelIn,
    credentials_of,
)
from socialdesk.config import get_settings
from socialdesk.db import utcnow
from socialdesk.kit import bulk, children
from socialdesk.kit.errors import InvalidInput, NotFound, RateLimited
from socialdesk.kit.netguard import check_public_url
from socialdesk.networks.base import NetworkAdapter, NetworkError
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

AnyChannelIn = MastodonChannelIn | BlueskyChannelIn | XChannelIn


ADAPTERS = {  # network -> "module:class", imported on first use
    ChannelNetwork.MASTODON: "socialdesk.networks.mastodon:MastodonAdapter",
    ChannelNetwork.BLUESKY: "socialdesk.networks.bluesky:BlueskyAdapter",
    ChannelNetwork.X: "socialdesk.networks.x:XAdapter",
}


def adapter_for(network: str) -> NetworkAdapter:
    """The adapter that talks to ``network`` (one instance per process: adapters may cache sessions)."""
    network = ChannelNetwork(network)
    if network not in SUPPORTED:
        raise InvalidInput.on("network", f"connecting {network.label} channels is coming soon")
    return _adapter(network)


@functools.cache
def _adapter(network: ChannelNetwork) -> NetworkAdapter:
    module, _, name = ADAPTERS[network].partition(":")
    return getattr(importlib.import_module(module), name)(timeout=get_settings().network_timeout_seconds)


def list_for(*, session: Session, client_id: int) -> list[Channel]:
    """The client's connected accounts; not the inbox's Reviews channel (fed by CSV, nothing to publish to)."""
    return [c for c in children.list_for(session, Channel, client_id) if c.network in ADAPTERS]


def imported_for(*, session: Session, client_id: int) -> list[Channel]:
    """The client's channels on networks socialdesk cannot connect: the inbox's Reviews and the accounts whose
    figures are imported from CSV (nothing to publish to, check or sync)."""
    return [c for c in children.list_for(session, Channel, client_id) if c.network not in ADAPTERS]


def brief_for_clients(*, session: Session, client_ids: Collection[int]):
    """(id, client_id, network, display_name, handle) of every channel of these clients, the inbox's Reviews
    channels too, by client then id: one query and no objects (a list page names fifty clients' channels)."""
    ids = sorted(set(client_ids))
    if not ids:
        return []
    return session.execute(select(Channel.id, Channel.client_id, Channel.network, Channel.display_name, Channel.handle)
                           .where(bulk.any_of(session, Channel.client_id, ids))
                           .order_by(Channel.client_id, Channel.id)).all()


def get(*, session: Session, client_id: int, channel_id: int) -> Channel:
    return children.get_for(session, Channel, client_id, channel_id)


def _refused(exc: NetworkError, network: str) -> Exception:
    """A network's refusal at connect time as an error on the field to fix."""
    if exc.status == 429:
        return RateLimited(f"the network is rate limiting: {exc.message}; try again later", retry_after=exc.retry_after or 60)
    if exc.bad_credentials:
        field = "app_password" if network == ChannelNetwork.BLUESKY else "access_token"
        return InvalidInput.on(field, f"the network refused it ({exc.message})")
    return InvalidInput.on("base_url", exc.message if exc.unreachable else f"the server answered {exc.message}")


def connect(
    *, session: Session, vault: Vault, client_id: int, data: AnyChannelIn, allow_private_urls: bool = False
) -> Channel:
    """Verify the credential with the network, then store the channel and its credential."""
    network = ChannelNetwork(data.network)
    adapter = adapter_for(network)  # refuses networks not supported yet
    base_url = X_API_URL if isinstance(data, XChannelIn) else data.base_url
    if not isinstance(data, XChannelIn):  # X's address is our constant, not the user's input
        check_public_url(base_url, field="base_url", allow_private=allow_private_urls)
    credentials = credentials_of(data)
    try:
        info = adapter.verify(base_url=base_url, credentials=credentials)
    except NetworkError as exc:
        raise _refused(exc, network) from None
    channel = Channel(
        client_id=client_id,
        network=network.value,
        display_name=data.display_name or info.display_name or info.handle,
        handle=info.handle,
        base_url=base_url,
        account_id=info.account_id,
        max_characters=info.max_characters,
        status=ChannelStatus.OK.value,
        last_error="",
        last_checked_at=utcnow(),
    )
    session.add(channel)
    session.flush()
    vault_service.put(session=session, vault=vault, name=channel.secret_name, value=json.dumps(credentials),
                      client_id=client_id)
    return channel


def credentials(*, session: Session, vault: Vault, channel: Channel) -> dict[str, str]:
    return json.loads(vault_service.get(session=session, vault=vault, name=channel.secret_name, client_id=channel.client_id))


def update_credential(*, session: Session, vault: Vault, client_id: int, channel_id: int, data: AnyChannelIn) -> Channel:
    """Replace a channel's credential (after verifying it is for the same account), then mark it ok."""
    channel = get(session=session, client_id=client_id, channel_id=channel_id)
    if data.network != channel.network:
        raise InvalidInput.on("network", f"this channel is a {channel.network} channel")
    adapter = adapter_for(channel.network)
    creds = credentials_of(data)
    try:
        info = adapter.verify(base_url=channel.base_url, credentials=creds)
    except NetworkError as exc:
        raise _refused(exc, channel.network) from None
    if channel.account_id and info.account_id != channel.account_id:
        field = "app_password" if channel.network == ChannelNetwork.BLUESKY else "access_token"
        raise InvalidInput.on(field, f"belongs to another account ({info.handle}); connect it as a new channel")
    vault_service.put(session=session, vault=vault, name=channel.secret_name, value=json.dumps(creds),
                      client_id=client_id)
    _record(channel, info=info)
    session.flush()
    return channel


def _record(channel: Channel, *, info=None, error: str | None = None) -> None:
    channel.last_checked_at = utcnow()
    if error is not None:
        channel.status, channel.last_error = ChannelStatus.ERROR.value, error
        return
    channel.status, channel.last_error = ChannelStatus.OK.value, ""
    channel.account_id = info.account_id
    channel.handle = info.handle or channel.handle
    if info.max_characters is not None:
        channel.max_characters = info.max_characters


def check_health(*, session: Session, vault: Vault, client_id: int, channel_id: int) -> Channel:
    """Verify the stored credential now; the outcome is recorded on the channel (never raised)."""
    channel = get(session=session, client_id=client_id, channel_id=channel_id)
    try:
        creds = credentials(session=session, vault=vault, channel=channel)
    except NotFound:
        _record(channel, error="the credential is missing from the vault; connect the channel again")
        session.flush()
        return channel
    try:
        info = adapter_for(channel.network).verify(base_url=channel.base_url, credentials=creds)
    except NetworkError as exc:
        _record(channel, error=exc.message)
    except InvalidInput as exc:  # a network not supported yet
        _record(channel, error=exc.message)
    else:
        _record(channel, info=info)
    session.flush()
    return channel


def disconnect(*, session: Session, client_id: int, channel_id: int) -> None:
    """Remove the channel and its credential."""
    channel = get(session=session, client_id=client_id, channel_id=channel_id)
    vault_service.delete(session=session, name=channel.secret_name, client_id=client_id)
    session.delete(channel)
    session.flush()
