"""The streaming crisis detector: one per client (or topic) and signal, fed one point at a time.

Each update scores the newest point from what came before only (no look-ahead), in [0, 1]. Three
forecasters run side by side (a robust level, level + time-of-day profile, level + hour-of-week
profile) and the one that has forecast best lately judges the point, so a normal daily or weekly
rhythm is expected rather than alarming. The surprise of its error, together with a break out of
the range seen so far, is turned into an anomaly likelihood (NAB/HTM style: how unusual the recent
average surprise is against its long-run distribution), and a firing is followed by a quiet period so
one event alerts once. The state is a few hundred floats and serialises to a dict for the database.
"""

from __future__ import annotations

import math
from datetime import datetime

DAY_BUCKETS = 48  # half hours
WEEK_BUCKETS = 168  # hours
STATE_VERSION = 1


def _tail(z: float) -> float:
    """One-sided Gaussian tail probability Q(z)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


class CrisisDetector:
    """`update(timestamp, value) -> score in [0, 1]`; `to_dict()` / `from_dict()` keep it between calls."""

    def __init__(
        self,
        *,
        level_alpha: float = 0.1,
        season_alpha: float = 0.1,
        scale_alpha: float = 0.01,
        select_alpha: float = 0.02,
        short_alpha: float = 0.3,
        long_alpha: float = 0.002,
        warmup: int = 150,
        range_tolerance: float = 0.05,
        fire_level: float = 0.5,
        quiet: int = 150,
    ):
        self.params = dict(
            level_alpha=level_alpha, season_alpha=season_alpha, scale_alpha=scale_alpha, select_alpha=select_alpha,
            short_alpha=short_alpha, long_alpha=long_alpha, warmup=warmup, range_tolerance=range_tolerance,
            fire_level=fire_level, quiet=quiet,
        )
        self.n = 0
        self.level = 0.0
        self.day = [0.0] * DAY_BUCKETS
        self.day_seen = [0] * DAY_BUCKETS
        self.week = [0.0] * WEEK_BUCKETS
        self.week_seen = [0] * WEEK_BUCKETS
        self.mae = [0.0, 0.0, 0.0]  # recent mean absolute error of each forecaster: level, day, week
        self.scale = [0.0, 0.0, 0.0]  # long-run mean absolute error, the unit of surprise
        self.low = math.inf
        self.high = -math.inf
        self.short = 0.0  # recent average surprise
        self.mean = 0.0  # long-run mean and variance of that average
        self.var = 0.0
        self.quiet_left = 0

    # ------------------------------------------------------------------------------------------ update

    def update(self, timestamp: datetime, value: float) -> float:
        p = self.params
        day_at = (timestamp.hour * 60 + timestamp.minute) * DAY_BUCKETS // 1440
        week_at = timestamp.weekday() * 24 + timestamp.hour
        value = float(value)
        if self.n == 0:
            self.level = value
            self.low = self.high = value
        forecasts = (
            self.level,
            self.level + self.day[day_at] if self.day_seen[day_at] else self.level,
            self.level + self.week[week_at] if self.week_seen[week_at] else self.level,
        )
        errors = [abs(value - f) for f in forecasts]
        best = min(range(3), key=lambda k: self.mae[k]) if self.n else 0
        unit = max(self.scale[best], 1e-9 * (abs(self.level) + 1.0))
        surprise = 1.0 - 2.0 * _tail(errors[best] / (1.4826 * unit) / 1.0) if self.n > 1 else 0.0
        span = self.high - self.low
        out_of_range = self.n > p["warmup"] and (
            value > self.high + p["range_tolerance"] * span or value < self.low - p["range_tolerance"] * span
        )

        self.short += p["short_alpha"] * (surprise - self.short)
        score = 0.0
        if self.n > p["warmup"]:
            std = math.sqrt(self.var) if self.var > 0 else 1e-6
            likelihood = 1.0 - _tail((self.short - self.mean) / max(std, 1e-6))
            score = min(1.0, math.log(1.0000000001 - likelihood) / math.log(1e-10))
        if out_of_range:
            score = 1.0
        if self.quiet_left > 0:
            self.quiet_left -= 1
            score *= 0.5 * p["fire_level"]
        elif score >= p["fire_level"]:
            self.quiet_left = p["quiet"]

        self._learn(value, errors, day_at, week_at)
        return score

    def _learn(self, value: float, errors: list[float], day_at: int, week_at: int) -> None:
        p = self.params
        first = self.n == 0
        for k in range(3):
            if first:
                self.mae[k] = self.scale[k] = 0.0
            else:
                self.mae[k] += p["select_alpha"] * (errors[k] - self.mae[k])
                a = max(p["scale_alpha"], 1.0 / (self.n + 1))
                self.scale[k] += a * (errors[k] - self.scale[k])
        a = max(p["long_alpha"], 1.0 / (self.n + 1))
        delta = self.short - self.mean
        self.mean += a * delta
        self.var = (1 - a) * (self.var + a * delta * delta)
        self.level += p["level_alpha"] * (value - self.level)
        deseason = value - self.level
        for table, seen, at in ((self.day, self.day_seen, day_at), (self.week, self.week_seen, week_at)):
            if seen[at]:
                table[at] += p["season_alpha"] * (deseason - table[at])
            else:
                table[at] = deseason
            seen[at] = min(seen[at] + 1, 1_000_000)
        self.low, self.high = min(self.low, value), max(self.high, value)
        self.n += 1

    # ------------------------------------------------------------------------------------------- state

    def to_dict(self) -> dict:
        """The whole state as JSON-ready data."""
        return {
            "version": STATE_VERSION, "params": dict(self.params), "n": self.n, "level": self.level,
            "day": list(self.day), "day_seen": list(self.day_seen), "week": list(self.week), "week_seen": list(self.week_seen),
            "mae": list(self.mae), "scale": list(self.scale),
            "low": self.low if self.n else None, "high": self.high if self.n else None,
            "short": self.short, "mean": self.mean, "var": self.var, "quiet_left": self.quiet_left,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CrisisDetector:
        """A detector that continues exactly where `to_dict()` left off."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"crisis detector state version {data.get('version')!r} is not {STATE_VERSION}; start a new detector")
        detector = cls(**data["params"])
        for key in ("n", "level", "day", "day_seen", "week", "week_seen", "mae", "scale", "short", "mean", "var", "quiet_left"):
            setattr(detector, key, data[key])
        detector.low = math.inf if data["low"] is None else data["low"]
        detector.high = -math.inf if data["high"] is None else data["high"]
        return detector
