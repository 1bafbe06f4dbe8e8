"""Refuse server-side requests to private, loopback and link-local addresses unless allowed.

A URL typed by a user (a Mastodon instance, later a feed) must not make the server reach into
its own network. Self-hosters with an instance on their own network set
``SOCIALDESK_ALLOW_PRIVATE_URLS=true``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from socialdesk.kit.errors import InvalidInput


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def check_public_url(url: str, *, field: str, allow_private: bool) -> None:
    """Raise InvalidInput on ``field`` when ``url``'s host resolves to a non-public address.

    A host that does not resolve passes: the request itself will fail and say so.
    """
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return
    blocked = sorted({info[4][0] for info in infos if _is_private(info[4][0])})
    if blocked:
        raise InvalidInput.on(
            field,
            f"{host} is a private or loopback address ({', '.join(blocked)}); socialdesk only connects to "
            "public servers unless SOCIALDESK_ALLOW_PRIVATE_URLS=true",
        )
