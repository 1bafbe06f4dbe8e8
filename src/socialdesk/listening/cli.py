"""`socialdesk listening ...`: import mentions from a file, list a client's queries."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from socialdesk.kit.cli import console, database, print_json, print_table
from socialdesk.kit.errors import NotFound

app = typer.Typer(help="Social listening: queries and mentions.", no_args_is_help=True)


def _client_id(session, name: str) -> int:
    from socialdesk.clients import service as clients_service

    client = clients_service.get_by_name(session=session, name=name)
    if client is None:
        raise NotFound(f"client: no client named {name!r}; see `socialdesk clients list`")
    return client.id


@app.command("import")
def import_file(
    client: str = typer.Argument(..., help="The client's name."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A CSV or JSONL file."),
    chunk: int = typer.Option(1000, min=1, max=20_000, help="Rows per unit of work (each is committed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """Import mentions for CLIENT, matched against its enabled queries. Good rows are stored even when
    others have errors (each named by row and column); importing the same file again stores nothing twice."""
    from socialdesk.listening import importing

    text = importing.decode(file.read_bytes())
    total = importing.count_rows(text, file.name)
    with database() as db, db.session(write=True) as session:
        client_id = _client_id(session, client)
        with Progress(TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task("rows", total=total)

            def progress(done: int) -> None:
                session.commit()  # each chunk is kept even if a later one fails
                bar.update(task, completed=done)

            report = importing.import_text(session=session, client_id=client_id, text=text, filename=file.name,
                                           chunk=chunk, progress=progress)
    if as_json:
        print_json(report.to_dict())
    else:
        console.print(report.message, soft_wrap=True, markup=False)
        if report.errors:
            shown = report.errors[:50]
            print_table(f"Errors ({len(report.errors)})", ["row", "column", "message"],
                        [(e["row"], e["column"], e["message"]) for e in shown])
            if len(report.errors) > len(shown):
                console.print(f"... and {len(report.errors) - len(shown)} more (--json prints all).")
    if not report.rows:
        raise typer.Exit(1)


@app.command("queries")
def queries(
    client: str = typer.Argument(..., help="The client's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List CLIENT's listening queries."""
    from socialdesk.listening import service as listening
    from socialdesk.listening.schemas import QueryOut

    with database() as db, db.session() as session:
        rows = listening.list_queries(session=session, client_id=_client_id(session, client))
        if as_json:
            print_json([QueryOut.model_validate(r).model_dump(mode="json") for r in rows])
        elif rows:
            print_table(f"Listening queries of {client}", ["id", "name", "topic", "enabled", "query"],
                        [(r.id, r.name, r.topic, "yes" if r.enabled else "no", r.text) for r in rows])
        else:
            console.print("No listening queries yet; add them in the app or with POST "
                          "/api/clients/{id}/listening/queries.", markup=False)


@app.command("stream")
def stream(
    seconds: float = typer.Option(0, min=0, help="Stop after this many seconds (0: until Ctrl-C)."),
) -> None:
    """Read the Bluesky firehose (every enabled agency-wide Bluesky source) into listening until stopped;
    `socialdesk worker` does the same unless started with --no-stream."""
    import threading

    from socialdesk.config import get_settings
    from socialdesk.listening.sources.runner import StreamSupervisor

    stop = threading.Event()
    with database() as db:
        supervisor = StreamSupervisor(database=db, settings=get_settings())
        if not supervisor.enabled_sources():
            console.print("No Bluesky source is enabled; add one with POST /api/listening/sources "
                          '{"kind": "bluesky"}. Waiting for one.', markup=False)
        if seconds:
            threading.Timer(seconds, stop.set).start()
        console.print("Reading the Bluesky firehose; Ctrl-C stops.", markup=False)
        try:
            supervisor.run(stop)
        except KeyboardInterrupt:
            stop.set()


@app.command("poll")
def poll(
    source: int | None = typer.Option(None, "--source", min=1, help="Only this source (by id)."),
) -> None:
    """Poll every enabled feed and Mastodon source now (or one), whatever their schedule, and say what each gave."""
    from sqlalchemy import select

    from socialdesk.config import get_settings
    from socialdesk.listening.models import ListeningSource
    from socialdesk.listening.sources import pollers
    from socialdesk.listening.sources.runner import poll_by_id

    with database() as db:
        with db.session() as session:
            query = select(ListeningSource.id, ListeningSource.name).where(
                ListeningSource.enabled.is_(True), ListeningSource.kind.in_(list(pollers()))).order_by(ListeningSource.id)
            if source is not None:
                query = query.where(ListeningSource.id == source)
            rows = session.execute(query).all()
        if not rows:
            raise NotFound("source: no enabled feed or Mastodon source" + (f" with id {source}" if source else ""))
        results = []
        for source_id, name in rows:
            outcome = poll_by_id(source_id, unit_of_work=lambda: db.session(write=True), settings=get_settings())
            if outcome is not None:
                results.append((source_id, name, "ok" if outcome.ok else "error", outcome.report))
    print_table("Listening sources polled", ["id", "name", "result", "report"], results)
