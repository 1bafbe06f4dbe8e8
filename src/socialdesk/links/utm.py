"""The UTM builder and the destination check: what a short link may redirect to.

The danger here is not the server reaching inside its network (that is kit/netguard.py) but socialdesk
becoming an open redirect: a javascript:/data: URL, a URL with credentials to fool a reader, or a
private address behind a trusted short domain. Those are refused naming the field.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from socialdesk.kit.errors import FieldError, InvalidInput

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
# Reports group on these three, so "Bluesky" and "bluesky" must not split a campaign in two.
LOWERCASED = {"utm_source", "utm_medium", "utm_campaign"}
UTM_VALUE = re.compile(r"[A-Za-z0-9._~+-]*")
MAX_URL = 2048
MAX_UTM = 100
DEFAULT_PORTS = {"http": 80, "https": 443}
BLOCKED_HOSTS = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def clean_utm(values: dict[str, str | None]) -> dict[str, str]:
    """Each UTM value stripped (and lower-cased for source, medium, campaign); bad characters refused."""
    errors, out = [], {}
    for name in UTM_FIELDS:
        value = (values.get(name) or "").strip()
        if len(value) > MAX_UTM:
            errors.append(FieldError(name, f"at most {MAX_UTM} characters (this one has {len(value)})"))
        elif not UTM_VALUE.fullmatch(value):
            bad = sorted({c for c in value if not UTM_VALUE.fullmatch(c)})
            shown = ", ".join(repr(c) for c in bad[:5])
            errors.append(FieldError(name, f"use only letters, digits and - _ . ~ + (found {shown}); "
                                           "write spaces as - or _"))
        else:
            out[name] = value.lower() if name in LOWERCASED else value
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return out


def _private_host(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host in BLOCKED_HOSTS or host.endswith(BLOCKED_SUFFIXES) or "." not in host
    return not ip.is_global or ip.is_multicast


def check_destination(url: str, *, field: str = "destination", own_hosts: tuple[str, ...] = ()) -> str:
    """The URL normalised (scheme and host lower-cased, default port and empty path dropped), or
    InvalidInput on ``field`` if a short link must not send people there."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput.on(field, "give the web address the link leads to, starting with https://")
    if len(url) > MAX_URL:
        raise InvalidInput.on(field, f"at most {MAX_URL} characters (this one has {len(url)})")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InvalidInput.on(field, "must not contain spaces or control characters; encode a space as %20")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput.on(field, f"is not a valid web address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise InvalidInput.on(field, f"only http:// and https:// addresses can be tracked ({shown} was given)")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput.on(field, "must not contain a user name or password (user@host); remove them")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidInput.on(field, "needs a host name, as in https://example.com/page")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidInput.on(field, f"the host name {host!r} is not a valid domain name") from None
    if host in own_hosts and parts.path.startswith("/l/"):
        raise InvalidInput.on(field, "is a socialdesk short link itself; give the final address instead")
    if _private_host(host):
        raise InvalidInput.on(field, f"{host} is a private, local or loopback address; a short link may only "
                                     "lead to a public web site")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def apply_utm(url: str, utm: dict[str, str]) -> str:
    """``url`` with the UTM parameters added or replaced (empty ones removed), every other query
    parameter kept in its order, the fragment kept."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in UTM_FIELDS]
    added = [(name, utm[name]) for name in UTM_FIELDS if utm.get(name)]
    query = urlencode(kept + added, quote_via=quote, safe="~+-._/:@!$'()*,;=?")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def build_url(url: str, *, own_hosts: tuple[str, ...] = (), **utm: str | None) -> str:
    """Check ``url`` and apply the UTM values (``utm_source=...`` etc.): the link's final destination."""
    unknown = set(utm) - set(UTM_FIELDS)
    if unknown:
        raise TypeError(f"unknown UTM fields: {sorted(unknown)}")
    errors: list[FieldError] = []
    destination = cleaned = None
    try:
        destination = check_destination(url, own_hosts=own_hosts)
    except InvalidInput as exc:
        errors += exc.errors
    try:
        cleaned = clean_utm(utm)
    except InvalidInput as exc:
        errors += exc.errors
    if errors:
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return apply_utm(destination, cleaned)
