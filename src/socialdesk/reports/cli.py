"""`socialdesk report render CLIENT --period 2026-10 --pdf out.pdf`: a client's report as PDF and/or HTML."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from sqlalchemy import select

from socialdesk.config import get_settings
from socialdesk.kit.cli import console, fail, operator_session

app = typer.Typer(help="Client reports: render a report as PDF or HTML.", no_args_is_help=True)


@app.command()
def render(
    client: str = typer.Argument(..., help="The client's name."),
    period: str = typer.Option(..., "--period", help="YYYY-MM (a month), YYYY-Www (an ISO week) or "
                                                    "YYYY-MM-DD..YYYY-MM-DD."),
    pdf: Path | None = typer.Option(None, "--pdf", dir_okay=False, help="Write the PDF here."),
    html: Path | None = typer.Option(None, "--html", dir_okay=False, help="Write the HTML page here."),
    compare: str | None = typer.Option(None, "--compare", help="previous, year_ago or none (default: the report's, "
                                                               "else previous)."),
    report: str | None = typer.Option(None, "--report", help="The report definition's name (default: the client's "
                                                             "first, else the standard sections)."),
) -> None:
    """Build a client's report for a period and write it as a PDF and/or an HTML page."""
    from socialdesk.kit.errors import InvalidInput
    from socialdesk.reports import periods, service
    from socialdesk.reports import render as rendering
    from socialdesk.reports.models import ReportDefinition

    if pdf is None and html is None:
        fail("--pdf: say where to write the report (--pdf out.pdf and/or --html out.html)")
    try:
        chosen = periods.parse(period)
    except InvalidInput as exc:
        fail(f"--period: {exc.errors[0].message}")
    if compare is not None and compare not in periods.COMPARISONS:
        fail(f"--compare: {compare!r} is not a comparison; use previous, year_ago or none")
    for target, flag in ((pdf, "--pdf"), (html, "--html")):
        if target is not None and not target.parent.is_dir():
            fail(f"{flag}: the folder {target.parent} does not exist; create it or choose another path")
    started = time.perf_counter()
    with operator_session() as session:
        row = service.client_by_name(session=session, name=client)
        query = select(ReportDefinition).where(ReportDefinition.client_id == row.id).order_by(ReportDefinition.id)
        if report is not None:
            definition = session.scalar(query.where(ReportDefinition.name == report))
            if definition is None:
                names = ", ".join(d.name for d in session.scalars(query)) or "none yet"
                fail(f"--report: {row.name} has no report named {report!r} (its reports: {names})")
        else:
            definition = session.scalar(query.limit(1))
        settings = get_settings()
        if definition is not None:
            built = service.build_for(session=session, definition=definition, period=chosen, comparison=compare,
                                      settings=settings)
        else:
            built = service.build(session=session, client_id=row.id, period=chosen, comparison=compare or "previous",
                                  settings=settings)
        if pdf is not None:
            pdf.write_bytes(rendering.pdf(built))
        if html is not None:
            html.write_text(rendering.html(built, mode="pdf"), encoding="utf-8")
    written = " and ".join(str(p) for p in (pdf, html) if p is not None)
    note = "" if built.has_data else " (no figures for this period: the report says so)"
    console.print(f"{built.title}: wrote {written} in {time.perf_counter() - started:.1f} s{note}.",
                  markup=False, highlight=False, soft_wrap=True)
