"""Tracked links: the UTM builder, making and listing links, recording clicks and conversions, and
the readers that reports and KPIs use (``clicks``, ``conversions``, ``conversion_values``).

Recording a click is the redirect's fast path: one query finds the link with its client's choices,
one statement stores the click (repeats of one visitor within the window only bump a counter of
the row already there). Nothing else happens before the visitor is sent on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import case, cast, delete, func, select, text
from sqlalchemy import Integer as SAInteger
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from socialdesk.clients import service as clients_service
from socialdesk.config import Settings
from socialdesk.db import utcnow
from socialdesk.kit import bulk
from socialdesk.kit.authz import Principal
from socialdesk.kit.errors import InvalidInput, NotAuthenticated, NotFound
from socialdesk.links import bots
from socialdesk.links.models import Conversion, LinkClick, LinkSalt, LinkSettings, TrackedLink
from socialdesk.links.schemas import ConversionIn, LinkIn, SettingsIn, StatsBy
from socialdesk.links.utm import UTM_FIELDS, build_url, clean_utm
from socialdesk.publishing import service as publishing_service
from socialdesk.publishing.models import Campaign
from socialdesk.vault import service as vault_service
from socialdesk.vault.service import Vault

ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8  # 62**8 = 2.2e14 codes: not guessable by walking them
CLICK_PARAM = "sdc"
CLICK_COOKIE = "sd_click"
SIGNATURE_TOLERANCE_SECONDS = 300
# A 1x1 transparent GIF.
PIXEL_GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")

# --- settings and the conversion secret ---------------------------------------------------------


def link_base(settings: Settings) -> str:
    return (settings.link_base_url or settings.base_url).rstrip("/")


def short_url(settings: Settings, code: str) -> str:
    return f"{link_base(settings)}/l/{code}"


def own_hosts(settings: Settings) -> tuple[str, ...]:
    """Hosts that serve socialdesk's short links (a destination there would loop)."""
    return tuple({(urlsplit(u).hostname or "").lower() for u in (settings.base_url, link_base(settings)) if u})


def settings_for(*, session: Session, client_id: int) -> LinkSettings:
    """The client's link settings, made with the defaults (nothing personal kept) on first use."""
    row = session.get(LinkSettings, client_id)
    if row is None:
        clients_service.get(session=session, client_id=client_id)
        row = LinkSettings(client_id=client_id, public_id=secrets.token_urlsafe(9)[:12], hash_visitors=False,
                           dedup_seconds=30, attribution="off", pixel_origins=[])
        session.add(row)
        session.flush()
    return row


def _origin(value: str, *, field: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise InvalidInput.on(field, f"{value!r} is not a site origin; write it as https://shop.example.com")
    netloc = parts.hostname.lower() + (f":{parts.port}" if parts.port else "")
    return f"{parts.scheme}://{netloc}"


def update_settings(*, session: Session, client_id: int, data: SettingsIn) -> LinkSettings:
    row = settings_for(session=session, client_id=client_id)
    origins = []
    for index, value in enumerate(data.pixel_origins):
        origin = _origin(value, field=f"pixel_origins.{index}")
        if origin not in origins:
            origins.append(origin)
    row.hash_visitors = data.hash_visitors
    row.dedup_seconds = data.dedup_seconds
    row.attribution = data.attribution.value
    row.pixel_origins = origins
    session.flush()
    return row


def new_conversion_secret(*, session: Session, vault: Vault, client_id: int) -> str:
    """Make (or replace) the client's conversion secret; returned once, kept only in the vault."""
    row = settings_for(session=session, client_id=client_id)
    secret = "sdcs_" + secrets.token_urlsafe(32)
    vault_service.put(session=session, vault=vault, name=row.secret_name, value=secret, client_id=client_id)
    row.secret_set_at = utcnow()
    session.flush()
    return secret


def by_public_id(*, session: Session, public_id: str) -> LinkSettings | None:
    return session.scalar(select(LinkSettings).where(LinkSettings.public_id == public_id))


# --- links -----------------------------------------------------------------------------------------


def preview_url(*, settings: Settings, destination: str, utm: Mapping[str, str]) -> str:
    """The destination with the UTM parameters applied, or InvalidInput naming the field."""
    return build_url(destination, own_hosts=own_hosts(settings), **{k: utm.get(k, "") for k in UTM_FIELDS})


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def create_link(*, session: Session, settings: Settings, principal: Principal | None, client_id: int,
                data: LinkIn) -> TrackedLink:
    """A new short link for the client; its destination carries the UTM values."""
    campaign = None
    if data.campaign_id is not None:
        try:
            campaign = publishing_service.get_campaign(session=session, client_id=client_id,
                                                       campaign_id=data.campaign_id)
        except NotFound:
            raise InvalidInput.on("campaign_id", f"campaign {data.campaign_id} is not one of this client's") from None
    utm = {name: getattr(data, name) for name in UTM_FIELDS}
    if campaign is not None and not utm["utm_campaign"].strip():
        utm["utm_campaign"] = "-".join("".join(c if c.isalnum() else " " for c in campaign.name).split())[:100]
    if data.network is not None and not utm["utm_source"].strip():
        utm["utm_source"] = data.network.value
    destination = preview_url(settings=settings, destination=data.destination, utm=utm)
    cleaned = clean_utm(utm)
    for _ in range(5):
        link = TrackedLink(client_id=client_id, campaign_id=campaign.id if campaign else None, code=_new_code(),
                           destination=destination, network=data.network.value if data.network else None,
                           label=data.label, created_by_id=principal.user_id if principal else None, archived=False,
                           **cleaned)
        try:
            with session.begin_nested():
                session.add(link)
                session.flush()
            return link
        except IntegrityError:  # a code already taken (one chance in 10**14): draw again
            continue
    raise RuntimeError("could not draw a free link code")


def get_link(*, session: Session, client_id: int, link_id: int) -> TrackedLink:
    if not 1 <= link_id <= 2**31 - 1:
        raise NotFound(f"link {link_id} not found for this client")
    row = session.scalar(select(TrackedLink).where(TrackedLink.id == link_id, TrackedLink.client_id == client_id))
    if row is None:
        raise NotFound(f"link {link_id} not found for this client")
    return row


def list_links(*, session: Session, client_id: int, archived: bool = False) -> list[TrackedLink]:
    return list(session.scalars(select(TrackedLink).where(TrackedLink.client_id == client_id,
                                                          TrackedLink.archived == archived)
                                .order_by(TrackedLink.id.desc())))


def set_archived(*, session: Session, link: TrackedLink, archived: bool) -> TrackedLink:
    link.archived = archived
    session.flush()
    return link


@dataclass
class LinkCounts:
    clicks: int = 0
    previews: int = 0
    conversions: int = 0


def counts_for(*, session: Session, client_id: int, link_ids: list[int]) -> dict[int, LinkCounts]:
    """All-time clicks, previews and conversions of each link."""
    out = {link_id: LinkCounts() for link_id in link_ids}
    if not link_ids:
        return out
    rows = session.execute(
        select(LinkClick.link_id, func.sum(case((LinkClick.is_preview.is_(False), 1), else_=0)),
               func.sum(case((LinkClick.is_preview.is_(True), 1), else_=0)))
        .where(LinkClick.client_id == client_id, LinkClick.link_id.in_(link_ids)).group_by(LinkClick.link_id))
    for link_id, clicks, previews in rows:
        out[link_id].clicks, out[link_id].previews = int(clicks or 0), int(previews or 0)
    rows = session.execute(select(Conversion.link_id, func.count()).where(
        Conversion.client_id == client_id, Conversion.link_id.in_(link_ids)).group_by(Conversion.link_id))
    for link_id, count in rows:
        out[link_id].conversions = count
    return out


# --- the redirect's fast path ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkTarget:
    """What the redirect needs about a link and its client, read in one query."""

    id: int
    client_id: int
    destination: str
    network: str | None
    hash_visitors: bool
    dedup_seconds: int
    attribution: str


def lookup(*, session: Session, code: str) -> LinkTarget | None:
    """The link behind ``code`` with its client's tracking choices (defaults when none were set)."""
    row = session.execute(
        select(TrackedLink.id, TrackedLink.client_id, TrackedLink.destination, TrackedLink.network,
               LinkSettings.hash_visitors, LinkSettings.dedup_seconds, LinkSettings.attribution)
        .outerjoin(LinkSettings, LinkSettings.client_id == TrackedLink.client_id)
        .where(TrackedLink.code == code)).first()
    if row is None:
        return None
    return LinkTarget(row[0], row[1], row[2], row[3], bool(row[4]), row[5] or 30, row[6] or "off")


# Salts by day, per process: read from the database once a day, never written anywhere else. The lock
# keeps two threads from racing to create the same day's salt.
_salts: dict[date, str] = {}
_salts_lock = threading.Lock()


def _salt_of(session: Session, day: date) -> str:
    salt = _salts.get(day)
    if salt is not None:
        return salt
    with _salts_lock:
        bulk.insert_if_missing(session, LinkSalt.__table__, day=day, salt=secrets.token_hex(32))
        salt = session.scalar(select(LinkSalt.salt).where(LinkSalt.day == day))
        # Yesterday's salt goes: from now on nobody can tell whose hashes those were.
        session.execute(delete(LinkSalt).where(LinkSalt.day < day))
        _salts.clear()
        _salts[day] = salt
        return salt


def visitor_hash(*, session: Session, client_id: int, ip: str, user_agent: str, at: datetime) -> str:
    """A salted hash of IP and user agent for one client and one UTC day (the IP itself is never kept)."""
    salt = _salt_of(session, at.astimezone(UTC).date())
    message = f"{client_id}|{ip}|{user_agent}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()[:32]


def _referrer_host(referrer: str | None) -> str | None:
    if not referrer:
        return None
    try:
        host = urlsplit(referrer).hostname
    except ValueError:
        return None
    return host[:255].lower() if host else None


def record_click(*, session: Session, target: LinkTarget, ip: str | None, user_agent: str | None,
                 referrer: str | None, preview: bool, at: datetime | None = None) -> str | None:
    """Store one click (or preview) in one statement; returns the click token to hand over, if any.

    Only the referrer's host is kept. With the client's opt-in, a visitor's repeated clicks within
    ``dedup_seconds`` (a fixed window) count once: they only bump ``repeats`` of the first row.
    """
    at = at or utcnow()
    host = _referrer_host(referrer)
    hashed = dedup = token = None
    if not preview:
        if target.hash_visitors and ip:
            hashed = visitor_hash(session=session, client_id=target.client_id, ip=ip, user_agent=user_agent or "",
                                  at=at)
            window = int(at.timestamp()) // target.dedup_seconds
            dedup = hashlib.sha256(f"{target.id}|{hashed}|{target.dedup_seconds}|{window}".encode()).hexdigest()[:32]
        if target.attribution != "off":
            token = secrets.token_urlsafe(16)
    if bulk.on_postgresql(session):
        # The redirect must not wait for the disk: a click lost in a crash costs a count, not data anyone
        # relies on (PostgreSQL stays consistent; only this transaction's fsync is skipped).
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    table = LinkClick.__table__
    stmt = bulk.dialect_insert(session, table).values(
        link_id=target.id, client_id=target.client_id, at=at, network=target.network or bots.network_of(host),
        referrer_host=host, is_preview=preview, visitor_hash=hashed, dedup_key=dedup, repeats=0, token=token)
    if dedup is not None:
        stmt = stmt.on_conflict_do_update(index_elements=["dedup_key"], set_={"repeats": table.c.repeats + 1})
    if token is None:
        session.execute(stmt)
        return None
    return session.execute(stmt.returning(table.c.token)).scalar_one()


def destination_with_click(destination: str, token: str) -> str:
    """The destination with ``sdc=<token>`` (replacing one already there), fragment kept."""
    from urllib.parse import parse_qsl, quote, urlencode, urlunsplit

    parts = urlsplit(destination)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != CLICK_PARAM]
    query.append((CLICK_PARAM, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path,
                       urlencode(query, quote_via=quote, safe="~+-._/:@!$'()*,;=?"), parts.fragment))


# --- conversions ---------------------------------------------------------------------------------


def verify_server_call(*, session: Session, vault: Vault, headers: Mapping[str, str], body: bytes,
                       public_id: str, now: float | None = None) -> LinkSettings:
    """The client's settings if the call carries its conversion secret, else NotAuthenticated.

    Either ``Authorization: Bearer <secret>``, or ``X-Socialdesk-Timestamp: <unix seconds>`` with
    ``X-Socialdesk-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" under the secret>``.
    """
    row = by_public_id(session=session, public_id=public_id)
    refusal = NotAuthenticated("the conversion call is not signed with this client's conversion secret")
    if row is None or row.secret_set_at is None:
        raise refusal
    secret = vault_service.get(session=session, vault=vault, name=row.secret_name, client_id=row.client_id)
    scheme, _, bearer = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer.strip():
        if hmac.compare_digest(bearer.strip().encode(), secret.encode()):
            return row
        raise refusal
    stamp, signature = headers.get("x-socialdesk-timestamp", ""), headers.get("x-socialdesk-signature", "")
    if not stamp.isdigit() or not signature.startswith("sha256="):
        raise NotAuthenticated("send Authorization: Bearer <conversion secret>, or X-Socialdesk-Timestamp and "
                               "X-Socialdesk-Signature: sha256=<HMAC of '<timestamp>.<body>'>")
    if abs((now or time.time()) - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise NotAuthenticated("X-Socialdesk-Timestamp is more than 5 minutes off; sign with the current time")
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.removeprefix("sha256=").encode(), expected.encode()):
        raise refusal
    return row


def pixel_origin_allowed(row: LinkSettings, headers: Mapping[str, str]) -> bool:
    """Whether the page that fired the pixel is one of the client's sites (Origin, else Referer)."""
    raw = headers.get("origin") or headers.get("referer") or ""
    try:
        parts = urlsplit(raw)
        origin = f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"
    except ValueError:
        return False
    return bool(parts.hostname) and origin.lower() in row.pixel_origins


@dataclass
class Recorded:
    conversion_id: int | None
    recorded: bool
    link_id: int | None
    click_id: int | None


def record_conversion(*, session: Session, client_id: int, data: ConversionIn, source: str,
                      at: datetime | None = None) -> Recorded:
    """Store a conversion, tied to the click whose token it brings (or the link whose code it names).

    The same ``order_ref`` is counted once per client; a second one returns ``recorded=False``.
    """
    link_id = click_id = network = None
    if data.click:
        found = session.execute(select(LinkClick.id, LinkClick.link_id, LinkClick.network).where(
            LinkClick.token == data.click, LinkClick.client_id == client_id)).first()
        if found is not None:
            click_id, link_id, network = found
    if link_id is None and data.link:
        found = session.execute(select(TrackedLink.id, TrackedLink.network).where(
            TrackedLink.code == data.link, TrackedLink.client_id == client_id)).first()
        if found is not None:
            link_id, network = found
    table = Conversion.__table__
    stmt = bulk.dialect_insert(session, table).values(
        client_id=client_id, link_id=link_id, click_id=click_id, network=network, at=at or utcnow(), kind=data.kind,
        value=data.value, currency=data.currency, order_ref=data.order_ref, source=source)
    if data.order_ref is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["client_id", "order_ref"])
    new_id = session.execute(stmt.returning(table.c.id)).scalar()
    return Recorded(new_id, new_id is not None, link_id, click_id)


# --- readers for reports and KPIs ----------------------------------------------------------------

BUCKET_SECONDS = 900  # every time zone's offset is a multiple of 15 minutes


def _bounds(session: Session, client_id: int, start: date | datetime, end: date | datetime) -> tuple[datetime, datetime, ZoneInfo]:
    zone = ZoneInfo(clients_service.get(session=session, client_id=client_id).timezone)
    if isinstance(start, datetime):
        lo = start
    else:
        lo = datetime.combine(start, datetime.min.time(), zone)
    if isinstance(end, datetime):
        hi = end
    else:
        hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    if lo.tzinfo is None or hi.tzinfo is None:
        raise InvalidInput.on("start", "give dates, or date-times with a time zone")
    if hi <= lo:
        raise InvalidInput.on("end", "must not be before start")
    return lo.astimezone(UTC), hi.astimezone(UTC), zone


def _bucket(session: Session, column):
    if bulk.on_postgresql(session):
        return cast(func.floor(func.extract("epoch", column) / BUCKET_SECONDS), SAInteger)
    return cast(func.strftime("%s", column), SAInteger) / BUCKET_SECONDS


def _count_by(session: Session, model, where, by: StatsBy, zone: ZoneInfo, lo: datetime, hi: datetime,
              measure=None) -> dict:
    measure = measure if measure is not None else func.count()
    if by is StatsBy.DAY:
        key = _bucket(session, model.at)
    elif by is StatsBy.LINK:
        key = model.link_id
    elif by is StatsBy.NETWORK:
        key = model.network
    else:
        key = TrackedLink.campaign_id
    stmt = select(key, measure).select_from(model)
    if by is StatsBy.CAMPAIGN:
        stmt = stmt.outerjoin(TrackedLink, TrackedLink.id == model.link_id)
    stmt = stmt.where(model.at >= lo, model.at < hi, *where).group_by(key)
    if by is not StatsBy.DAY:
        return {k: v for k, v in session.execute(stmt)}
    out: dict[date, int] = {}
    day = lo.astimezone(zone).date()
    while datetime.combine(day, datetime.min.time(), zone) < hi:
        out[day] = 0
        day += timedelta(days=1)
    for bucket, count in session.execute(stmt):
        local = datetime.fromtimestamp(int(bucket) * BUCKET_SECONDS, UTC).astimezone(zone).date()
        out[local] = out.get(local, 0) + count
    return out


def clicks(*, session: Session, client_id: int, start: date | datetime, end: date | datetime,
           by: StatsBy | str = StatsBy.DAY, previews: bool = False) -> dict:
    """Clicks (or, with ``previews``, preview fetches) from ``start`` to ``end``.

    Dates are the client's local days, both included; date-times are a half-open UTC span. Keys:
    the local date (every day of the span, zeros too), the link id, the campaign id or the network
    (None where there is none).
    """
    by = StatsBy(by)
    lo, hi, zone = _bounds(session, client_id, start, end)
    where = [LinkClick.client_id == client_id, LinkClick.is_preview.is_(previews)]
    return _count_by(session, LinkClick, where, by, zone, lo, hi)


def conversions(*, session: Session, client_id: int, start: date | datetime, end: date | datetime,
                by: StatsBy | str = StatsBy.DAY, kind: str | None = None) -> dict:
    """Conversions (of ``kind`` only, when given) counted like :func:`clicks`; unattributed ones fall
    under the key None (except per day)."""
    by = StatsBy(by)
    lo, hi, zone = _bounds(session, client_id, start, end)
    where = [Conversion.client_id == client_id] + ([Conversion.kind == kind] if kind else [])
    return _count_by(session, Conversion, where, by, zone, lo, hi)


def conversion_values(*, session: Session, client_id: int, start: date | datetime, end: date | datetime,
                      kind: str | None = None) -> dict[str, Decimal]:
    """The summed value of the span's conversions per currency (for revenue and cost per result)."""
    lo, hi, _ = _bounds(session, client_id, start, end)
    stmt = (select(Conversion.currency, func.sum(Conversion.value))
            .where(Conversion.client_id == client_id, Conversion.at >= lo, Conversion.at < hi,
                   Conversion.value.is_not(None), *([Conversion.kind == kind] if kind else []))
            .group_by(Conversion.currency))
    return {currency: Decimal(total).quantize(Decimal("0.01")) for currency, total in session.execute(stmt)}


@dataclass
class StatLine:
    key: object
    label: str
    clicks: int = 0
    previews: int = 0
    conversions: int = 0


def stats(*, session: Session, client_id: int, start: date | datetime, end: date | datetime,
          by: StatsBy | str = StatsBy.DAY) -> tuple[list[StatLine], StatLine]:
    """Clicks, previews and conversions side by side, one line per key, with labels, and the totals."""
    by = StatsBy(by)
    parts = {
        "clicks": clicks(session=session, client_id=client_id, start=start, end=end, by=by),
        "previews": clicks(session=session, client_id=client_id, start=start, end=end, by=by, previews=True),
        "conversions": conversions(session=session, client_id=client_id, start=start, end=end, by=by),
    }
    keys = list(parts["clicks"])
    for other in ("previews", "conversions"):
        keys += [k for k in parts[other] if k not in keys]
    labels = _labels(session, client_id, by, keys)
    lines = [StatLine(k, labels.get(k, str(k)), *(parts[p].get(k, 0) for p in parts)) for k in keys]
    if by is StatsBy.DAY:
        lines.sort(key=lambda line: line.key)
    else:
        lines.sort(key=lambda line: (-line.clicks, -line.conversions, line.label))
    total = StatLine("total", "Total", *(sum(p.values()) for p in parts.values()))
    return lines, total


def _labels(session: Session, client_id: int, by: StatsBy, keys: list) -> dict:
    if by is StatsBy.DAY:
        return {k: k.isoformat() for k in keys}
    if by is StatsBy.NETWORK:
        return {k: (k.capitalize() if k != "x" else "X") if k else "Unknown" for k in keys}
    ids = [k for k in keys if k is not None]
    model = TrackedLink if by is StatsBy.LINK else Campaign
    name = TrackedLink.label if by is StatsBy.LINK else Campaign.name
    out = {None: "No link" if by is StatsBy.LINK else "No campaign"}
    if ids:
        extra = (TrackedLink.code,) if by is StatsBy.LINK else ()
        for row in session.execute(select(model.id, name, *extra).where(model.id.in_(ids), model.client_id == client_id)):
            out[row[0]] = (row[1] or f"/l/{row[2]}") if by is StatsBy.LINK else row[1]
    return out
