"""Geometry of the dashboard's inline SVG charts, worked out in Python so templates only place numbers.

No chart library and no script: the page draws with ``<polyline>`` and ``<rect>``; colours come from CSS
classes (``topic-brand``, ``sentiment-negative``), because the Content-Security-Policy allows no inline
style. Every value the templates put in an attribute is a number or a fixed class name; labels go in
``<title>`` and ``<text>`` elements, escaped by Jinja like any text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from socialdesk.listening.dashboard import SENTIMENTS, SentimentShare, Voice, Volume

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 28, 10, 28  # room for the axis labels (the last day's label is centred on the edge)
MAX_MARKERS = 60  # buckets beyond which points get no dot of their own (a year of days)
MAX_LABELS = 8


@dataclass
class Point:
    x: float
    y: float
    count: int
    label: str


@dataclass
class Line:
    topic: str
    points: list[Point]

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class Tick:
    at: float  # x or y in the drawing
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    markers: bool
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


def _bucket_label(start: datetime, bucket: str) -> str:
    return f"{start:%H}:00" if bucket == "hour" else f"{start.day} {start:%b}"


def _nice_top(peak: int) -> int:
    """A round axis maximum at or above ``peak``: 1, 2, 5, 10, 20, 50 ..."""
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= peak:
                return m * magnitude
        magnitude *= 10


def volume_chart(volume: Volume) -> LineChart:
    """Lines per topic (and the total when several topics share the chart) over the buckets."""
    n = len(volume.starts)
    top = _nice_top(max(volume.peak, 1))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / (n - 1) if n > 1 else 0.0

    def x(i: int) -> float:
        return LEFT + (i * step if n > 1 else plot_w / 2)

    def y(count: int) -> float:
        return TOP + plot_h * (1 - count / top)

    labels = [_bucket_label(s, volume.bucket) for s in volume.starts]
    series = dict(volume.series)
    if len(series) > 1:
        series = {"all": volume.total, **series}
    lines = [Line(topic, [Point(x(i), y(c), c, labels[i]) for i, c in enumerate(counts)])
             for topic, counts in series.items()]
    every = max(1, -(-n // MAX_LABELS))
    x_ticks = [Tick(x(i), labels[i]) for i in range(0, n, every)]
    y_ticks = [Tick(y(v), f"{v:,}") for v in sorted({0, top // 2 if top % 2 == 0 else 0, top})]
    return LineChart(WIDTH, HEIGHT, lines, x_ticks, y_ticks, n <= MAX_MARKERS)


@dataclass
class Segment:
    kind: str  # positive | neutral | negative
    x: float
    width: float
    count: int
    percent: float


@dataclass
class StackedBar:
    topic: str
    total: int
    y: float
    segments: list[Segment]


BAR_W, BAR_H, BAR_GAP, BAR_LEFT = 560, 22, 12, 110


def sentiment_bars(rows: list[SentimentShare]) -> tuple[list[StackedBar], int]:
    """One bar per row, split by sentiment in proportion to its percentages; and the drawing's height."""
    bars = []
    for i, row in enumerate(rows):
        x, segments = float(BAR_LEFT), []
        for s in SENTIMENTS:
            width = BAR_W * row.percents[s.value] / 100
            segments.append(Segment(s.value, x, width, row.counts[s.value], row.percents[s.value]))
            x += width
        bars.append(StackedBar(row.topic, row.total, i * (BAR_H + BAR_GAP), segments))
    return bars, max(1, len(rows)) * (BAR_H + BAR_GAP)


@dataclass
class VoiceBar:
    name: str
    kind: str
    mentions: int
    percent: float
    y: float
    width: float


def voice_bars(voices: list[Voice]) -> tuple[list[VoiceBar], int]:
    """Horizontal bars whose lengths are the shares (the longest spans the drawing); and its height."""
    longest = max([v.percent for v in voices] + [0.0])
    bars = [VoiceBar(v.name, v.kind, v.mentions, v.percent, i * (BAR_H + BAR_GAP),
                     (BAR_W - 70) * v.percent / longest if longest else 0.0) for i, v in enumerate(voices)]
    return bars, max(1, len(voices)) * (BAR_H + BAR_GAP)
