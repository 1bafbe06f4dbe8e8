"""`socialdesk analytics ...`: collect metrics now (with a progress bar), import post metrics, paid
results or account snapshots from CSV, set a client's reporting currency, show a series."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from socialdesk.config import get_settings
from socialdesk.kit.cli import console, database, fail, operator_session, print_table

app = typer.Typer(help="Analytics: collect metrics, import files, show series.", no_args_is_help=True)


@app.command()
def collect(
    client: str | None = typer.Option(None, "--client", help="Only this client's channels (by name)."),
) -> None:
    """Collect every channel's metrics now as today's snapshot (a second run today replaces today's figures)."""
    from socialdesk.analytics import service
    from socialdesk.channels.cli import connected_channel_ids, for_each_channel
    from socialdesk.clients.models import Client
    from socialdesk.vault.service import Vault

    settings = get_settings()
    vault = Vault.from_settings(settings)

    def collect_one(session, row):
        day = service.client_today(session.get(Client, row.client_id))
        state = service.collect(session=session, vault=vault, channel=row, day=day,
                                window_days=settings.analytics_window_days)
        return row.id, row.network, row.handle, str(day), state.error or "ok", state.report

    with database() as db:
        with db.session() as session:
            ids = connected_channel_ids(session, work="collect", client=client)
        rows = for_each_channel(db, ids, "Collecting", collect_one)
    print_table("Metrics collection", ["channel", "network", "handle", "day", "error", "what it saw"], rows)
    if any(r[4] != "ok" for r in rows):
        raise typer.Exit(1)


@app.command("import")
def import_file(
    client: str = typer.Argument(..., help="The client's name."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The CSV file."),
    kind: str = typer.Option(..., "--kind", help="metrics (post metrics), paid (paid results) or accounts (daily followers, following, posts per channel)."),
) -> None:
    """Import post metrics, paid results or account snapshots from a CSV file, all or nothing; the same file
    again changes nothing."""
    from socialdesk.analytics import importing
    from socialdesk.analytics.schemas import ImportKind
    from socialdesk.clients.cli import find
    from socialdesk.publishing.importing import MAX_BYTES

    if kind not in {k.value for k in ImportKind}:
        fail(f"kind: {kind!r} is not one of {', '.join(k.value for k in ImportKind)}")
    raw = file.read_bytes()[: MAX_BYTES + 1]
    with operator_session() as session, console.status(f"Importing {file.name}..."):
        report = importing.import_csv(session=session, client_id=find(session, client).id, kind=ImportKind(kind),
                                      text=importing.decode(raw))
    if not report.ok:
        if report.rows:
            print_table("Rows with errors", ["row", "column", "problem"],
                        [(r.row, e["field"], e["message"]) for r in report.rows if not r.ok for e in r.errors])
        fail(report.message)
    console.print(report.message, markup=False, highlight=False)


@app.command()
def currency(
    client: str = typer.Argument(..., help="The client's name."),
    code: str = typer.Argument(..., help="ISO 4217 code, e.g. EUR."),
) -> None:
    """Set the client's reporting currency (paid results must be in it)."""
    from socialdesk.analytics import service
    from socialdesk.analytics.schemas import SettingsIn
    from socialdesk.clients.cli import find

    data = SettingsIn(currency=code)
    with operator_session() as session:
        row = find(session, client)
        service.set_reporting_currency(session=session, client_id=row.id, currency=data.currency)
    console.print(f"{row.name} reports in {data.currency}.", markup=False, highlight=False)


@app.command()
def series(
    client: str = typer.Argument(..., help="The client's name."),
    metric: str = typer.Option("followers", help="followers, following or posts."),
    channel: int | None = typer.Option(None, "--channel", min=1, help="One channel (by id); default: all summed."),
    days: int = typer.Option(30, min=1, max=1000, help="The last this many days."),
) -> None:
    """An account metric per day with its gaps, and how it moved."""
    from socialdesk.analytics import service
    from socialdesk.clients.cli import find

    with operator_session() as session:
        row = find(session, client)
        end = service.client_today(row)
        data = service.series(session=session, client_id=row.id, metric=metric, start=end - timedelta(days=days - 1),
                              end=end, channel_id=channel)
    print_table(f"{metric} of {row.name}", ["day", "value", "state"],
                [(p.day, p.value if p.value is not None else "", p.state + (" (lower)" if p.decreased else ""))
                 for p in data.points])
    moved = service.delta(data)
    console.print(f"change {moved.change if moved.change is not None else 'unknown'}"
                  + (f"; {moved.message}" if moved.message else ""), markup=False, highlight=False)


