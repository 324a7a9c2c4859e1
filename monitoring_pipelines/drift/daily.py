"""Everything the ``drift`` family holds for one model's day: the day, its trailing window
and, on the first production days, training-serving skew."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.drift.calculator import calculate_drift
from monitoring_pipelines.drift.columns import FEATURE
from monitoring_pipelines.drift.result import DriftResult, worst
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.sql import predictions_table, qi


def production_day(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> int | None:
    """1 for the model's first day with logs, 2 for the next calendar day, ...; None if none."""
    (first,) = con.execute(f"SELECT min(_day) FROM {predictions_table(cfg.name)}").fetchone()
    return None if first is None else (day - first).days + 1


def day_version(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> str | None:
    """The model version that served most of the day's predictions, or None."""
    col = cfg.columns.model_version
    if not col:
        return None
    row = con.execute(
        f"SELECT CAST({qi(col)} AS VARCHAR) FROM {predictions_table(cfg.name)} WHERE _day = ? "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        [day],
    ).fetchone()
    return None if row is None else row[0]


def skew_metrics(result: DriftResult, n: int) -> list[Metric]:
    """Training-serving skew: the first production days' feature drift against the training
    data (the reference), as ``training_serving_skew`` (effect size, per feature) and the
    headline ``skewed_features`` (count of alerting features) with the worst status."""
    feats = result.of_role(FEATURE)
    rows = [
        Metric(
            "training_serving_skew", c.effect, subject=c.spec.subject, upper=1.0, status=c.status
        )
        for c in feats
    ]
    alerts = sum(c.status == "alert" for c in feats)
    rows.append(Metric("skewed_features", float(alerts), status=worst([c.status for c in feats])))
    rows.append(Metric("production_day", float(n)))
    return rows


def daily_drift(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, profile: dict[str, Any], day: date
) -> tuple[DriftResult, list[Metric]]:
    """(the day's result, every metric of the day's ``drift`` family).

    With ``window_days`` > 1 the trailing window (the day and the days before it) is measured
    with the same machinery and its figures added with the prefix ``window_``.
    """
    s = cfg.drift
    result = calculate_drift(con, cfg, profile, day)
    metrics = result.metrics()
    n = production_day(con, cfg, day)
    if n is not None and 1 <= n <= s.skew_days:
        metrics += skew_metrics(result, n)
    if s.window_days > 1:
        days = [day - timedelta(days=i) for i in range(s.window_days - 1, -1, -1)]
        window = calculate_drift(con, cfg, profile, days)
        metrics += [replace(m, metric=f"window_{m.metric}") for m in window.metrics()]
    return result, metrics
