"""`socialdesk clients ...`: list, add and show clients and their brand profiles."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from socialdesk.clients import service as clients_service
from socialdesk.clients.models import Client
from socialdesk.clients.schemas import WEEKDAYS, ClientCreate, ClientOut, KpiMetric
from socialdesk.kit.cli import OPERATOR, console, operator_session, print_json, print_table
from socialdesk.kit.errors import NotFound

app = typer.Typer(help="Clients and their brand profiles.", no_args_is_help=True)


def find(session, name: str) -> Client:
    """The client named ``name`` (any case); NotFound names the field otherwise."""
    client = clients_service.get_by_name(session=session, name=name)
    if client is None:
        raise NotFound(f"name: no client named {name!r}; see `socialdesk clients list`")
    return client


@app.command("list")
def list_clients(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    include_archived: bool = typer.Option(False, "--all", help="Include archived clients."),
) -> None:
    """List clients with their industry, time zone, personas and KPI targets."""
    with operator_session() as session:
        clients = clients_service.list_visible(session=session, principal=OPERATOR, include_archived=include_archived)
        if as_json:
            print_json([ClientOut.model_validate(c).model_dump(mode="json") for c in clients])
            return
        rows = [
            (c.name + (" (archived)" if c.archived else ""), c.industry, c.timezone, len(c.personas), len(c.kpi_targets))
            for c in clients
        ]
    if not rows:
        console.print("No clients yet. Add one with `socialdesk clients add NAME` or try `socialdesk demo`.")
        return
    print_table(None, ["Client", "Industry", "Time zone", "Personas", "KPI targets"], rows)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The client's name (unique)."),
    industry: str | None = typer.Option(None, help="e.g. 'Winery'."),
    timezone: str | None = typer.Option(None, help="IANA time zone, e.g. 'Europe/Paris' (default UTC)."),
    website: str | None = typer.Option(None, help="https://..."),
    description: str | None = typer.Option(None, help="What the business does."),
    tone: str | None = typer.Option(None, help="Tone words, comma-separated: 'warm, witty'."),
    avoid: str | None = typer.Option(None, help="Words to avoid, comma-separated: 'cheap, guys'."),
) -> None:
    """Add a client."""
    given = {
        "name": name,
        "industry": industry,
        "timezone": timezone,
        "website": website,
        "description": description,
        "tone_words": tone,
        "words_to_avoid": avoid,
    }
    data = ClientCreate.model_validate({key: value for key, value in given.items() if value is not None})
    with operator_session() as session:
        client = clients_service.create(session=session, data=data)
        console.print(f"Added client [bold]{escape(client.name)}[/] (#{client.id}, {client.timezone}).")


def _words(values: list[str]) -> str:
    return ", ".join(values) or "-"


@app.command("show")
def show(
    name: str = typer.Argument(..., help="The client's name."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show a client's brand profile."""
    with operator_session() as session:
        profile = ClientOut.model_validate(find(session, name))
    if as_json:
        print_json(profile.model_dump(mode="json"))
        return
    p = profile
    facts = [
        ("Industry", p.industry or "-"),
        ("Website", p.website or "-"),
        ("Time zone", p.timezone),
        ("Description", p.description or "-"),
        ("Voice", p.voice_description or "-"),
        ("Tone", _words(p.tone_words)),
        ("Words to use", _words(p.words_to_use)),
        ("Words to avoid", _words(p.words_to_avoid)),
        ("Emoji", p.emoji_policy.value),
        ("Hashtags", (p.hashtag_policy or "-") + (f" (at most {p.max_hashtags})" if p.max_hashtags is not None else "")),
        ("Business goals", p.business_goals or "-"),
        ("Outside hours", p.outside_hours_message or "-"),
    ]
    body = Text()
    for label, value in facts:
        body.append(f"{label}: ", style="bold").append(f"{value}\n")
    body.rstrip()
    console.print(Panel(body, title=Text(p.name), title_align="left"))
    print_table(
        "Personas",
        ["Name", "Ages", "Platforms", "Interests", "Cares about"],
        [
            (
                x.name,
                f"{x.age_min or '?'}-{x.age_max or '?'}",
                _words(x.platforms),
                _words(x.interests),
                x.cares_about,
            )
            for x in p.personas
        ],
    )
    print_table(
        "Demographics", ["Dimension", "Segment", "Share"], [(d.dimension.value, d.value, f"{d.share_percent:g}%") for d in p.demographics]
    )
    print_table(
        "KPI targets",
        ["Metric", "Target", "Per", "Notes"],
        [(KpiMetric(k.metric).label, f"{k.target:g} {k.unit}".strip(), k.period.value, k.notes) for k in p.kpi_targets],
    )
    print_table(
        "Office hours", ["Day", "From", "To"], [(WEEKDAYS[s.weekday], f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in p.office_hours]
    )
    print_table(
        "Contacts",
        ["Name", "Title", "E-mail", "Phone"],
        [(c.name + (" (primary)" if c.is_primary else ""), c.title, c.email or "", c.phone) for c in p.contacts],
    )
