"""`socialdesk text check`: validate a post's text for one network, as the composer does."""

from __future__ import annotations

import json

import typer

from socialdesk.kit.cli import fail, print_json, print_table

app = typer.Typer(help="Check post text against each network's limits.", no_args_is_help=True)

SHOWN = ("valid", "length", "limit", "unit", "remaining", "over_by", "message")


@app.command("check")
def check_command(
    text: str = typer.Argument(..., help="The post text."),
    network: str = typer.Option(..., "--network", "-n", help="x, bluesky, mastodon, linkedin, instagram, facebook, threads, tiktok, youtube or pinterest."),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
    content_warning: str = typer.Option("", "--content-warning", help="Mastodon content warning (counted with the text)."),
    title: str | None = typer.Option(None, "--title", help="Title (YouTube, Pinterest)."),
) -> None:
    """Print the verdict for TEXT on --network. Exit 0 whenever the check ran; read `valid` (JSON) for the outcome.

    Exit 1 only for usage errors such as an unknown network.
    """
    from socialdesk.networks.text import check, network_of

    try:
        network_of(network)
    except ValueError as exc:
        fail(f"--network: {exc}")
    verdict = check(network, text, content_warning=content_warning, title=title)
    data = verdict.to_dict()
    if as_json:
        print_json(data)
        return
    extra = [key for key in data if key not in SHOWN and key not in ("network", "problems")]
    rows = [(key, _shown(data[key])) for key in (*SHOWN, *extra)]
    print_table(f"{network} text check", ["field", "value"], rows)


def _shown(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
