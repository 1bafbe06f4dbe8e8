"""The streaming crisis detector: one per client (or topic) and signal, fed one point at a time.

Each update scores the newest point from what came before only (no look-ahead), in [0, 1]. Three
forecasters run side by side (a slow robust level, level + time-of-day profile, level + hour-of-week
profile) and the one that has forecast best lately judges the point, so a normal daily or weekly
rhythm is expected rather than alarming. The point's surprise (its error in units of the long-run
error) is turned into an anomaly likelihood as NAB's HTM detector does (how unusual the recent average
surprise is against its own long-run distribution), a break out of the range seen so far scores 1, and
a firing is followed by a quiet period so that one event alerts once. The state is a few hundred
numbers and round-trips through `to_dict()` / `from_dict()` for the database.
"""

from __future__ import annotations

import math
from datetime import datetime

DAY_BUCKETS = 48  # half hours
WEEK_BUCKETS = 168  # hours
STATE_VERSION = 1
FORECASTERS = 3  # level, level + day profile, level + week profile
LOG_FLOOR = math.log(1e-10)  # HTM's log-likelihood scale: a tail probability of 1e-10 scores 1


def _tail(z: float) -> float:
    """One-sided Gaussian tail probability Q(z)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


class CrisisDetector:
    """`update(timestamp, value) -> score in [0, 1]`; the defaults were chosen on NAB (bench/nab.py)."""

    def __init__(
        self,
        *,
        level_alpha: float = 0.01,
        season_alpha: float = 0.1,
        scale_alpha: float = 0.003,
        select_alpha: float = 0.02,
        short_alpha: float = 0.15,
        long_alpha: float = 0.0005,
        warmup: int = 150,
        range_tolerance: float = 0.05,
        unit_floor: float = 0.001,
        surprise_cap: float = 50.0,
        fire_level: float = 0.5,
        rearm_sd: float = 1.0,
        quiet: int = 30,
    ):
        self.params = dict(
            level_alpha=level_alpha, season_alpha=season_alpha, scale_alpha=scale_alpha, select_alpha=select_alpha,
            short_alpha=short_alpha, long_alpha=long_alpha, warmup=warmup, range_tolerance=range_tolerance,
            unit_floor=unit_floor, surprise_cap=surprise_cap, fire_level=fire_level, rearm_sd=rearm_sd, quiet=quiet,
        )
        self.n = 0
        self.level = 0.0
        self.day = [0.0] * DAY_BUCKETS  # seasonal offsets from the level
        self.day_seen = [0] * DAY_BUCKETS
        self.week = [0.0] * WEEK_BUCKETS
        self.week_seen = [0] * WEEK_BUCKETS
        self.mae = [0.0] * FORECASTERS  # recent mean absolute error of each forecaster, to pick the best
        self.scale = [0.0] * FORECASTERS  # long-run mean absolute error, the unit of surprise
        self.low = math.inf
        self.high = -math.inf
        self.short = 0.0  # recent average surprise
        self.mean = 0.0  # long-run mean and variance of that average
        self.var = 0.0
        self.quiet_left = 0
        self.armed = True

    def update(self, timestamp: datetime, value: float) -> float:
        """Score `value` at `timestamp` (in the client's local time for the rhythm), then learn from it."""
        p = self.params
        value = float(value)
        day_at = (timestamp.hour * 60 + timestamp.minute) * DAY_BUCKETS // 1440
        week_at = timestamp.weekday() * 24 + timestamp.hour
        if self.n == 0:
            self.level = self.low = self.high = value
        forecasts = (
            self.level,
            self.level + self.day[day_at] if self.day_seen[day_at] else self.level,
            self.level + self.week[week_at] if self.week_seen[week_at] else self.level,
        )
        errors = [abs(value - f) for f in forecasts]
        best = min(range(FORECASTERS), key=lambda k: self.mae[k])
        span = self.high - self.low
        # A series that repeats itself exactly has errors near 0: judge them against its range instead.
        unit = max(self.scale[best], p["unit_floor"] * span, 1e-9 * (abs(self.level) + 1.0))
        # The error in units of its long-run mean is -log of its tail probability under a Laplace law.
        surprise = min(errors[best] / unit, p["surprise_cap"]) if self.n > 1 else 0.0
        self.short += p["short_alpha"] * (surprise - self.short)

        score = 0.0
        if self.n > p["warmup"]:
            likelihood = 1.0 - _tail((self.short - self.mean) / max(math.sqrt(self.var), 1e-6))
            score = min(1.0, math.log(1.0000000001 - likelihood) / LOG_FLOOR)
            tolerance = p["range_tolerance"] * span
            if value > self.high + tolerance or value < self.low - tolerance:
                score = 1.0
        score = self._once_per_event(score)
        self._learn(value, errors, day_at, week_at)
        return score

    def _once_per_event(self, score: float) -> float:
        # After a firing the score is damped for `quiet` points and until the recent surprise is back
        # within a standard deviation of its usual level (not merely until the likelihood has adapted
        # to the incident), so a long incident is one alert rather than one every few minutes.
        p = self.params
        if self.quiet_left > 0 or not self.armed:
            self.quiet_left = max(0, self.quiet_left - 1)
            if self.quiet_left == 0 and self.short <= self.mean + p["rearm_sd"] * math.sqrt(self.var):
                self.armed = True
            return score * 0.5 * p["fire_level"]
        if score >= p["fire_level"]:
            self.quiet_left = p["quiet"]
            self.armed = False
        return score

    def _learn(self, value: float, errors: list[float], day_at: int, week_at: int) -> None:
        p = self.params
        if self.n:
            warm = 1.0 / (self.n + 1)  # plain averages until the exponential ones have enough history
            for k in range(FORECASTERS):
                self.mae[k] += p["select_alpha"] * (errors[k] - self.mae[k])
                self.scale[k] += max(p["scale_alpha"], warm) * (errors[k] - self.scale[k])
            a = max(p["long_alpha"], warm)
            delta = self.short - self.mean
            self.mean += a * delta
            self.var = (1 - a) * (self.var + a * delta * delta)
        self.level += p["level_alpha"] * (value - self.level)
        offset = value - self.level
        for table, seen, at in ((self.day, self.day_seen, day_at), (self.week, self.week_seen, week_at)):
            table[at] = table[at] + p["season_alpha"] * (offset - table[at]) if seen[at] else offset
            seen[at] = min(seen[at] + 1, 1_000_000)
        self.low, self.high = min(self.low, value), max(self.high, value)
        self.n += 1

    def to_dict(self) -> dict:
        """The whole state as JSON-ready data."""
        return {
            "version": STATE_VERSION, "params": dict(self.params), "n": self.n, "level": self.level,
            "day": list(self.day), "day_seen": list(self.day_seen), "week": list(self.week), "week_seen": list(self.week_seen),
            "mae": list(self.mae), "scale": list(self.scale),
            "low": self.low if self.n else None, "high": self.high if self.n else None,
            "short": self.short, "mean": self.mean, "var": self.var, "quiet_left": self.quiet_left, "armed": self.armed,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CrisisDetector:
        """A detector that continues exactly where `to_dict()` left off."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"crisis detector state version {data.get('version')!r} is not {STATE_VERSION}; start a new detector")
        detector = cls(**data["params"])
        for key in ("n", "level", "day", "day_seen", "week", "week_seen", "mae", "scale", "short", "mean", "var", "quiet_left", "armed"):
            setattr(detector, key, data[key])
        detector.low = math.inf if data["low"] is None else data["low"]
        detector.high = -math.inf if data["high"] is None else data["high"]
        return detector
