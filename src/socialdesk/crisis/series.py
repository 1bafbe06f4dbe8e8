"""Read and write `timestamp,value` series files (mention counts), with errors that name the row and column."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from socialdesk.kit.errors import InvalidInput

COLUMNS = ("timestamp", "value")


class SeriesFileError(InvalidInput):
    """The series file cannot be read; the message names the file, the row (the header is row 1) and the column."""


@dataclass(frozen=True)
class Point:
    timestamp: datetime
    value: float
    raw_timestamp: str  # both written back as they were read, so the output lines up with the input
    raw_value: str


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 (`2014-07-01 00:00:00`, `2014-07-01T00:00:00Z`, with or without an offset)."""
    return datetime.fromisoformat(text.strip())


def read_series(path: str | Path, *, check_order: bool = True) -> list[Point]:
    """The points of a CSV file with the columns timestamp and value (others are ignored), in time order (a
    repeated time is kept). `check_order=False` takes the rows as they come (NAB's files have a clock set back)."""
    path = Path(path)
    name = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SeriesFileError.on("file", f"{name}: cannot open ({exc.strerror})") from exc
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise SeriesFileError.on("file", f"{name} is empty; expected a header row 'timestamp,value' and one row per point")
        columns = [cell.strip().lower() for cell in header]
        for column in COLUMNS:
            if column not in columns:
                raise SeriesFileError.on(
                    column, f"{name} row 1 (header): missing column '{column}'; the header must name the columns timestamp,value"
                )
        t_at, v_at = columns.index("timestamp"), columns.index("value")
        points: list[Point] = []
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank lines (a trailing newline) carry no point
            points.append(_point(name, row_number, row, t_at, v_at, points[-1] if points and check_order else None))
    if not points:
        raise SeriesFileError.on("file", f"{name} has a header but no rows; add one row per point (timestamp,value)")
    return points


def _point(name: str, row_number: int, row: list[str], t_at: int, v_at: int, previous: Point | None) -> Point:
    where = f"{name} row {row_number}"
    raw_time = row[t_at].strip() if t_at < len(row) else ""
    raw_value = row[v_at].strip() if v_at < len(row) else ""
    if not raw_time:
        raise SeriesFileError.on("timestamp", f"{where}, column timestamp: the value is missing")
    try:
        timestamp = parse_timestamp(raw_time)
    except ValueError:
        raise SeriesFileError.on(
            "timestamp", f"{where}, column timestamp: cannot read '{raw_time}' as a time; use ISO 8601 such as 2014-07-01 00:05:00"
        ) from None
    if not raw_value:
        raise SeriesFileError.on("value", f"{where}, column value: the value is missing")
    try:
        value = float(raw_value)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SeriesFileError.on("value", f"{where}, column value: cannot read '{raw_value}' as a finite number such as 12 or 3.5")
    if previous is not None:
        if (timestamp.tzinfo is None) != (previous.timestamp.tzinfo is None):
            raise SeriesFileError.on(
                "timestamp", f"{where}, column timestamp: '{raw_time}' mixes times with and without a UTC offset; use one kind throughout"
            )
        if timestamp < previous.timestamp:
            raise SeriesFileError.on(
                "timestamp",
                f"{where}, column timestamp: {raw_time} is earlier than the previous row's {previous.raw_timestamp};"
                " sort the rows by time",
            )
    return Point(timestamp, value, raw_time, raw_value)


def write_scores(path: str | Path, points: Iterable[Point], scores: Iterable[float]) -> None:
    """Write `timestamp,value,anomaly_score`, one row per point."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("timestamp", "value", "anomaly_score"))
        for point, score in zip(points, scores, strict=True):
            writer.writerow((point.raw_timestamp, point.raw_value, f"{score:.6f}"))
