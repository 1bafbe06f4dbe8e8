"""CSV import of post metrics and account snapshots (networks without an API, or figures from a
network's own export) and of paid results.

Post metrics: ``date,network,post_id,channel,likes,reposts,replies,quotes,impressions,views,link_clicks``
(date, network and post_id required, with at least one metric column; channel optional, by name or
handle). Account snapshots: ``date,network,channel,followers,following,posts`` (date and channel
required, with at least one count column), one per channel and day, stored in the same table the
collectors write (``AccountSnapshot``) so series, KPIs, the dashboard and reports read them alike.
Paid results: ``date,network,campaign,ad,currency,spend,impressions,clicks,conversions``
(date, network, currency and spend required; campaign names one of the client's campaigns).

An empty metric cell means "not reported" (stored as None, never 0). Counts are whole numbers of
at least 0; spend a decimal with at most the currency's minor digits and no thousands separators,
in the client's reporting currency: a row in another currency is refused (no rate is guessed).
The import is all or nothing, like the posts import (publishing/importing.py): every row is checked
and, if any fails, nothing is written and the report names each row and column. Importing the same
file again changes nothing: a row replaces the figures of its (day, post) or (day, network,
campaign, ad), and the report says how many were created, updated or already so.

For account snapshots, ``channel`` is the channel's name or handle, as for post metrics; ``network``
tells apart two channels with the same handle. A channel of a network socialdesk cannot connect
(instagram, tiktok, linkedin...) that the client does not have yet is made by the import, with no
adapter (like the inbox's Reviews channel: nothing collects or publishes to it), and the report
names it; a channel of a connectable network (mastodon, bluesky, x) must be connected first. A
count column left out of the file leaves that count as it was; an empty cell means "not reported".
A row with no count at all is refused. Which counts are lower than on the channel's previous
snapshot (``decreased``) is worked out again for the imported days and the day after each.

Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.analytics import service
from socialdesk.analytics.models import (
    ACCOUNT_METRICS,
    POST_METRICS,
    AccountSnapshot,
    PaidResult,
    PostMetricSnapshot,
)
from socialdesk.analytics.schemas import CURRENCIES, ImportKind, minor_units
from socialdesk.channels.models import Channel
from socialdesk.channels.service import ADAPTERS
from socialdesk.clients import service as clients_service
from socialdesk.db import utcnow
from socialdesk.inbox.importing import NETWORK as REVIEWS_NETWORK
from socialdesk.kit import children
from socialdesk.kit.errors import InvalidInput
from socialdesk.publishing import service as publishing_service
from socialdesk.publishing.importing import decode  # noqa: F401  (the same file rules: UTF-8, size)
from socialdesk.publishing.models import PostTarget

MAX_ROWS = 20_000
METRIC_COLUMNS = ("date", "network", "post_id", "channel", *POST_METRICS)
PAID_COLUMNS = ("date", "network", "campaign", "ad", "currency", "spend", "impressions", "clicks", "conversions")
ACCOUNT_COLUMNS = ("date", "network", "channel", *ACCOUNT_METRICS)
REQUIRED = {ImportKind.METRICS: ("date", "network", "post_id"),
            ImportKind.PAID: ("date", "network", "currency", "spend"),
            ImportKind.ACCOUNTS: ("date", "channel")}
COLUMNS = {ImportKind.METRICS: METRIC_COLUMNS, ImportKind.PAID: PAID_COLUMNS, ImportKind.ACCOUNTS: ACCOUNT_COLUMNS}
WHAT = {ImportKind.METRICS: "post metric row", ImportKind.PAID: "paid result row",
        ImportKind.ACCOUNTS: "account snapshot"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NETWORK = re.compile(r"^[a-z][a-z0-9_-]{0,19}$")
WHOLE = re.compile(r"^\d+$")
AMOUNT = re.compile(r"^\d+(\.\d+)?$")


@dataclass
class RowResult:
    row: int
    ok: bool
    outcome: str = ""  # created | updated | unchanged
    errors: list[dict] = field(default_factory=list)  # [{"field": column, "message": ...}]


@dataclass
class ImportReport:
    ok: bool
    created: int
    updated: int
    unchanged: int
    total: int
    message: str
    rows: list[RowResult] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # every problem, flat: {"field": "row 3.spend", ...}
    new_channels: list[str] = field(default_factory=list)  # channels an accounts import made: "instagram @handle"

    def to_dict(self) -> dict:
        return asdict(self)


def _failed(message: str, field_name: str = "file") -> ImportReport:
    return ImportReport(ok=False, created=0, updated=0, unchanged=0, total=0, message=message,
                        errors=[{"field": field_name, "message": message}])


def _header_problem(kind: ImportKind, names: list[str]) -> str:
    columns, required = COLUMNS[kind], REQUIRED[kind]
    missing = [c for c in required if c not in names]
    unknown = [n for n in names if n and n not in columns]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if unknown:
        parts.append("unknown: " + ", ".join(repr(u) for u in unknown))
    if repeated:
        parts.append("repeated: " + ", ".join(repeated))
    if kind is ImportKind.METRICS and not missing and not any(m in names for m in POST_METRICS):
        parts.append("no metric column (at least one of " + ", ".join(POST_METRICS) + ")")
    if kind is ImportKind.ACCOUNTS and not missing and not any(m in names for m in ACCOUNT_METRICS):
        parts.append("no count column (at least one of " + ", ".join(ACCOUNT_METRICS) + ")")
    if not parts:
        return ""
    return (f"the header is wrong ({'; '.join(parts)}); expected the columns {','.join(columns)} "
            f"({', '.join(required)} required)")


def _read(kind: ImportKind, text: str) -> tuple[list[str], list[list[str] | None]] | ImportReport:
    text = text.lstrip("\ufeff")
    if not text.strip():
        return _failed("the file is empty; the first line must be the header " + ",".join(COLUMNS[kind]))
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str] | None] = []
    try:
        header = next(reader)
        for cells in reader:
            records.append(cells if any(c.strip() for c in cells) else None)  # a blank line keeps the numbering
            if len(records) > MAX_ROWS:
                return _failed(f"the file has more than {MAX_ROWS:,} rows; split it into several imports")
    except csv.Error as exc:
        return _failed(f"the file is not valid CSV (line {reader.line_num}): {exc}")
    names = [h.strip().lower() for h in header]
    problem = _header_problem(kind, names)
    if problem:
        return _failed(problem, "header")
    while records and records[-1] is None:
        records.pop()
    if not any(records):
        return _failed("the file has a header but no rows")
    return names, records


class _Row:
    """One record's cells and the problems found in them, by column."""

    def __init__(self, names: list[str], cells: list[str]):
        self.values = {n: c.strip() for n, c in zip(names, cells, strict=False)}
        self.errors: list[dict] = []

    def cell(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, column: str, message: str) -> None:
        self.errors.append({"field": column, "message": message})

    def once(self, seen: dict, key, number: int, column: str, same: str) -> None:
        """Refuse a row whose ``key`` an earlier row of the file had (``same`` says what they share); the
        first row with a key keeps it, even when it has errors of its own."""
        if not self.errors and key in seen:
            self.error(column, f"{same} as row {seen[key]}; keep one of them")
        seen.setdefault(key, number)

    def day(self, today: date) -> date | None:
        raw = self.cell("date")
        if not raw:
            self.error("date", "missing (YYYY-MM-DD)")
            return None
        try:
            day = date.fromisoformat(raw) if DATE.match(raw) else None
        except ValueError:
            day = None
        if day is None:
            self.error("date", f"{raw!r} is not a date YYYY-MM-DD")
        elif day > today:
            self.error("date", f"{raw} is in the future (today is {today} in the client's time zone)")
            return None
        return day

    def network(self) -> str | None:
        raw = self.cell("network").lower()
        if not NETWORK.match(raw):
            self.error("network", f"{raw!r} is not a network name (letters, digits, - or _, e.g. instagram)"
                       if raw else "missing (the network's name, e.g. instagram)")
            return None
        return raw

    def whole(self, column: str) -> int | None:
        raw = self.cell(column).replace("\u202f", "").replace("\xa0", "")
        if not raw:
            return None  # not reported
        if WHOLE.match(raw):
            return int(raw)
        if re.match(r"^-\d+$", raw):
            self.error(column, f"{raw} is negative; counts are 0 or more (leave the cell empty when unknown)")
        elif re.match(r"^\d{1,3}([,. ]\d{3})+$", raw):
            self.error(column, f"{raw!r}: write whole numbers without thousands separators ({re.sub(r'[,. ]', '', raw)})")
        else:
            self.error(column, f"{raw!r} is not a whole number (leave the cell empty when unknown)")
        return None


def _outcome(row, values: dict) -> str:
    if row is None:
        return "created"
    return "unchanged" if all(getattr(row, k) == v for k, v in values.items()) else "updated"


def import_csv(*, session: Session, client_id: int, kind: ImportKind, text: str) -> ImportReport:
    """Import ``text`` (CSV) of ``kind`` for the client, all or nothing. See the module doc."""
    kind = ImportKind(kind)
    client = clients_service.get(session=session, client_id=client_id)
    read = _read(kind, text)
    if isinstance(read, ImportReport):
        return read
    names, records = read
    today = service.client_today(client)
    if kind is ImportKind.PAID:
        currency = service.reporting_currency(session=session, client_id=client_id)
        if currency is None:
            return _failed("the client has no reporting currency yet; set it first (analytics settings, "
                           "`socialdesk analytics currency CLIENT EUR`)", "currency")
        planned = _plan_paid(session, client_id, names, records, today, currency)
    elif kind is ImportKind.ACCOUNTS:
        planned, accounts = _plan_accounts(session, client_id, names, records, today)
    else:
        planned = _plan_metrics(session, client_id, names, records, today)
    results = [r for r, _ in planned]
    failed = [r for r in results if not r.ok]
    if failed:
        flat = [{"field": f"row {r.row}.{e['field']}", "message": e["message"]} for r in failed for e in r.errors]
        return ImportReport(ok=False, created=0, updated=0, unchanged=0, total=len(results),
                            message=f"nothing was imported: {len(failed)} of {len(results)} rows have errors; "
                                    "correct them and import the whole file again", rows=results, errors=flat)
    for _, write in planned:
        write()
    session.flush()
    new_channels = accounts.finish() if kind is ImportKind.ACCOUNTS else []
    counts = {o: sum(r.outcome == o for r in results) for o in ("created", "updated", "unchanged")}
    what = WHAT[kind]
    made = f"; new channel{'s' if len(new_channels) != 1 else ''}: {', '.join(new_channels)}" if new_channels else ""
    return ImportReport(ok=True, total=len(results), **counts, rows=results, new_channels=new_channels,
                        message=f"{len(results)} {what}{'s' if len(results) != 1 else ''} imported: "
                                f"{counts['created']} new, {counts['updated']} updated, "
                                f"{counts['unchanged']} already so{made}")


def _rows(names, records):
    for index, cells in enumerate(records):
        if cells is None:
            continue
        number = index + 2
        row = _Row(names, cells)
        if len(cells) > len(names):
            row.error("row", f"has {len(cells)} cells, the header {len(names)}; quote cells that contain the separator")
        yield number, row


def _plan_metrics(session: Session, client_id: int, names, records, today: date):
    channels = children.list_for(session, Channel, client_id)
    planned, seen = [], {}
    for number, row in _rows(names, records):
        day, network = row.day(today), row.network()
        remote_id = row.cell("post_id")
        if not remote_id:
            row.error("post_id", "missing (the post's id or link on the network)")
        elif len(remote_id) > 300:
            row.error("post_id", "is longer than 300 characters")
        values = {m: row.whole(m) for m in POST_METRICS}
        channel = None
        wanted = row.cell("channel").lower().removeprefix("@")
        on_network = [c for c in channels if c.network == network]
        if wanted:
            matches = _named(channels, wanted, network)
            if not matches:
                row.error("channel", f"no channel named {row.cell('channel')!r} for this client")
            elif network and matches[0].network != network:
                row.error("channel", f"{row.cell('channel')!r} is a {matches[0].network} channel, the row says {network}")
            else:
                channel = matches[0]
        elif len(on_network) == 1:
            channel = on_network[0]
        key = (network, remote_id, day)
        row.once(seen, key, number, "post_id", "the same post and date")
        if row.errors:
            planned.append((RowResult(number, False, errors=row.errors), None))
            continue
        existing = session.scalar(select(PostMetricSnapshot).where(
            PostMetricSnapshot.client_id == client_id, PostMetricSnapshot.network == network,
            PostMetricSnapshot.remote_id == remote_id, PostMetricSnapshot.day == day))
        target_id = session.scalar(select(PostTarget.id).where(PostTarget.client_id == client_id,
                                                               PostTarget.network == network,
                                                               PostTarget.remote_id == remote_id).limit(1))
        fields = {**values, "channel_id": channel.id if channel else None, "post_target_id": target_id,
                  "source": "import", "gone": False}
        outcome = _outcome(existing, fields)

        def write(existing=existing, fields=fields, network=network, remote_id=remote_id, day=day):
            row_ = existing or PostMetricSnapshot(client_id=client_id, network=network, remote_id=remote_id, day=day,
                                                  extra={}, decreased=[])
            for k, v in fields.items():
                setattr(row_, k, v)
            row_.collected_at = utcnow()
            session.add(row_)

        planned.append((RowResult(number, True, outcome=outcome), write if outcome != "unchanged" else (lambda: None)))
    return planned


def _named(channels: list[Channel], wanted: str, network: str | None) -> list[Channel]:
    """The channels whose name or handle is ``wanted`` (lowercase, without @), those on ``network`` first."""
    matches = [c for c in channels if wanted in {(c.display_name or "").lower(),
                                                  (c.handle or "").lower().removeprefix("@")}]
    return sorted(matches, key=lambda c: c.network != network) if network else matches


class _Accounts:
    """What an accounts import writes besides the rows: the channels it makes (one per network and
    handle, made by the first row's write) and, once written, the days whose ``decreased`` to redo."""

    def __init__(self, session: Session, client_id: int):
        self.session, self.client_id = session, client_id
        self.new: dict[tuple[str, str], Channel] = {}  # (network, handle lowercase) -> made channel
        self.names: dict[tuple[str, str], str] = {}  # the handle as first written
        self.touched: dict[int, set[date]] = {}  # channel id -> days written

    def channel(self, key: tuple[str, str]) -> Channel:
        if key not in self.new:
            network, name = key[0], self.names[key]
            made = Channel(client_id=self.client_id, network=network, display_name=name, handle=name, base_url="",
                           status="ok")
            self.session.add(made)
            self.session.flush()
            self.new[key] = made
        return self.new[key]

    def finish(self) -> list[str]:
        """Redo ``decreased`` on the written days and the snapshot after each; name the channels made."""
        for channel_id, days in self.touched.items():
            rows = self.session.scalars(select(AccountSnapshot).where(AccountSnapshot.channel_id == channel_id)
                                        .order_by(AccountSnapshot.day))
            before = None
            for row in rows:
                if row.day in days or (before is not None and before.day in days):
                    lower = service._lower(before, {m: getattr(row, m) for m in ACCOUNT_METRICS}, ACCOUNT_METRICS)
                    if lower != (row.decreased or []):
                        row.decreased = lower
                before = row
        self.session.flush()
        return [f"{c.network} @{c.handle}" for c in self.new.values()]


def _account_channel(row: _Row, channels: list[Channel], network: str | None, accounts: _Accounts):
    """The row's channel (an existing one), or the key of the one the import will make; None on error."""
    raw = row.cell("channel")
    wanted = raw.lower().removeprefix("@")
    if not wanted:
        row.error("channel", "missing (the channel's name or handle, e.g. @harborvine)")
        return None
    matches = _named(channels, wanted, network)
    same = [c for c in matches if c.network == network] if network else matches
    if len(same) > 1:
        row.error("channel", f"{raw!r} names {len(same)} channels (" + ", ".join(sorted({c.network for c in same}))
                  + ("); rename one of them" if network else "); say which with the network column"))
        return None
    if same:
        return same[0]
    if any(e["field"] == "network" for e in row.errors):
        return None  # the network cell is wrong: said already
    if network is None:
        row.error("channel", f"no channel named {raw!r} for this client; for an account on a network socialdesk "
                             "cannot connect, give its network (e.g. instagram) in a network column")
    elif network == REVIEWS_NETWORK:
        row.error("network", "the Reviews channel has no followers to import")
    elif network in ADAPTERS:
        row.error("channel", f"{raw!r} is a {matches[0].network} channel, the row says {network}" if matches else
                  f"no {network} channel named {raw!r} for this client; connect it first "
                  "(its counts are then collected every day)")
    elif len(raw.removeprefix("@")) > 200:
        row.error("channel", "is longer than 200 characters")
    else:  # a network without an API: the import makes the channel (once per network and handle)
        key = (network, wanted)
        accounts.names.setdefault(key, raw.removeprefix("@"))
        return key
    return None


def _plan_accounts(session: Session, client_id: int, names, records, today: date):
    channels = [c for c in children.list_for(session, Channel, client_id) if c.network != REVIEWS_NETWORK]
    present = [m for m in ACCOUNT_METRICS if m in names]
    accounts = _Accounts(session, client_id)
    planned, seen = [], {}
    for number, row in _rows(names, records):
        day = row.day(today)
        network = row.network() if row.cell("network") else None
        values = {m: row.whole(m) for m in present}
        if all(v is None for v in values.values()) and not any(e["field"] in present for e in row.errors):
            row.error(present[0], "no count in this row; give " + ", ".join(present)
                      + " (an empty cell means not reported)")
        target = _account_channel(row, channels, network, accounts)
        key = (target.id if isinstance(target, Channel) else target, day)
        row.once(seen, key, number, "date", "the same channel and date")
        if row.errors:
            planned.append((RowResult(number, False, errors=row.errors), None))
            continue
        existing = None
        if isinstance(target, Channel):
            existing = session.scalar(select(AccountSnapshot).where(AccountSnapshot.channel_id == target.id,
                                                                    AccountSnapshot.day == day))
        outcome = _outcome(existing, values)

        def write(existing=existing, target=target, values=values, day=day):
            channel = target if isinstance(target, Channel) else accounts.channel(target)
            row_ = existing or AccountSnapshot(client_id=client_id, channel_id=channel.id, day=day, extra={},
                                               decreased=[])
            for k, v in values.items():
                setattr(row_, k, v)
            row_.collected_at = utcnow()
            session.add(row_)
            accounts.touched.setdefault(channel.id, set()).add(day)

        planned.append((RowResult(number, True, outcome=outcome), write if outcome != "unchanged" else (lambda: None)))
    return planned, accounts


def _plan_paid(session: Session, client_id: int, names, records, today: date, currency: str):
    campaigns = {c.name.strip().lower(): c for c in publishing_service.list_campaigns(session=session,
                                                                                       client_id=client_id)}
    channels = children.list_for(session, Channel, client_id)
    planned, seen = [], {}
    for number, row in _rows(names, records):
        day, network = row.day(today), row.network()
        code = row.cell("currency").upper()
        if not code:
            row.error("currency", f"missing (the client reports in {currency})")
        elif code not in CURRENCIES:
            row.error("currency", f"{row.cell('currency')!r} is not an ISO 4217 currency code")
        elif code != currency:
            row.error("currency", f"{code} is not the client's reporting currency {currency}; convert the amounts "
                                  f"to {currency} before importing (no exchange rate is guessed)")
        spend = _spend(row, code if code in CURRENCIES else currency)
        counts = {m: row.whole(m) for m in ("impressions", "clicks", "conversions")}
        campaign = None
        if row.cell("campaign"):
            campaign = campaigns.get(row.cell("campaign").lower())
            if campaign is None:
                row.error("campaign", f"no campaign named {row.cell('campaign')!r} for this client")
        ad = row.cell("ad")
        if len(ad) > 200:
            row.error("ad", "is longer than 200 characters")
        row_key = hashlib.sha256(f"{network}\x1f{campaign.id if campaign else 0}\x1f{ad.lower()}".encode()).hexdigest()
        key = (day, row_key)
        row.once(seen, key, number, "date", "the same date, network, campaign and ad")
        if row.errors:
            planned.append((RowResult(number, False, errors=row.errors), None))
            continue
        on_network = [c for c in channels if c.network == network]
        existing = session.scalar(select(PaidResult).where(PaidResult.client_id == client_id, PaidResult.day == day,
                                                           PaidResult.row_key == row_key))
        fields = {**counts, "spend": spend, "currency": currency, "network": network, "ad": ad,
                  "campaign_id": campaign.id if campaign else None,
                  "channel_id": on_network[0].id if len(on_network) == 1 else None}
        outcome = _outcome(existing, fields)

        def write(existing=existing, fields=fields, day=day, row_key=row_key):
            row_ = existing or PaidResult(client_id=client_id, day=day, row_key=row_key)
            for k, v in fields.items():
                setattr(row_, k, v)
            row_.imported_at = utcnow()
            session.add(row_)

        planned.append((RowResult(number, True, outcome=outcome), write if outcome != "unchanged" else (lambda: None)))
    return planned


def _spend(row: _Row, currency: str) -> Decimal | None:
    raw = row.cell("spend").replace("\u202f", "").replace("\xa0", "")
    if not raw:
        row.error("spend", f"missing (the amount spent that day, in {currency}; 0 when nothing was spent)")
        return None
    if raw.startswith("-"):
        row.error("spend", f"{raw} is negative; spend is 0 or more (a refund is a correction of the day's row)")
        return None
    if not AMOUNT.match(raw):
        hint = " without thousands separators, with a point for decimals (1234.50)" if re.search(r"\d[, ]\d", raw) \
            else " such as 1234.50 (no currency sign; the currency goes in its own column)"
        row.error("spend", f"{raw!r} is not an amount; write it{hint}")
        return None
    digits = len(raw.partition(".")[2])
    if digits > minor_units(currency):
        row.error("spend", f"{raw} has {digits} decimals; {currency} has {minor_units(currency)}")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        row.error("spend", f"{raw!r} is not an amount")
        return None
    if value >= Decimal(10) ** 14:
        row.error("spend", f"{raw} is too large")
        return None
    return value


def paid_results(*, session: Session, client_id: int, start: date, end: date) -> list[PaidResult]:
    """The client's paid results from ``start`` to ``end``, by day."""
    if end < start:
        raise InvalidInput.on("end", f"{end} is before the start {start}")
    return list(session.scalars(select(PaidResult).where(PaidResult.client_id == client_id,
                                                         PaidResult.day.between(start, end))
                                .order_by(PaidResult.day, PaidResult.id)))
