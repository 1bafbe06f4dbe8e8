"""The `socialdesk` command line: serve, migrate, worker, demo, and the clients, users and vault groups.

Commands act on the database of the settings (SOCIALDESK_DATABASE_URL / SOCIALDESK_DATA_DIR) as the
local operator, and migrate it first so they work on an empty data folder.
"""

from __future__ import annotations

import logging

import typer
from sqlalchemy.engine import make_url

from socialdesk.analytics.cli import app as analytics_app
from socialdesk.clients.cli import app as clients_app
from socialdesk.config import get_settings
from socialdesk.crisis.cli import app as crisis_app
from socialdesk.demo.cli import demo
from socialdesk.inbox.cli import app as inbox_app
from socialdesk.kit.cli import ErrorReportingGroup, console, database, fail
from socialdesk.listening.cli import app as listening_app
from socialdesk.migrations.runner import current
from socialdesk.networks.cli import app as text_app
from socialdesk.publishing.cli import app as publish_app
from socialdesk.reports.cli import app as report_app
from socialdesk.team.cli import app as users_app
from socialdesk.vault.cli import app as vault_app

app = typer.Typer(
    cls=ErrorReportingGroup,
    help="socialdesk: the command center for a social media director and their agency team.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(clients_app, name="clients")
app.add_typer(users_app, name="users")
app.add_typer(vault_app, name="vault")
app.add_typer(text_app, name="text")
app.add_typer(publish_app, name="publish")
app.add_typer(inbox_app, name="inbox")
app.add_typer(analytics_app, name="analytics")
app.add_typer(crisis_app, name="crisis")
app.add_typer(listening_app, name="listening")
app.add_typer(report_app, name="report")
app.command("demo")(demo)


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to listen on (default SOCIALDESK_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default SOCIALDESK_PORT, 8000)."),
    reload: bool = typer.Option(False, "--reload", help="Restart when the code changes (development)."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (one per core serves the most)."),
) -> None:
    """Run the web app (it migrates the database on start)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "socialdesk.web.app:create_served_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        workers=None if reload else workers,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    url = make_url(get_settings().resolved_database_url).render_as_string(hide_password=True)
    with database() as db:
        revision = current(db.engine)
    console.print(f"Database {url} is at revision {revision}.", soft_wrap=True)


@app.command()
def worker(
    workers: int = typer.Option(2, min=1, help="Worker threads for background tasks."),
    publish_threads: int = typer.Option(8, min=0, help="Threads publishing due posts (0: this worker does not publish)."),
    stream: bool = typer.Option(True, "--stream/--no-stream",
                                help="Also read the Bluesky firehose for listening (one worker is enough)."),
    periodic: bool = typer.Option(True, "--periodic/--no-periodic",
                                  help="Also queue the scheduled jobs (inbox sync, escalation, collection...); "
                                       "each worker that does queues them again, so one is enough."),
) -> None:
    """Run the background task consumer for the configured backend (SOCIALDESK_TASK_BACKEND) and the
    publishing dispatcher. Run as many workers, on as many machines, as needed: each post is claimed
    by one of them in the database."""
    from socialdesk.tasks import load_tasks

    settings = get_settings()
    if settings.task_backend == "immediate":
        fail("task_backend: 'immediate' runs tasks inline, so there is no queue to consume; use 'sqlite' or 'redis'")
    with database():
        pass  # tasks expect the newest schema
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey = load_tasks()
    if publish_threads:
        from socialdesk.db import Database
        from socialdesk.publishing.cli import make_dispatcher
        from socialdesk.publishing.dispatch import start_in_thread

        start_in_thread(make_dispatcher(Database(settings.resolved_database_url), threads=publish_threads))
    if stream:
        import threading

        from socialdesk.db import Database
        from socialdesk.listening.tasks import start_streams

        start_streams(Database(settings.resolved_database_url), threading.Event())
    console.print(f"Consuming the {settings.task_backend} task queue with {workers} workers"
                  f" and publishing with {publish_threads} threads; Ctrl-C stops.")
    huey.create_consumer(workers=workers, periodic=periodic).run()
