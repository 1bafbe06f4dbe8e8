"""`socialdesk crisis detect-series`: run the crisis detector over a mention-count series file."""

from __future__ import annotations

from pathlib import Path

import typer

from socialdesk.kit.cli import fail

app = typer.Typer(help="Crisis detection on mention series.", no_args_is_help=True)


@app.command("detect-series")
def detect_series(
    input_csv: Path = typer.Argument(..., metavar="INPUT.csv", help="CSV with the columns timestamp,value, oldest first."),
    output_csv: Path = typer.Argument(..., metavar="OUTPUT.csv", help="Where to write timestamp,value,anomaly_score."),
) -> None:
    """Score every row of INPUT.csv in time order, as the product does (a row's score uses only it and earlier
    rows), and write timestamp,value,anomaly_score with scores in [0, 1]."""
    from socialdesk.crisis.detector import CrisisDetector
    from socialdesk.crisis.series import SeriesFileError, read_series, write_scores

    try:
        points = read_series(input_csv)
    except SeriesFileError as exc:
        fail(exc.errors[0].message)
    detector = CrisisDetector()
    scores = [detector.update(point.timestamp, point.value) for point in points]
    try:
        write_scores(output_csv, points, scores)
    except OSError as exc:
        fail(f"{output_csv}: cannot write ({exc.strerror})")
    typer.echo(f"Scored {len(points)} rows into {output_csv} (highest score {max(scores):.3f}).")
