"""The streaming crisis detector, `socialdesk crisis detect-series`, and the NAB scorer of bench/nab.py."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialdesk.cli import app
from socialdesk.crisis.detector import CrisisDetector

BENCH = Path(__file__).resolve().parents[1] / "bench" / "nab.py"


def load_nab():
    spec = importlib.util.spec_from_file_location("bench_nab", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_nab"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


nab = load_nab()

START = datetime(2024, 3, 4)  # a Monday
DAY = 288  # five-minute points


def mention_counts(days: int, seed: int = 7) -> list[tuple[datetime, float]]:
    """Mentions every five minutes: quiet nights, a daytime bump, calmer weekends, Gaussian noise."""
    rng = random.Random(seed)
    rows = []
    for i in range(days * DAY):
        t = START + timedelta(minutes=5 * i)
        hour = t.hour + t.minute / 60
        bump = 15 * max(0.0, math.sin(math.pi * (hour - 7) / 14)) * (0.6 if t.weekday() >= 5 else 1.0)
        rows.append((t, float(max(0, round(20 + bump + rng.gauss(0, 2))))))
    return rows


def scores_of(rows) -> list[float]:
    detector = CrisisDetector()
    return [detector.update(t, v) for t, v in rows]


# ------------------------------------------------------------------------------------------- detector


def test_a_score_depends_only_on_its_row_and_earlier_ones():
    rows = mention_counts(4)
    full = scores_of(rows)
    cut = 3 * DAY
    assert scores_of(rows[:cut]) == full[:cut]
    altered = rows[:cut] + [(t, v * 7 + 500) for t, v in rows[cut:]]
    assert scores_of(altered)[:cut] == full[:cut]
    assert scores_of(altered)[cut:] != full[cut:]  # the later rows do matter to later scores


def test_state_round_trips_through_json_and_continues_identically():
    rows = mention_counts(3)
    straight = CrisisDetector()
    expected = [straight.update(t, v) for t, v in rows]
    resumed = CrisisDetector()
    got = []
    for i, (t, v) in enumerate(rows):
        if i % 97 == 0:  # as if stored in the database between two ingests
            resumed = CrisisDetector.from_dict(json.loads(json.dumps(resumed.to_dict())))
        got.append(resumed.update(t, v))
    assert got == expected
    assert len(json.dumps(resumed.to_dict())) < 20_000


def test_state_of_another_version_is_refused():
    data = CrisisDetector().to_dict() | {"version": 99}
    with pytest.raises(ValueError, match="version 99"):
        CrisisDetector.from_dict(data)


@pytest.mark.parametrize("kind", ["constant", "noise", "huge", "negative", "steps", "one"])
def test_scores_stay_between_0_and_1(kind):
    rng = random.Random(3)
    values = {
        "constant": [5.0] * 800,
        "noise": [rng.expovariate(0.1) for _ in range(800)],
        "huge": [rng.choice([0.0, 1e12, 3.0]) for _ in range(800)],
        "negative": [-1e6 + rng.gauss(0, 1) for _ in range(800)],
        "steps": [float(i // 100 * 50) for i in range(800)],
        "one": [1.0],
    }[kind]
    detector = CrisisDetector()
    for i, v in enumerate(values):
        score = detector.update(START + timedelta(minutes=i), v)
        assert 0.0 <= score <= 1.0 and not math.isnan(score)


def test_daily_rhythm_scores_low_and_a_surge_scores_high():
    rows = mention_counts(14)
    night = 12 * DAY + 36  # 03:00 on day 13, when 20 mentions are normal
    huge = 12 * DAY + 150  # 12:30 the same day
    surged = list(rows)
    surged[night] = (rows[night][0], rows[night][1] + 16)  # a daytime level, at night
    surged[huge] = (rows[huge][0], rows[huge][1] + 60)
    scores = scores_of(surged)
    assert scores[night] >= 0.8
    assert scores[huge] >= 0.9
    normal = [s for i, s in enumerate(scores) if i >= 2 * DAY and min(abs(i - night), abs(i - huge)) > 60]
    assert max(normal) < 0.5  # the daily climb, the weekend dip and the noise never look like a crisis
    assert max(scores_of(rows)[2 * DAY:]) < 0.5


def test_one_long_incident_fires_once():
    rows = mention_counts(5)
    surge = 4 * DAY
    incident = rows[:surge] + [(t, v + 200) for t, v in rows[surge:surge + 40]] + rows[surge + 40:]
    scores = scores_of(incident)
    fired = [i for i in range(surge, len(scores)) if scores[i] >= 0.5]
    assert fired == [surge]


# ------------------------------------------------------------------------------------------------ CLI


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(app, ["crisis", "detect-series", *map(str, args)])


def test_detect_series_writes_one_score_per_row(tmp_path):
    rows = mention_counts(3)
    lines = ["timestamp,value"] + [f"{t:%Y-%m-%d %H:%M:%S},{int(v)}" for t, v in rows]
    source = write(tmp_path / "in.csv", "\n".join(lines) + "\n")
    result = run(source, tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert f"Scored {len(rows)} rows" in result.output
    with (tmp_path / "out.csv").open() as handle:
        out = list(csv.reader(handle))
    assert out[0] == ["timestamp", "value", "anomaly_score"]
    assert [row[:2] for row in out[1:]] == [line.split(",") for line in lines[1:]]
    expected = scores_of(rows)
    assert [float(row[2]) for row in out[1:]] == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "{path} is empty; expected a header row 'timestamp,value' and one row per point"),
        ("timestamp,value\n", "{path} has a header but no rows; add one row per point (timestamp,value)"),
        ("time,value\n2024-01-01 00:00:00,3\n",
         "{path} row 1 (header): missing column 'timestamp'; the header must name the columns timestamp,value"),
        ("timestamp,count\n2024-01-01 00:00:00,3\n",
         "{path} row 1 (header): missing column 'value'; the header must name the columns timestamp,value"),
        ("timestamp,value\n2024-01-01 00:00:00,3\n2024-13-01 00:00:00,4\n",
         "{path} row 3, column timestamp: cannot read '2024-13-01 00:00:00' as a time; use ISO 8601 such as 2014-07-01 00:05:00"),
        ("timestamp,value\n2024-01-01 00:00:00,3\n2024-01-01 00:05:00,lots\n",
         "{path} row 3, column value: cannot read 'lots' as a finite number such as 12 or 3.5"),
        ("timestamp,value\n2024-01-01 00:00:00,3\n2024-01-01 00:05:00,nan\n",
         "{path} row 3, column value: cannot read 'nan' as a finite number such as 12 or 3.5"),
        ("timestamp,value\n2024-01-01 00:00:00,\n", "{path} row 2, column value: the value is missing"),
        ("timestamp,value\n2024-01-01 00:10:00,3\n2024-01-01 00:05:00,4\n",
         "{path} row 3, column timestamp: 2024-01-01 00:05:00 is earlier than the previous row's 2024-01-01 00:10:00; sort the rows by time"),
    ],
    ids=["empty", "header-only", "no-timestamp", "no-value", "bad-time", "bad-value", "nan", "missing-value", "unsorted"],
)
def test_detect_series_names_the_row_and_column_of_bad_input(tmp_path, text, message):
    source = write(tmp_path / "in.csv", text)
    result = run(source, tmp_path / "out.csv")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip() == "Error: " + message.format(path=source)
    assert not (tmp_path / "out.csv").exists()


def test_detect_series_on_a_missing_file(tmp_path):
    result = run(tmp_path / "nope.csv", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {tmp_path / 'nope.csv'}: cannot open (No such file or directory)"


# ------------------------------------------------------------------------------------------ NAB scorer

STANDARD = nab.Profile("standard", tp=1.0, fp=0.11, fn=1.0)


def S(y: float) -> float:
    """NAB's scaled sigmoid, written out: 2 / (1 + e^(5y)) - 1."""
    return 2 / (1 + math.exp(5 * y)) - 1


def test_nab_scores_a_hand_made_file():
    # 20 rows: probation floor(0.15 * 20) = 3 rows; one window over rows 10..13 (width 4).
    weights = nab.row_weights(20, [(10, 13)], STANDARD, "f")
    scores = [0.0] * 20
    scores[1] = 1.0  # in probation: ignored
    scores[5] = 1.0  # before any window: -fpWeight
    scores[11] = 1.0  # in the window at position -(13 - 11 + 1) / 4 = -0.75
    scores[12] = 1.0  # a second detection in the same window: only the earliest counts
    scores[16] = 1.0  # 3 rows past the window's end: fpWeight * S(3 / (4 - 1))
    expected = -0.11 + S(-0.75) / S(-1.0) + 0.11 * S(1.0)
    assert nab.score_at(scores, weights, STANDARD, 0.5) == pytest.approx(expected)
    # by hand: S(-0.75) = 0.95404, S(-1) = 0.98661, S(1) = -0.98661
    assert expected == pytest.approx(-0.11 + 0.95404 / 0.98661 - 0.11 * 0.98661, abs=1e-4)
    assert expected == pytest.approx(0.7485, abs=1e-4)
    assert nab.normalised(expected, 1, STANDARD) == pytest.approx(100 * (expected + 1) / 2)
    # a miss costs fnWeight, a detection on the window's first row is perfect
    assert nab.score_at([0.0] * 20, weights, STANDARD, 0.5) == -1.0
    assert nab.score_at([1.0 if i == 10 else 0.0 for i in range(20)], weights, STANDARD, 0.5) == pytest.approx(1.0)
    assert nab.normalised(1.0, 1, STANDARD) == 100.0 and nab.normalised(-1.0, 1, STANDARD) == 0.0


def test_nab_probation_is_15_percent_capped_at_750_rows():
    assert nab.probation_length(20) == 3
    assert nab.probation_length(4032) == 604
    assert nab.probation_length(22695) == 750


def test_nab_threshold_sweep_picks_the_best_single_threshold():
    weights = nab.row_weights(20, [(10, 13)], STANDARD, "f")
    scores = [0.0] * 20
    scores[10] = 0.6  # the perfect detection
    scores[4], scores[6] = 0.9, 0.8  # two false positives above it
    scores[11] = 0.3
    threshold, raw = nab.sweep([(scores, weights)], STANDARD)
    # 0.9 or 0.8 only add false positives; 0.6 catches the window at its start for 1 - 2 * 0.11
    assert threshold == 0.6
    assert raw == pytest.approx(1.0 - 0.22)
    assert raw == pytest.approx(nab.score_at(scores, weights, STANDARD, threshold))


def test_nab_windowed_gaussian_baseline_scores_within_0_and_1():
    detector = nab.WindowedGaussian(window=50, step=10)
    rng = random.Random(1)
    for i in range(300):
        score = detector.update(None, rng.gauss(10, 2))
        assert 0.0 <= score <= 1.0
    assert detector.update(None, 1000.0) > 0.999
