"""`socialdesk inbox ...`: sync channels now (with a progress bar), import reviews from CSV, list a
client's conversations."""

from __future__ import annotations

from pathlib import Path

import typer

from socialdesk.config import get_settings
from socialdesk.kit.cli import console, database, fail, operator_session, print_table

app = typer.Typer(help="The inbox: sync from the networks, import reviews, list conversations.", no_args_is_help=True)


@app.command()
def sync(
    client: str | None = typer.Option(None, "--client", help="Only this client's channels (by name)."),
    channel: int | None = typer.Option(None, "--channel", min=1, help="Only this channel (by id)."),
) -> None:
    """Fetch what is new on every channel (or the chosen ones) now, one after the other, and say what each saw."""
    from socialdesk.inbox import service as inbox_service
    from socialdesk.channels.cli import connected_channel_ids, for_each_channel
    from socialdesk.vault.service import Vault

    vault = Vault.from_settings(get_settings())

    def sync_one(session, row):
        before = inbox_service.sync_state(session, row).items_total
        state = inbox_service.sync_channel(session=session, vault=vault, channel=row)
        return row.id, row.network, row.handle, state.items_total - before, state.error or "ok", state.last_report

    with database() as db:
        with db.session() as session:
            ids = connected_channel_ids(session, work="sync", client=client, channel=channel)
        rows = for_each_channel(db, ids, "Syncing", sync_one)
    print_table("Inbox sync", ["channel", "network", "handle", "new", "error", "what the sync saw"], rows)
    if any(r[4] != "ok" for r in rows):
        raise typer.Exit(1)


@app.command("import-reviews")
def import_reviews(
    client: str = typer.Argument(..., help="The client's name."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The CSV file."),
) -> None:
    """Add reviews from a CSV file (source,author,rating,text,url,created_at,remote_id) to the client's
    inbox, all or nothing; importing the same file again adds nothing."""
    from socialdesk.clients.cli import find
    from socialdesk.inbox import importing

    raw = file.read_bytes()[: importing.MAX_BYTES + 1]
    with operator_session() as session, console.status(f"Importing {file.name}..."):
        report = importing.import_reviews(session=session, client_id=find(session, client).id,
                                          text=importing.decode(raw))
    if not report.ok:
        if report.rows:
            print_table("Rows with errors", ["row", "column", "problem"],
                        [(r.row, e["field"], e["message"]) for r in report.rows if not r.ok for e in r.errors])
        fail(report.message)
    console.print(report.message, markup=False, highlight=False)


@app.command("list")
def list_conversations(
    client: str = typer.Argument(..., help="The client's name."),
    status: str | None = typer.Option(None, "--status", help="new, open, waiting or done."),
    limit: int = typer.Option(50, min=1, max=200, help="At most this many, newest activity first."),
) -> None:
    """The client's conversations, newest activity first, with the latest item of each."""
    from socialdesk.clients.cli import find
    from socialdesk.inbox import service as inbox_service
    from socialdesk.inbox.schemas import Status

    if status is not None and status not in {s.value for s in Status}:
        fail(f"status: {status!r} is not one of {', '.join(s.value for s in Status)}")
    with operator_session() as session:
        row = find(session, client)
        conversations = inbox_service.list_conversations(session=session, client_ids=[row.id],
                                                         status=Status(status) if status else None, limit=limit)
        latest = inbox_service.latest_items(session, conversations)
        rows = [(c.id, c.network, c.status, c.author_handle, c.item_count, f"{c.last_activity_at:%Y-%m-%d %H:%M}",
                 latest[c.id].kind if c.id in latest else "", _clip(latest[c.id].text if c.id in latest else ""))
                for c in conversations]
    print_table(f"Inbox of {row.name}", ["id", "network", "status", "author", "items", "last activity (UTC)",
                                         "kind", "latest"], rows)


def _clip(text: str, size: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"
