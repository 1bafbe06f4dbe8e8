"""`socialdesk demo`: fill an empty database with a realistic agency."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socialdesk.demo import service as demo_service
from socialdesk.demo.data import DEFAULT_PASSWORD
from socialdesk.kit.cli import console, operator_session, print_table


def demo(
    password: str = typer.Option(DEFAULT_PASSWORD, help="Password of every new demo account."),
    force: bool = typer.Option(False, "--force", help="Add only the missing demo data to a database that has clients."),
) -> None:
    """Fill an empty database with a demo agency: clients, brand profiles and a team."""
    progress = Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True)
    task = progress.add_task("", total=demo_service.step_count())

    def step(label: str) -> None:
        progress.start()  # on the first step only (a refusal shows no bar); later calls do nothing
        progress.update(task, advance=1, description=label[:40])

    try:
        with operator_session() as session:
            result = demo_service.seed(session=session, password=password, force=force, on_step=step)
    finally:
        if progress.live.is_started:
            progress.stop()
    kept = f" (kept {len(result.clients_kept)} existing)" if result.clients_kept else ""
    console.print(f"Created {len(result.clients_created)} clients{kept} and {sum(a.created for a in result.accounts)} accounts.")
    print_table(
        "Demo accounts",
        ["E-mail", "Name", "Agency role", "Client roles"],
        [
            (a.email, a.name, a.agency_role, "\n".join(a.roles) if a.created else "existing account, left unchanged")
            for a in result.accounts
        ],
    )
    console.print(f"Password for the new accounts: [bold]{escape(password)}[/]")
    console.print("Start the app with `socialdesk serve` and sign in as the director to see everything.")
