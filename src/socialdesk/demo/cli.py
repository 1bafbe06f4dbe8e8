"""`socialdesk demo`: fill an empty database with a realistic agency."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from socialdesk.config import get_settings
from socialdesk.demo import service as demo_service
from socialdesk.demo.data import DEFAULT_PASSWORD
from socialdesk.kit.cli import console, operator_session, print_table


def demo(
    password: str = typer.Option(DEFAULT_PASSWORD, help="Password of every new demo account."),
    force: bool = typer.Option(False, "--force", help="Add only the missing demo data to a database that has clients."),
    no_activity: bool = typer.Option(False, "--no-activity",
                                     help="Only the clients, their brand profiles and the team: no inbox, listening, "
                                          "crisis, analytics or tracked-link activity."),
) -> None:
    """Fill an empty database with a demo agency: six clients with brand profiles, a team, and the last eight
    weeks of activity (inbox reviews in triage, listening mentions, an open crisis, analytics imports, tracked
    links). Nothing is sent to any network: the demo has no real channels."""
    activity = not no_activity
    progress = Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True)
    task = progress.add_task("", total=demo_service.step_count(activity=activity))

    def step(label: str) -> None:
        progress.start()  # on the first step only (a refusal shows no bar); later calls do nothing
        progress.update(task, advance=1, description=label[:40])

    try:
        with operator_session() as session:
            result = demo_service.seed(session=session, password=password, force=force, activity=activity,
                                       settings=get_settings(), on_step=step)
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
    if result.activity:
        print_table(
            "Activity of the last eight weeks",
            ["Client", "Inbox", "Listening", "Crisis", "Analytics", "Tracked links"],
            [
                (name, f"{a.conversations} reviews, {a.triaged} triaged, {a.notes} notes",
                 f"{a.queries} queries, {a.mentions:,} mentions ({a.near_duplicates:,} near duplicates)",
                 ("alert, crisis room open" if a.crisis_alert else "crisis room open") if a.crisis_id else "quiet",
                 f"{a.post_metric_rows} post metric rows, {a.paid_rows} paid rows",
                 f"{a.links} links, {a.clicks:,} clicks, {a.conversions:,} conversions")
                for name, a in result.activity.items()
            ],
        )
    console.print(f"Password for the new accounts: [bold]{escape(password)}[/]")
    console.print("Start the app with `socialdesk serve` and sign in as the director to see everything.")
