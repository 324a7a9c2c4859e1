"""Small PNG charts for Dagster metadata (markdown images with a data URI, a few tens of KB):
drift by feature over days, and realized vs estimated performance with its band."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from monitoring_pipelines.report import charts
from monitoring_pipelines.report.data import headline_series, load_metrics
from monitoring_pipelines.report.sections import drift_matrix

SIZE = (6.0, 2.4)
DPI = 80
DRIFT_DAYS = 14
PERFORMANCE_DAYS = 30


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows ``png`` inline: ``![alt](data:image/png;base64,...)``."""
    return f"![{alt}]({charts.data_uri(png)})"


def drift_chart(
    con: duckdb.DuckDBPyConnection, model: str, day: date, days: int = DRIFT_DAYS, top: int = 10
) -> bytes | None:
    """Heatmap of ``drift_effect`` for the ``top`` most drifted features over the ``days``
    ending on ``day`` (None when no feature was judged)."""
    frame = load_metrics(con, model, day - timedelta(days=days - 1), day, ["drift"])
    matrix = drift_matrix(frame, top=top)
    if matrix.empty:
        return None
    return charts.heatmap(
        matrix,
        title=f"drift effect by feature, {days} days to {day} (>= 1: alert)",
        threshold=1.0,
        vmax=3.0,
        size=SIZE,
        dpi=DPI,
    )


def performance_chart(
    con: duckdb.DuckDBPyConnection,
    model: str,
    day: date,
    metrics: list[str],
    days: int = PERFORMANCE_DAYS,
) -> bytes | None:
    """Realized (points, interval) vs estimated (line, band) of the first of ``metrics`` that
    either family holds, over the ``days`` ending on ``day`` (None when neither has one)."""
    frame = load_metrics(
        con, model, day - timedelta(days=days - 1), day, ["performance", "estimated_performance"]
    )
    for metric in metrics:
        est = headline_series(frame, "estimated_performance", metric)
        real = headline_series(frame, "performance", metric)
        real = real[real["value"].notna()]
        if not est.empty or not real.empty:
            return charts.realized_vs_estimated(est, real, metric=metric, size=SIZE, dpi=DPI)
    return None
