"""Score the crisis detector with the Numenta Anomaly Benchmark (NAB) method, beside NAB-style baselines.

Run: .venv/bin/python bench/nab.py [--data ../shared/data/nab-dev] [--processes 2] [--only PATTERN]

The scorer follows NAB (numenta/NAB, nab/sweeper.py and nab/runner.py): label windows from
combined_windows.json; inside a window a detection earns tpWeight * S(position) / S(-1) where
S(y) = 2 / (1 + e^(5y)) - 1 and position = -(right - i + 1) / width runs from -1 (the window's first
row) towards 0 (its last); only the best, i.e. earliest, detection of a window counts and a window
without one costs -fnWeight; a detection outside every window costs fpWeight * S(distance past the
previous window's right end / (its width - 1)), or -fpWeight when no window came before; rows in the
probationary period (min(floor(15% of the rows), 750)) are not scored. One threshold per detector and
profile is chosen over the whole corpus (the best of every distinct score), and scores are normalised
so that the null detector (no detection) gets 0 and the perfect one (a detection at each window's
start) gets 100, over the corpus and over each category.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

from socialdesk.crisis.detector import CrisisDetector
from socialdesk.crisis.series import parse_timestamp, read_series

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab-dev"
PROBATION_PERCENT = 0.15
PROFILE_NAMES = {"standard": "standard", "reward_low_FP_rate": "low FP", "reward_low_FN_rate": "low FN"}


# ---------------------------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class Profile:
    name: str
    tp: float
    fp: float
    fn: float


def load_profiles(path: Path) -> list[Profile]:
    data = json.loads(path.read_text())
    return [
        Profile(name, m["CostMatrix"]["tpWeight"], m["CostMatrix"]["fpWeight"], m["CostMatrix"]["fnWeight"])
        for name, m in ((name, data[name]) for name in PROFILE_NAMES)
    ]


def scaled_sigmoid(position: float) -> float:
    """NAB's weight of a detection at `position` relative to a window's right end (-1 = its start)."""
    if position > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows: int, percent: float = PROBATION_PERCENT) -> float:
    return min(math.floor(percent * rows), percent * 5000)


@dataclass(frozen=True)
class Weights:
    """For every row of one file: its window (None outside), its weight if detected, and whether it is scored."""

    window: list[str | None]
    weight: list[float]
    scored: list[bool]


def row_weights(rows: int, windows: Sequence[tuple[int, int]], profile: Profile, name: str) -> Weights:
    """What a detection at each row is worth under `profile` (NAB's calcSweepScore); windows are (first, last) row indices."""
    max_tp = scaled_sigmoid(-1.0)
    probation = probation_length(rows)
    window_of: list[str | None] = [None] * rows
    weight = [0.0] * rows
    pending = sorted(windows)
    current: tuple[int, int] | None = None
    previous: tuple[int, int] | None = None  # (right index, width) of the last window left
    for i in range(rows):
        if current is None and pending and i == pending[0][0]:
            current = pending.pop(0)
        if current is not None:
            left, right = current
            width = float(right - left + 1)
            weight[i] = scaled_sigmoid(-(right - i + 1) / width) * profile.tp / max_tp
            window_of[i] = f"{name}|{left}"
        elif previous is None:
            weight[i] = -1.0 * profile.fp
        else:
            right, width = previous
            weight[i] = scaled_sigmoid(abs(right - i) / (width - 1)) * profile.fp
        if current is not None and i == current[1]:
            previous = (current[1], float(current[1] - current[0] + 1))
            current = None
    scored = [i >= probation for i in range(rows)]
    return Weights(window_of, weight, scored)


def score_at(scores: Sequence[float], weights: Weights, profile: Profile, threshold: float) -> float:
    """The raw NAB score of one file when every row scoring at least `threshold` is a detection."""
    best: dict[str, float] = {}
    fp = 0.0
    for score, window, weight, scored in zip(scores, weights.window, weights.weight, weights.scored):
        if not scored:
            continue
        if window is not None:
            best.setdefault(window, -profile.fn)
            if score >= threshold:
                best[window] = max(best[window], weight)
        elif score >= threshold:
            fp += weight
    return fp + sum(best.values())


def sweep(files: Sequence[tuple[Sequence[float], Weights]], profile: Profile) -> tuple[float, float]:
    """NAB's threshold optimisation: the (threshold, corpus raw score) that scores best over all files."""
    points = []
    parts: dict[str, float] = {}
    for scores, weights in files:
        for score, window, weight, scored in zip(scores, weights.window, weights.weight, weights.scored):
            if scored:
                points.append((score, window, weight))
                if window is not None:
                    parts[window] = -profile.fn
    points.sort(key=lambda p: p[0], reverse=True)
    total = sum(parts.values())
    threshold, best = 1.1, (1.1, total)
    for score, window, weight in points:
        if score != threshold:
            if total > best[1]:
                best = (threshold, total)
            threshold = score
        if window is None:
            total += weight
        elif weight > parts[window]:
            total += weight - parts[window]
            parts[window] = weight
    if total > best[1]:
        best = (threshold, total)
    return best


def normalised(raw: float, windows: int, profile: Profile) -> float | None:
    """100 * (raw - null) / (perfect - null); None where there is no window (null and perfect are both 0)."""
    null, perfect = -profile.fn * windows, profile.tp * windows
    return None if perfect == null else 100.0 * (raw - null) / (perfect - null)


# -------------------------------------------------------------------------------------------- detectors


class NullDetector:
    """NAB's null detector: the same score everywhere, so the best threshold detects nothing."""

    def update(self, timestamp, value) -> float:
        return 0.5


class WindowedGaussian:
    """NAB's windowedGaussian baseline: the two-sided Gaussian tail of the value against the last 6,400 values."""

    def __init__(self, window: int = 6400, step: int = 100):
        self.window, self.step = window, step
        self.data: list[float] = []
        self.buffer: list[float] = []
        self.mean, self.std = 0.0, 1.0
        self.total = self.squares = 0.0  # running sums over `data`, so a refit costs O(1)

    def update(self, timestamp, value) -> float:
        score = 0.0
        if self.data:
            z = abs(value - self.mean) / self.std
            score = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
        if len(self.data) < self.window:
            self.data.append(value)
            self.total += value
            self.squares += value * value
            self._refit()
        else:
            self.buffer.append(value)
            if len(self.buffer) == self.step:
                gone, self.data = self.data[: self.step], self.data[self.step:] + self.buffer
                self.total += sum(self.buffer) - sum(gone)
                self.squares += sum(x * x for x in self.buffer) - sum(x * x for x in gone)
                self.buffer = []
                self._refit()
        return score

    def _refit(self) -> None:
        n = len(self.data)
        self.mean = self.total / n
        self.std = math.sqrt(max(self.squares / n - self.mean * self.mean, 0.0)) or 0.000001


DETECTORS: dict[str, Callable[[dict], object]] = {
    "null": lambda params: NullDetector(),
    "windowedGaussian": lambda params: WindowedGaussian(),
    "socialdesk": lambda params: CrisisDetector(**params),
}


# ------------------------------------------------------------------------------------------------ corpus


@dataclass(frozen=True)
class DataFile:
    name: str  # category/file.csv
    path: Path
    windows: list[tuple[int, int]]

    @property
    def category(self) -> str:
        return self.name.split("/")[0]


def load_corpus(root: Path, only: str | None = None) -> list[DataFile]:
    labels = json.loads((root / "combined_windows.json").read_text())
    files = []
    for name in sorted(labels):
        if only and only not in name:
            continue
        files.append(DataFile(name, root / name, [tuple(map(_row_of(root / name), w)) for w in labels[name]]))
    return files


def _row_of(path: Path) -> Callable[[str], int]:
    times = [p.timestamp for p in read_series(path, check_order=False)]
    first = {}
    for i, t in enumerate(times):
        first.setdefault(t, i)  # NAB takes a label's first matching row

    def row(label: str) -> int:
        t = parse_timestamp(label)
        if t in first:
            return first[t]
        at = bisect.bisect_left(times, t)
        return at if at < len(times) else len(times) - 1

    return row


def run_file(job: tuple[str, Path, dict]) -> tuple[str, list[float], float]:
    """Scores of one detector over one file in time order, and the microseconds per update."""
    detector_name, path, params = job
    points = read_series(path, check_order=False)
    detector = DETECTORS[detector_name](params)
    start = time.perf_counter()
    scores = [detector.update(p.timestamp, p.value) for p in points]
    return detector_name, scores, (time.perf_counter() - start) * 1e6 / len(points)


def evaluate(files: list[DataFile], detectors: list[str], profiles: list[Profile], processes: int, params: dict) -> dict:
    jobs = [(d, f.path, params) for d in detectors for f in files]
    with Pool(processes) as pool:
        runs = pool.map(run_file, jobs, chunksize=1)
    by_detector: dict[str, list[list[float]]] = defaultdict(list)
    micros: dict[str, list[float]] = defaultdict(list)
    for name, scores, us in runs:
        by_detector[name].append(scores)
        micros[name].append(us)
    results = {}
    for profile in profiles:
        weights = [row_weights(len(s), f.windows, profile, f.name) for f, s in zip(files, by_detector[detectors[0]])]
        for name in detectors:
            runs_of = by_detector[name]
            threshold, _ = sweep(list(zip(runs_of, weights)), profile)
            per_category: dict[str, float] = defaultdict(float)
            windows: dict[str, int] = defaultdict(int)
            for f, scores, w in zip(files, runs_of, weights):
                per_category[f.category] += score_at(scores, w, profile, threshold)
                windows[f.category] += len(f.windows)
            total_raw = sum(per_category.values())
            total_windows = sum(windows.values())
            results[(profile.name, name)] = {
                "threshold": threshold,
                "raw": total_raw,
                "all": normalised(total_raw, total_windows, profile),
                "categories": {c: (normalised(r, windows[c], profile), r) for c, r in per_category.items()},
            }
    return {"results": results, "micros": {n: sum(v) / len(v) for n, v in micros.items()}}


def report(files: list[DataFile], detectors: list[str], profiles: list[Profile], outcome: dict) -> None:
    results = outcome["results"]
    categories = sorted({f.category for f in files})
    width = max(len(c) for c in [*categories, "all (corpus)"]) + 2
    print(f"{len(files)} files, {sum(len(f.windows) for f in files)} windows; "
          "normalised NAB score per profile (null = 0, perfect = 100), corpus-wide threshold per detector and profile")
    for profile in profiles:
        print(f"\n[{PROFILE_NAMES[profile.name]}] tp={profile.tp} fp={profile.fp} fn={profile.fn}")
        print("category".ljust(width) + "".join(d.rjust(18) for d in detectors))
        for category in [*categories, "all (corpus)"]:
            cells = []
            for d in detectors:
                r = results[(profile.name, d)]
                norm, raw = (r["all"], r["raw"]) if category == "all (corpus)" else r["categories"][category]
                cells.append((f"{norm:.1f}" if norm is not None else f"raw {raw:+.2f}").rjust(18))
            print(category.ljust(width) + "".join(cells))
        print("threshold".ljust(width) + "".join(f"{results[(profile.name, d)]['threshold']:.4f}".rjust(18) for d in detectors))
    print("\nmicroseconds per update: " + ", ".join(f"{d} {outcome['micros'][d]:.1f}" for d in detectors))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="NAB data folder (category folders, combined_windows.json, profiles.json)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--only", help="score only the files whose name contains this text (a quick look, not a NAB score)")
    parser.add_argument("--detectors", default="null,windowedGaussian,socialdesk")
    parser.add_argument("--params", default="{}", help="JSON keyword arguments for CrisisDetector (experiments)")
    args = parser.parse_args(argv)
    files = load_corpus(args.data, args.only)
    if not files:
        print(f"no labelled file in {args.data}", file=sys.stderr)
        return 1
    profiles = load_profiles(args.data / "profiles.json")
    detectors = args.detectors.split(",")
    outcome = evaluate(files, detectors, profiles, args.processes, json.loads(args.params))
    report(files, detectors, profiles, outcome)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
