"""Inline SVG charts for the HTML reports, drawn as text: no matplotlib, no fonts to lay out,
no images to encode. A report holds about forty charts; as PNGs through matplotlib they took
about 3 s a day (W1 benchmark), as SVG a few milliseconds. Every point carries a ``<title>``
(day and value) that a browser shows on hover.

The markup has no ``xmlns`` (inline SVG in HTML5 does not need one) and no URL, so a report
stays self-contained; ``report.metadata.standalone`` adds the namespace for the Dagster
metadata images. Every function returns one ``<svg>`` element as a string; all text is
escaped."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

import numpy as np
import pandas as pd

STATUS_COLOR = {"ok": "#2e7d32", "warn": "#f9a825", "alert": "#c62828"}
NEUTRAL = "#607d8b"
# the tab10 line colours users know from matplotlib
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
# ColorBrewer YlOrRd (9 classes), the heatmap scale from 0 to vmax
YLORRD = [
    "#ffffcc",
    "#ffeda0",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#fc4e2a",
    "#e31a1c",
    "#bd0026",
    "#800026",
]
WIDTH, HEIGHT = 560, 208
FONT = 'font-family="system-ui,sans-serif"'


def _num(v: float) -> str:
    """A coordinate with one decimal (keeps the markup short)."""
    return f"{v:.1f}"


def _label(v: float) -> str:
    """An axis or tooltip number, 4 significant digits."""
    if not math.isfinite(v):
        return "n/a"
    return f"{v:.4g}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 times a power of
    ten). A flat range (or one within float noise of its magnitude) is padded by a tenth of
    its value (half a unit at zero)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi < lo:
        lo, hi = hi, lo
    scale = max(abs(lo), abs(hi))
    if hi - lo <= scale * 1e-9:
        pad = scale * 0.1 or 0.5
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    last = max(last, first + 1)
    return [float(f"{k * step:.12g}") for k in range(first, last + 1)]


class _Plot:
    """A plotting area inside a ``width`` × ``height`` chart with margins, mapping data
    coordinates (x: index of the day, y: value) to pixels."""

    def __init__(self, width, height, left, right, top, bottom, nx, ylo, yhi):
        self.width, self.height = width, height
        self.x0, self.x1 = left, width - right
        self.y0, self.y1 = top, height - bottom
        self.nx = max(1, nx)
        self.ylo, self.yhi = ylo, yhi
        self.parts: list[str] = []

    def x(self, i: float) -> float:
        span = self.x1 - self.x0
        return self.x0 + span * (i + 0.5) / self.nx

    def y(self, v: float) -> float:
        span = self.yhi - self.ylo or 1.0
        return self.y1 - (self.y1 - self.y0) * (v - self.ylo) / span

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x, y, s, size=9, anchor="start", weight="normal", color="#1f2933") -> None:
        self.add(
            f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{color}">{escape(str(s))}</text>'
        )

    def title(self, title: str) -> None:
        self.text(self.width / 2, 14, title, size=11, anchor="middle", weight="600")

    def y_axis(self, ticks: Sequence[float]) -> None:
        for t in ticks:
            y = self.y(t)
            self.add(
                f'<line x1="{_num(self.x0)}" y1="{_num(y)}" x2="{_num(self.x1)}" y2="{_num(y)}" '
                'stroke="#d9e2ec" stroke-width="1"/>'
            )
            self.text(self.x0 - 4, y + 3, _label(t), size=8, anchor="end")

    def x_days(self, days: Sequence) -> None:
        step = max(1, len(days) // 8)
        for i in range(0, len(days), step):
            self.text(self.x(i), self.y1 + 12, str(days[i])[5:], size=8, anchor="middle")
        self.add(
            f'<line x1="{_num(self.x0)}" y1="{_num(self.y1)}" x2="{_num(self.x1)}" '
            f'y2="{_num(self.y1)}" stroke="#9aa5b1" stroke-width="1"/>'
        )

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        x = self.x0 + 6
        for label, color in entries:
            self.add(
                f'<rect x="{_num(x)}" y="{_num(self.y0 + 3)}" width="10" height="3" '
                f'fill="{color}"/>'
            )
            self.text(x + 13, self.y0 + 8, label, size=8)
            x += 22 + 5.2 * len(str(label))

    def svg(self, alt: str) -> str:
        return (
            f'<svg class="chart" role="img" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" {FONT} aria-label="{escape(alt)}">'
            f"<title>{escape(alt)}</title>{''.join(self.parts)}</svg>"
        )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True in ``mask``."""
    runs, start = [], None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def _polyline(plot: _Plot, x: np.ndarray, y: np.ndarray, color: str, width=1.4) -> None:
    """Lines between consecutive finite points (a missing value breaks the line)."""
    for a, b in _runs(np.isfinite(y)):
        pts = " ".join(f"{_num(plot.x(x[i]))},{_num(plot.y(y[i]))}" for i in range(a, b))
        if b - a > 1:
            plot.add(
                f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"/>'
            )


def _band(plot: _Plot, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str) -> None:
    """A shaded band between ``lo`` and ``hi`` where both are finite."""
    for a, b in _runs(np.isfinite(lo) & np.isfinite(hi)):
        upper = [f"{_num(plot.x(x[i]))},{_num(plot.y(hi[i]))}" for i in range(a, b)]
        lower = [f"{_num(plot.x(x[i]))},{_num(plot.y(lo[i]))}" for i in range(b - 1, a - 1, -1)]
        if b - a == 1:  # one day: a short bar
            upper = [f"{_num(plot.x(x[a] - 0.15))},{_num(plot.y(hi[a]))}"]
            upper.append(f"{_num(plot.x(x[a] + 0.15))},{_num(plot.y(hi[a]))}")
            lower = [f"{_num(plot.x(x[a] + 0.15))},{_num(plot.y(lo[a]))}"]
            lower.append(f"{_num(plot.x(x[a] - 0.15))},{_num(plot.y(lo[a]))}")
        plot.add(
            f'<polygon points="{" ".join(upper + lower)}" fill="{color}" '
            'fill-opacity="0.15" stroke="none"/>'
        )


def _point(plot, x, y, color, r=2.5, tip="", stroke="none") -> None:
    plot.add(
        f'<circle cx="{_num(plot.x(x))}" cy="{_num(plot.y(y))}" r="{r}" fill="{color}" '
        f'stroke="{stroke}" stroke-width="0.6"><title>{escape(tip)}</title></circle>'
    )


def _floats(s: pd.DataFrame, column: str) -> np.ndarray:
    if column not in s.columns:
        return np.full(len(s), np.nan)
    return pd.to_numeric(s[column], errors="coerce").to_numpy(dtype=float)


def _range(*arrays: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([a[np.isfinite(a)] for a in arrays] or [np.array([])])
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def lines_over_days(series: Mapping[str, pd.DataFrame], *, title: str, ylabel: str = "") -> str:
    """One line per entry of ``series`` (frames with ``day``, ``value`` and optional
    ``lower``/``upper``, ``status``), the band shaded, warn/alert days marked."""
    days = sorted({d for s in series.values() for d in s["day"]})
    pos = {d: i for i, d in enumerate(days)}
    prepared = []
    for k, (label, s) in enumerate(series.items()):
        s = s.sort_values("day")
        x = np.array([pos[d] for d in s["day"]], dtype=float)
        prepared.append(
            (label, PALETTE[k % len(PALETTE)], s, x, _floats(s, "value"), _floats(s, "lower"))
        )
    arrays = []
    for _, _, s, _, y, lo in prepared:
        arrays += [y, lo, _floats(s, "upper")]
    ticks = nice_ticks(*_range(*arrays))
    plot = _Plot(WIDTH, HEIGHT, 52, 12, 24, 26, len(days), ticks[0], ticks[-1])
    plot.title(title)
    plot.y_axis(ticks)
    plot.x_days(days)
    if ylabel:
        plot.text(10, plot.y0 - 6, ylabel, size=8)
    for label, color, s, x, y, lo in prepared:
        _band(plot, x, lo, _floats(s, "upper"), color)
        _polyline(plot, x, y, color)
        status = s["status"].to_numpy() if "status" in s.columns else [None] * len(s)
        for i in np.flatnonzero(np.isfinite(y)):
            bad = status[i] in ("warn", "alert")
            tip = f"{s['day'].iloc[i]}: {label} {_label(y[i])}" + (
                f" ({status[i]})" if isinstance(status[i], str) else ""
            )
            if bad:
                _point(plot, x[i], y[i], STATUS_COLOR[status[i]], r=4, tip=tip, stroke="#000")
            else:
                _point(plot, x[i], y[i], color, tip=tip)
    if len(series) > 1:
        plot.legend([(label, color) for label, color, *_ in prepared])
    return plot.svg(title)


def realized_vs_estimated(estimated: pd.DataFrame, realized: pd.DataFrame, *, metric: str) -> str:
    """The estimated figure as a line with its band, the realized one as points with their
    confidence interval, over the union of their days."""
    days = sorted(set(estimated["day"]) | set(realized["day"]))
    pos = {d: i for i, d in enumerate(days)}
    e = estimated.sort_values("day")
    r = realized.sort_values("day")
    ev, elo, ehi = _floats(e, "value"), _floats(e, "lower"), _floats(e, "upper")
    rv, rlo, rhi = _floats(r, "value"), _floats(r, "lower"), _floats(r, "upper")
    ticks = nice_ticks(*_range(ev, elo, ehi, rv, rlo, rhi))
    title = f"{metric}: realized vs estimated"
    plot = _Plot(WIDTH, HEIGHT, 52, 12, 24, 26, len(days), ticks[0], ticks[-1])
    plot.title(title)
    plot.y_axis(ticks)
    plot.x_days(days)
    blue, orange = "#1565c0", "#e65100"
    if not e.empty:
        x = np.array([pos[d] for d in e["day"]], dtype=float)
        _band(plot, x, elo, ehi, blue)
        _polyline(plot, x, ev, blue)
        for i in np.flatnonzero(np.isfinite(ev)):
            tip = (
                f"{e['day'].iloc[i]}: estimated {_label(ev[i])} ({_label(elo[i])}–{_label(ehi[i])})"
            )
            _point(plot, x[i], ev[i], blue, r=1.5, tip=tip)
    if not r.empty:
        x = np.array([pos[d] for d in r["day"]], dtype=float)
        for i in np.flatnonzero(np.isfinite(rv)):
            lo = rlo[i] if np.isfinite(rlo[i]) else rv[i]
            hi = rhi[i] if np.isfinite(rhi[i]) else rv[i]
            px = _num(plot.x(x[i]))
            plot.add(
                f'<line x1="{px}" y1="{_num(plot.y(lo))}" x2="{px}" y2="{_num(plot.y(hi))}" '
                f'stroke="{orange}" stroke-width="1.2"/>'
            )
            tip = f"{r['day'].iloc[i]}: realized {_label(rv[i])} ({_label(lo)}–{_label(hi)})"
            _point(plot, x[i], rv[i], orange, r=3.5, tip=tip)
    entries = []
    if not e.empty:
        entries.append(("estimated (band)", blue))
    if not r.empty:
        entries.append(("realized (interval)", orange))
    plot.legend(entries)
    return plot.svg(title)


def _colour(value: float, vmax: float) -> str:
    if not math.isfinite(value):
        return "#eef1f4"
    share = min(1.0, max(0.0, value / vmax))
    return YLORRD[min(len(YLORRD) - 1, int(share * len(YLORRD)))]


def heatmap(matrix: pd.DataFrame, *, title: str, threshold: float | None = None, vmax=None) -> str:
    """Rows (e.g. features) × columns (days) coloured by value (saturating at ``vmax``);
    cells at or above ``threshold`` outlined."""
    rows = max(1, len(matrix.index))
    days = list(matrix.columns)
    values = matrix.to_numpy(dtype=float) if len(matrix) else np.zeros((0, len(days)))
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    vmax = vmax or max(1.0, top)
    height = max(HEIGHT, 60 + 14 * rows)
    plot = _Plot(WIDTH, height, 150, 48, 24, 26, len(days), 0, rows)
    plot.title(title)
    cell_w = (plot.x1 - plot.x0) / max(1, len(days))
    cell_h = (plot.y1 - plot.y0) / rows
    for i, name in enumerate(matrix.index):
        y = plot.y0 + i * cell_h
        plot.text(plot.x0 - 4, y + cell_h / 2 + 3, str(name)[:28], size=8, anchor="end")
        for j, day in enumerate(days):
            v = values[i, j]
            edge = ""
            if threshold is not None and math.isfinite(v) and v >= threshold:
                edge = ' stroke="#000" stroke-width="1"'
            plot.add(
                f'<rect x="{_num(plot.x0 + j * cell_w)}" y="{_num(y)}" width="{_num(cell_w)}" '
                f'height="{_num(cell_h)}" fill="{_colour(v, vmax)}"{edge}>'
                f"<title>{escape(f'{name}, {day}: {_label(v)}')}</title></rect>"
            )
    plot.x_days(days)
    # the scale: one swatch per colour class, 0 at the bottom and vmax at the top
    sw = (plot.y1 - plot.y0) / len(YLORRD)
    for k, colour in enumerate(YLORRD):
        plot.add(
            f'<rect x="{_num(plot.x1 + 8)}" y="{_num(plot.y1 - (k + 1) * sw)}" width="10" '
            f'height="{_num(sw)}" fill="{colour}"/>'
        )
    plot.text(plot.x1 + 21, plot.y1, "0", size=8)
    plot.text(plot.x1 + 21, plot.y0 + 7, f"≥{_label(vmax)}", size=8)
    return plot.svg(title)


def bars(labels: list[str], values: list[float], statuses: list[str], *, title: str) -> str:
    """Horizontal bars from zero, the first label on top, coloured by status."""
    rows = max(1, len(labels))
    vals = np.asarray(values, dtype=float)
    lo, hi = _range(vals)
    ticks = nice_ticks(min(0.0, lo), max(0.0, hi))
    height = max(HEIGHT, 60 + 16 * rows)
    plot = _Plot(WIDTH, height, 160, 16, 24, 26, 1, 0, rows)
    plot.title(title)

    def xv(v: float) -> float:
        return plot.x0 + (plot.x1 - plot.x0) * (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1.0)

    for t in ticks:
        plot.add(
            f'<line x1="{_num(xv(t))}" y1="{_num(plot.y0)}" x2="{_num(xv(t))}" '
            f'y2="{_num(plot.y1)}" stroke="#d9e2ec" stroke-width="1"/>'
        )
        plot.text(xv(t), plot.y1 + 12, _label(t), size=8, anchor="middle")
    cell = (plot.y1 - plot.y0) / rows
    zero = xv(0.0)
    for i, (label, v, status) in enumerate(zip(labels, vals, statuses, strict=True)):
        y = plot.y0 + i * cell
        plot.text(plot.x0 - 4, y + cell / 2 + 3, str(label)[:32], size=8, anchor="end")
        if not math.isfinite(v):
            continue
        a, b = sorted((zero, xv(v)))
        plot.add(
            f'<rect x="{_num(a)}" y="{_num(y + cell * 0.15)}" width="{_num(max(b - a, 0.5))}" '
            f'height="{_num(cell * 0.7)}" fill="{STATUS_COLOR.get(status, NEUTRAL)}">'
            f"<title>{escape(f'{label}: {_label(v)} ({status})')}</title></rect>"
        )
    plot.add(
        f'<line x1="{_num(zero)}" y1="{_num(plot.y0)}" x2="{_num(zero)}" y2="{_num(plot.y1)}" '
        'stroke="#52606d" stroke-width="1"/>'
    )
    return plot.svg(title)
