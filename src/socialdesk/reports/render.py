"""A report as HTML (a Jinja template with inline SVG charts in the brand colours) and as PDF (WeasyPrint,
from the same HTML with print CSS: a running header with both logos, a footer with page numbers).

Chart geometry is worked out here so the template only places numbers; every colour is a checked
#rrggbb value, every label goes through Jinja's escaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from socialdesk.reports.service import Report

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS = TEMPLATES / "reports" / "report.css"
WIDTH, HEIGHT = 640, 190
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 12, 30
MAX_LABELS = 8

_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True,
                                                                                        default_for_string=True))


def _number(value) -> str:
    if value is None:
        return "–"
    value = float(value)
    if value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"


def _change(value) -> str:
    return "" if value is None else f"{value:+.0f}%"


_env.filters.update(number=_number, change=_change)


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float | None
    label: str


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class Chart:
    kind: str
    width: int
    height: int
    paths: list[str]  # polylines (a gap in the data starts a new one)
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    baseline: float
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT


def _label(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day.day} {day:%b}"


def _scale(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = (lo - 1, hi + 1) if lo else (0, 1)
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def chart(data: dict | None) -> Chart | None:
    """The drawing of a section's chart data, or None when there is nothing to draw."""
    if not data:
        return None
    values, labels = data.get("values") or [], data.get("labels") or []
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    n = len(values)
    step = max(1, -(-n // MAX_LABELS))
    if data["kind"] == "line":
        lo, hi = _scale(known)

        def y(v: float) -> float:
            return TOP + plot_h * (1 - (v - lo) / (hi - lo))

        x = (lambda i: LEFT + plot_w * (i / (n - 1) if n > 1 else 0.5))
        paths, current = [], []
        for i, value in enumerate(values):
            if value is None:
                if current:
                    paths.append(" ".join(current))
                current = []
                continue
            current.append(f"{x(i):.1f},{y(float(value)):.1f}")
        if current:
            paths.append(" ".join(current))
        # A single point has no line: draw it as a short stroke so it is still seen.
        paths = [p if " " in p else f"{p} {float(p.split(',')[0]) + 2:.1f},{p.split(',')[1]}" for p in paths]
        x_ticks = [Tick(x(i), _label(labels[i])) for i in range(0, n, step)]
        y_ticks = [Tick(y(v), _number(round(v))) for v in (lo + (hi - lo) * f for f in (0.1, 0.5, 0.9))]
        return Chart("line", WIDTH, HEIGHT, paths, [], x_ticks, y_ticks, baseline)
    top = max(max(known), 1.0)
    slot = plot_w / max(n, 1)
    bars = []
    for i, value in enumerate(values):
        height = 0 if value is None else plot_h * float(value) / top
        bars.append(Bar(LEFT + slot * i + slot * 0.15, baseline - height, slot * 0.7, height, value,
                        _label(labels[i]) if i < len(labels) else ""))
    x_ticks = [Tick(LEFT + slot * (i + 0.5), _label(labels[i])) for i in range(0, n, step) if i < len(labels)]
    y_ticks = [Tick(baseline - plot_h * f, _number(round(top * f, 1))) for f in (0.5, 1.0)]
    return Chart("bars", WIDTH, HEIGHT, [], bars, x_ticks, y_ticks, baseline)


def _context(report: Report, *, mode: str) -> dict:
    return {"report": report, "charts": {s.key: chart(s.chart) for s in report.sections}, "mode": mode,
            "css": Markup(CSS.read_text()) if mode == "pdf" else None}


def fragment(report: Report) -> Markup:
    """The report's body for a page of the app (escaped by the template; safe to place as is)."""
    return Markup(_env.get_template("reports/_body.html").render(**_context(report, mode="web")))


def html(report: Report, *, mode: str = "web", pdf_url: str = "") -> str:
    """The report as a whole HTML document: ``web`` links the stylesheet, ``pdf`` carries it inline."""
    ctx = _context(report, mode=mode)
    ctx["pdf_url"] = pdf_url
    ctx["body"] = Markup(_env.get_template("reports/_body.html").render(**ctx))
    return _env.get_template("reports/document.html").render(**ctx)


def gone_page(message: str) -> str:
    """The page a dead share link shows: the reason, nothing of any report."""
    return _env.get_template("reports/gone.html").render(message=message)


def pdf(report: Report) -> bytes:
    """The report as a PDF, drawn by WeasyPrint from the print HTML (no network: logos are inline)."""
    from weasyprint import HTML

    return HTML(string=html(report, mode="pdf"), url_fetcher=_fetcher(), base_url=str(TEMPLATES)).write_pdf()


def _fetcher():
    """WeasyPrint's fetcher limited to data: URLs: a report loads nothing from a network or a file."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 68 takes a plain function
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args, **kwargs):
            if not url.startswith("data:"):
                raise ValueError(f"reports load nothing from outside ({url[:40]})")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols={"data"})
