"""Geometry of the Analytics page's inline SVG charts, worked out here so templates only place numbers.

Colours come from CSS classes (the Content-Security-Policy allows no inline style); every attribute a
template writes is a number or a fixed class name, labels go in ``<title>``/``<text>``, escaped by Jinja.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialdesk.analytics.insights import BestTimes, DayFigures
from socialdesk.analytics.service import Series

WIDTH, HEIGHT = 720, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 26
MAX_LABELS = 8


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class Dot:
    x: float
    y: float
    label: str


@dataclass
class LineChart:
    """Segments of a line broken at gaps (a gap is drawn as a gap, never bridged)."""

    width: int
    height: int
    segments: list[str]  # "x,y x,y ..." per run of known days
    dots: list[Dot]  # single known days between gaps, which a polyline cannot show
    gaps: list[tuple[float, float]]  # x ranges without data
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM
    top: int = TOP
    empty: bool = False


def _y_scale(low: float, high: float):
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * 0.05, high + span * 0.05

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - (v - low) / (high - low) * (HEIGHT - BOTTOM - TOP)

    ticks = [Tick(y(low + (high - low) * i / 4), f"{low + (high - low) * i / 4:,.0f}") for i in range(5)]
    return y, ticks


def _x_ticks(n: int, x, label) -> list[Tick]:
    step = max(1, -(-n // MAX_LABELS))
    return [Tick(x(i), label(i)) for i in range(0, n, step)]


def follower_chart(data: Series) -> LineChart:
    points = data.points
    n = len(points)
    known = [p.value for p in points if p.value is not None]

    def x(i: int) -> float:
        return LEFT + (i / max(n - 1, 1)) * (WIDTH - LEFT - RIGHT)

    x_ticks = _x_ticks(n, x, lambda i: f"{points[i].day.day} {points[i].day:%b}")
    if not known:
        return LineChart(WIDTH, HEIGHT, [], [], [(x(0), x(n - 1))] if n else [], x_ticks, [], empty=True)
    y, y_ticks = _y_scale(min(known), max(known))
    segments, dots, gaps, run, gap_start = [], [], [], [], None
    for i, p in enumerate(points):
        if p.value is None:
            if run:
                (segments.append(" ".join(f"{a:.1f},{b:.1f}" for a, b, _ in run)) if len(run) > 1
                 else dots.append(Dot(*run[0])))
                run = []
            gap_start = x(i) if gap_start is None else gap_start
            continue
        if gap_start is not None:
            gaps.append((gap_start, x(i)))
            gap_start = None
        run.append((x(i), y(p.value), f"{p.day:%-d %b}: {p.value:,} followers"))
    if run:
        segments.append(" ".join(f"{a:.1f},{b:.1f}" for a, b, _ in run)) if len(run) > 1 else dots.append(Dot(*run[0]))
    if gap_start is not None:
        gaps.append((gap_start, x(n - 1)))
    return LineChart(WIDTH, HEIGHT, segments, dots, gaps, x_ticks, y_ticks)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    empty: bool  # no post, or no rate: drawn as a mark on the baseline


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    left: int = LEFT
    right: int = WIDTH - RIGHT
    baseline: float = HEIGHT - BOTTOM


def engagement_chart(rows: list[DayFigures], bucket: str) -> BarChart:
    """The engagement rate of the posts published each day (or week), in percent."""
    n = max(len(rows), 1)
    slot = (WIDTH - LEFT - RIGHT) / n
    rates = [r.rate * 100 for r in rows if r.rate is not None]
    top = max(rates) if rates else 1.0
    top = top or 1.0
    scale = (HEIGHT - BOTTOM - TOP) / (top * 1.1)
    bars = []
    for i, r in enumerate(rows):
        when = f"{'week of ' if bucket == 'week' else ''}{r.day:%-d %b}"
        if r.rate is None:
            label = f"{when}: {'no post' if not r.posts else f'{r.posts} posts, no rate'}"
            bars.append(Bar(LEFT + i * slot + slot * 0.1, HEIGHT - BOTTOM - 1, slot * 0.8, 1, label, True))
            continue
        h = r.rate * 100 * scale
        label = f"{when}: {r.rate * 100:.2f} % ({r.posts} post{'s' if r.posts != 1 else ''}, {r.engagements:,} " \
                f"engagements, ÷ {r.basis})"
        bars.append(Bar(LEFT + i * slot + slot * 0.1, HEIGHT - BOTTOM - h, slot * 0.8, h, label, False))
    y_ticks = [Tick(HEIGHT - BOTTOM - top * 1.1 * scale * i / 4, f"{top * 1.1 * i / 4:.1f} %") for i in range(5)]
    x_ticks = _x_ticks(len(rows), lambda i: LEFT + i * slot + slot / 2, lambda i: f"{rows[i].day:%-d %b}")
    return BarChart(WIDTH, HEIGHT, bars, x_ticks, y_ticks)


@dataclass
class HeatCell:
    x: float
    y: float
    level: str  # css class: heat-none | heat-thin | heat-0 ... heat-4 | heat-fallback
    label: str


@dataclass
class HeatMap:
    width: int
    height: int
    cells: list[HeatCell]
    hours: list[Tick]
    days: list[Tick]
    size: int = 24
    left: int = 90
    top: int = 18


def heat_map(best: BestTimes, weekdays: list[str]) -> HeatMap:
    """7 x 24 cells; the colour says the ratio to the median post, pale cells have fewer than MIN_CELL posts,
    outlined cells are the fallback guidance's slots when the history is thin."""
    size, left, top = 24, 90, 18
    fallback = {(c.weekday, c.hour) for c in best.best} if best.fallback else set()
    cells = []
    for row in best.cells:
        for c in row:
            if (c.weekday, c.hour) in fallback:
                level = "heat-fallback"
            elif not c.n:
                level = "heat-none"
            elif c.thin or c.ratio is None:
                level = "heat-thin"
            else:
                level = "heat-" + str(0 if c.ratio < 0.75 else 1 if c.ratio < 1 else 2 if c.ratio < 1.25
                                      else 3 if c.ratio < 1.75 else 4)
            ratio = f"{c.ratio:.1f}x the median" if c.ratio is not None else "no rate"
            label = f"{weekdays[c.weekday]} {c.hour:02d}:00: n={c.n}" + (f", {ratio}" if c.n else "") + \
                    (" (too few posts to trust)" if c.n and c.thin else "") + \
                    (" — general guidance slot" if level == "heat-fallback" else "")
            cells.append(HeatCell(left + c.hour * size, top + c.weekday * size, level, label))
    hours = [Tick(left + h * size + size / 2, f"{h:02d}") for h in range(0, 24, 3)]
    days = [Tick(top + d * size + size * 0.7, weekdays[d]) for d in range(7)]
    return HeatMap(left + 24 * size + 4, top + 7 * size + 4, cells, hours, days)
