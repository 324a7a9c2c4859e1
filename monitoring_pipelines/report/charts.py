"""PNG charts of metrics over days for Dagster metadata (markdown images), drawn with
matplotlib's Agg canvas (no display, no pyplot global state). Every function returns PNG
bytes; :func:`data_uri` inlines them. The HTML reports draw inline SVG instead (``svg.py``):
about forty charts a report, where matplotlib's text layout cost seconds."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

STATUS_COLOR = {"ok": "#2e7d32", "warn": "#f9a825", "alert": "#c62828"}
SIZE = (7.0, 2.6)  # inches
DPI = 80


def _figure(size=SIZE, dpi=DPI, left: float = 0.6) -> Figure:
    """A figure with fixed margins (``left`` in inches): faster than a layout engine."""
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    w, h = size
    fig.subplots_adjust(left=left / w, right=1 - 0.15 / w, bottom=0.45 / h, top=1 - 0.3 / h)
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no software tag, so no URL inside the file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for an ``<img src>`` or a markdown image."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _days_axis(ax, days) -> None:
    days = list(days)
    step = max(1, len(days) // 8)
    ax.set_xticks(range(0, len(days), step))
    ax.set_xticklabels([str(d)[5:] for d in days[::step]], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(alpha=0.3)


def lines_over_days(
    series: Mapping[str, pd.DataFrame],
    *,
    title: str,
    ylabel: str = "",
    size=SIZE,
    dpi=DPI,
) -> bytes:
    """One line per entry of ``series`` (frames with ``day``, ``value`` and optional
    ``lower``/``upper``, ``status``), the band shaded, warn/alert days marked."""
    fig = _figure(size, dpi)
    ax = fig.add_subplot()
    days = sorted({d for s in series.values() for d in s["day"]})
    pos = {d: i for i, d in enumerate(days)}
    for label, s in series.items():
        s = s.sort_values("day")
        x = np.array([pos[d] for d in s["day"]])
        y = s["value"].astype(float).to_numpy()
        (line,) = ax.plot(x, y, marker="o", ms=3, lw=1.4, label=label)
        if {"lower", "upper"} <= set(s.columns):
            lo, hi = s["lower"].astype(float).to_numpy(), s["upper"].astype(float).to_numpy()
            if np.isfinite(lo).any() or np.isfinite(hi).any():
                ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.15, lw=0)
        if "status" in s.columns:
            bad = s["status"].isin(["warn", "alert"]).to_numpy()
            colors = [STATUS_COLOR[v] for v in s["status"][bad]]
            ax.scatter(x[bad], y[bad], c=colors, s=28, zorder=3, edgecolors="black", lw=0.4)
    _days_axis(ax, days)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=8)
    if len(series) > 1:
        ax.legend(fontsize=7, loc="upper left")  # "best" searches every position: slow
    return to_png(fig)


def realized_vs_estimated(
    estimated: pd.DataFrame, realized: pd.DataFrame, *, metric: str, size=SIZE, dpi=DPI
) -> bytes:
    """The estimated figure as a line with its band, the realized one as points with their
    confidence interval, over the union of their days."""
    fig = _figure(size, dpi)
    ax = fig.add_subplot()
    days = sorted(set(estimated["day"]) | set(realized["day"]))
    pos = {d: i for i, d in enumerate(days)}
    if not estimated.empty:
        e = estimated.sort_values("day")
        x = np.array([pos[d] for d in e["day"]])
        ax.plot(x, e["value"].astype(float), color="#1565c0", lw=1.4, label="estimated")
        ax.fill_between(
            x,
            e["lower"].astype(float),
            e["upper"].astype(float),
            color="#1565c0",
            alpha=0.15,
            lw=0,
            label="estimate band",
        )
    if not realized.empty:
        r = realized.sort_values("day")
        x = np.array([pos[d] for d in r["day"]])
        y = r["value"].astype(float).to_numpy()
        lo = np.nan_to_num(y - r["lower"].astype(float).to_numpy(), nan=0.0)
        hi = np.nan_to_num(r["upper"].astype(float).to_numpy() - y, nan=0.0)
        ax.errorbar(
            x,
            y,
            yerr=[np.clip(lo, 0, None), np.clip(hi, 0, None)],
            fmt="o",
            ms=4,
            color="#e65100",
            capsize=2,
            label="realized",
        )
    _days_axis(ax, days)
    ax.set_title(f"{metric}: realized vs estimated", fontsize=9)
    if not (estimated.empty and realized.empty):  # a legend needs something to name
        ax.legend(fontsize=7, loc="upper left")
    return to_png(fig)


def heatmap(
    matrix: pd.DataFrame,
    *,
    title: str,
    threshold: float | None = None,
    vmax: float | None = None,
    size=SIZE,
    dpi=DPI,
) -> bytes:
    """Rows (e.g. features) × columns (days) coloured by value (saturating at ``vmax``);
    cells at or above ``threshold`` outlined."""
    rows = max(1, len(matrix.index))
    fig = _figure((size[0], max(size[1], 0.9 + 0.22 * rows)), dpi, left=1.7)
    ax = fig.add_subplot()
    values = matrix.to_numpy(dtype=float)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
    vmax = vmax or max(1.0, top)
    image = ax.imshow(values, aspect="auto", cmap="YlOrRd", vmin=0, vmax=vmax)
    ax.set_yticks(range(rows))
    ax.set_yticklabels([str(r)[:28] for r in matrix.index], fontsize=7)
    _days_axis(ax, list(matrix.columns))
    ax.grid(False)
    if threshold is not None:
        for i, j in zip(*np.where(values >= threshold), strict=True):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=1.0))
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.01).ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    return to_png(fig)


def bars(
    labels: list[str],
    values: list[float],
    statuses: list[str],
    *,
    title: str,
    size=SIZE,
    dpi=DPI,
) -> bytes:
    """Horizontal bars, the largest on top, coloured by status."""
    rows = max(1, len(labels))
    fig = _figure((size[0], max(size[1], 0.8 + 0.22 * rows)), dpi, left=1.9)
    ax = fig.add_subplot()
    y = np.arange(rows)[::-1]
    ax.barh(y, values, color=[STATUS_COLOR.get(s, "#607d8b") for s in statuses])
    ax.set_yticks(y)
    ax.set_yticklabels([str(v)[:32] for v in labels], fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=9)
    return to_png(fig)
