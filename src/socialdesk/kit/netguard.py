"""Refuse server-side requests to private, loopback and link-local addresses unless allowed.

A URL typed by a user (a Mastodon instance, a feed, a webhook) must not make the server reach into
its own network. Self-hosters with an instance on their own network set
``SOCIALDESK_ALLOW_PRIVATE_URLS=true``.

Checking a URL when it is saved, or just before a request, is not enough on its own: the name can
resolve to a public address for the check and to 127.0.0.1 a moment later for the connection (DNS
rebinding). ``public_addresses`` resolves once and returns only the addresses that may be used;
``guarded_transport`` (httpx) and ``guard_session`` (requests, as Mastodon.py uses) make connections
that go to those addresses and no other.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx
import requests
import urllib3
from urllib3.exceptions import NameResolutionError, NewConnectionError

from socialdesk.kit.errors import InvalidInput

ALLOW_HINT = "socialdesk only connects to public servers unless SOCIALDESK_ALLOW_PRIVATE_URLS=true"


def is_public(address: str) -> bool:
    """Whether an IP address (v4 or v6, with or without a zone) is a public unicast one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


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
    blocked = sorted({info[4][0] for info in infos if not is_public(info[4][0])})
    if blocked:
        raise InvalidInput.on(field, f"{host} is a private or loopback address ({', '.join(blocked)}); {ALLOW_HINT}")


class RefusedAddress(OSError):
    """``host`` resolved to addresses socialdesk may not connect to; ``str()`` says which and why."""


def public_addresses(host: str, port: int, *, allow_private: bool) -> list[tuple]:
    """``getaddrinfo`` results for a TCP connection to ``host``, keeping only the allowed addresses.

    Raises ``socket.gaierror`` when the name does not resolve and RefusedAddress when none is allowed.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as exc:
        raise socket.gaierror(f"{host} is not a valid host name") from exc
    allowed = [info for info in infos if allow_private or is_public(info[4][0])]
    if not allowed:
        blocked = ", ".join(sorted({info[4][0] for info in infos}))
        raise RefusedAddress(f"{host} is a private or loopback address ({blocked}); {ALLOW_HINT}")
    return allowed


class _CheckedBackend(httpcore.SyncBackend):
    """Connects to the addresses ``public_addresses`` allows (resolved here, once per connection)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = public_addresses(host, port, allow_private=False)
        except RefusedAddress as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        failure: Exception | None = None
        for *_, address in infos:
            try:
                return super().connect_tcp(address[0], address[1], timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure


def guarded_transport(*, allow_private: bool) -> httpx.HTTPTransport:
    """An httpx transport that connects only to public addresses, unless private ones are allowed.

    The TLS handshake still names (and verifies) the host of the URL: only the address is pinned.
    """
    transport = httpx.HTTPTransport()
    if not allow_private:
        transport._pool._network_backend = _CheckedBackend()  # httpx does not expose the backend
    return transport


def refusal(exc: BaseException) -> str | None:
    """The reason, when an httpx error comes from a connection ``guarded_transport`` refused."""
    cause = exc
    while cause is not None:
        if isinstance(cause, RefusedAddress):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return None


class _CheckedConnection:
    """A urllib3 connection made to an address ``public_addresses`` allows (the TLS name stays the host)."""

    def _new_conn(self):
        try:
            infos = public_addresses(self._dns_host, self.port, allow_private=False)
        except RefusedAddress as exc:
            raise NewConnectionError(self, str(exc)) from exc
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        name, failure = self._dns_host, None
        try:
            for *_, address in infos:
                self._dns_host = address[0]
                try:
                    return super()._new_conn()
                except NewConnectionError as exc:
                    failure = exc
        finally:
            self._dns_host = name
        raise failure


class _CheckedHTTPConnection(_CheckedConnection, urllib3.connection.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, urllib3.connection.HTTPSConnection):
    pass


class _CheckedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def guard_session(session: requests.Session, *, allow_private: bool) -> requests.Session:
    """``session`` with its http(s) connections made only to public addresses, unless private ones are allowed."""
    if not allow_private:
        adapter = _CheckedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
