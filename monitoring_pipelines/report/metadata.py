"""Charts for Dagster metadata, markdown images with an SVG data URI (a few KB): drift by
feature over days, and realized vs estimated performance with its band. They are the HTML
reports' own SVG charts (``svg.py``), made standalone; a day's run no longer imports
matplotlib (about 0.6 s of a cold start) or renders PNGs (about 0.3 s a day at W1)."""

from __future__ import annotations

import base64
from datetime import date, timedelta

import duckdb

from monitoring_pipelines.report import svg
from monitoring_pipelines.report.data import headline_series, load_metrics
from monitoring_pipelines.report.sections import drift_matrix

DRIFT_DAYS = 14
PERFORMANCE_DAYS = 30


SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def standalone(chart: str) -> str:
    """An inline ``<svg>`` chart as a standalone SVG document (an image file needs the SVG
    namespace, which inline SVG in HTML5 does without)."""
    return chart.replace("<svg ", f"<svg {SVG_NS} ", 1)


def data_uri(chart: str) -> str:
    """``data:image/svg+xml;base64,...`` of a chart, for a markdown image or ``<img src>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(standalone(chart).encode()).decode()


def markdown_image(chart: str, alt: str) -> str:
    """Markdown that shows ``chart`` inline: ``![alt](data:image/svg+xml;base64,...)``."""
    return f"![{alt}]({data_uri(chart)})"


def drift_chart(
    con: duckdb.DuckDBPyConnection, model: str, day: date, days: int = DRIFT_DAYS, top: int = 10
) -> str | None:
    """Heatmap of ``drift_effect`` for the ``top`` most drifted features over the ``days``
    ending on ``day`` (None when no feature was judged)."""
    frame = load_metrics(
        con, model, day - timedelta(days=days - 1), day, ["drift"], ["drift_effect"]
    )
    matrix = drift_matrix(frame, top=top)
    if matrix.empty:
        return None
    return svg.heatmap(
        matrix,
        title=f"drift effect by feature, {days} days to {day} (>= 1: alert)",
        threshold=1.0,
        vmax=3.0,
    )


def performance_chart(
    con: duckdb.DuckDBPyConnection,
    model: str,
    day: date,
    metrics: list[str],
    days: int = PERFORMANCE_DAYS,
) -> str | None:
    """Realized (points, interval) vs estimated (line, band) of the first of ``metrics`` that
    either family holds, over the ``days`` ending on ``day`` (None when neither has one)."""
    frame = load_metrics(
        con,
        model,
        day - timedelta(days=days - 1),
        day,
        ["performance", "estimated_performance"],
        list(metrics),
    )
    for metric in metrics:
        est = headline_series(frame, "estimated_performance", metric)
        real = headline_series(frame, "performance", metric)
        real = real[real["value"].notna()]
        if not est.empty or not real.empty:
            return svg.realized_vs_estimated(est, real, metric=metric)
    return None
