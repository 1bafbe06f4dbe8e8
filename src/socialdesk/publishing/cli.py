"""`socialdesk publish ...`: see what is due, publish it now, and run the dispatcher alone."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

import typer

from socialdesk.config import get_settings
from socialdesk.kit.cli import console, database, print_table

app = typer.Typer(help="Scheduled publishing.", no_args_is_help=True)


def make_dispatcher(db, *, threads: int, lease_seconds: float | None = None):
    from socialdesk.publishing.dispatch import Dispatcher
    from socialdesk.publishing.service import media_root
    from socialdesk.vault.service import Vault

    settings = get_settings()
    lease = timedelta(seconds=lease_seconds or settings.publish_lease_seconds)
    return Dispatcher(db, Vault.from_settings(settings), threads=threads, lease=lease,
                      media_root=media_root(settings.ensure_data_dir()))


@app.command()
def due() -> None:
    """List the posts due now or within the next hour."""
    from sqlalchemy import select

    from socialdesk.db import utcnow
    from socialdesk.publishing.models import PostTarget

    with database() as db, db.session() as session:
        soon = utcnow() + timedelta(hours=1)
        rows = session.scalars(select(PostTarget).where(PostTarget.state.in_(["scheduled", "publishing"]),
                                                        PostTarget.due_at <= soon).order_by(PostTarget.due_at))
        print_table("Due within the hour", ["post", "client", "network", "state", "due (UTC)", "attempts", "last error"],
                    [(t.post_id, t.client_id, t.network, t.state, f"{t.due_at:%Y-%m-%d %H:%M:%S}", t.attempts,
                      t.last_error) for t in rows])


@app.command("run")
def run_due(limit: int = typer.Option(100, min=1, help="At most this many.")) -> None:
    """Publish what is due now, once, in this process, and say what happened."""
    with database() as db:
        outcomes = make_dispatcher(db, threads=1).run_once(limit=limit)
    console.print(", ".join(f"{n} {state}" for state, n in sorted(outcomes.items())) or "Nothing was due.")


@app.command()
def dispatcher(
    threads: int = typer.Option(8, min=1, help="Posts sent at the same time."),
    lease: float | None = typer.Option(None, min=5, help="Seconds a claim lasts before another worker may take over "
                                       "(default SOCIALDESK_PUBLISH_LEASE_SECONDS, 60)."),
) -> None:
    """Run only the publishing dispatcher until interrupted (`socialdesk worker` runs it too)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with database() as db:
        console.print(f"Publishing due posts with {threads} threads; Ctrl-C stops.")
        make_dispatcher(db, threads=threads, lease_seconds=lease).run(stop)
