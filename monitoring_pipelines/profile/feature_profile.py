"""One day's feature profile: null rate, moments and quantiles of numeric features; distinct
values and the top category's share of categorical ones. One SQL scan of the day."""

from __future__ import annotations

from datetime import date

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.sql import predictions_table, qi

NUMERIC_STATS = ("null_rate", "nonfinite_rate", "mean", "std", "min", "p05", "p50", "p95", "max")
QUANTILES = (0.05, 0.5, 0.95)  # p05, p50, p95


def _numeric_sql(col: str) -> list[str]:
    c = qi(col)
    fin = f"CASE WHEN isfinite({c}) THEN {c} END"
    return [
        f"1 - count({c}) / greatest(count(*), 1)",
        f"count(*) FILTER (WHERE NOT isfinite({c})) / greatest(count({c}), 1)",
        f"avg({fin})",
        f"stddev_samp({fin})",
        f"min({fin})",
        f"quantile_cont({fin}, {list(QUANTILES)})",  # one sort for the three (NULL: no value)
        f"max({fin})",
    ]


def feature_profile(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> list[Metric]:
    """The ``profile`` family: one metric per (statistic, feature); subject is the feature."""
    table = predictions_table(cfg.name)
    exprs: list[str] = []
    for f in cfg.features.numeric:
        exprs += _numeric_sql(f)
    for f in cfg.features.categorical:
        c = qi(f)
        exprs += [f"1 - count({c}) / greatest(count(*), 1)", f"count(DISTINCT {c})"]
    values = con.execute(f"SELECT {', '.join(exprs)} FROM {table} WHERE _day = ?", [day]).fetchone()
    out: list[Metric] = []
    it = iter(values)
    for f in cfg.features.numeric:
        null_rate, nonfinite, mean, std, low, quantiles, high = (next(it) for _ in range(7))
        quantiles = quantiles or [None] * len(QUANTILES)  # NULL: the column had no value
        figures = [null_rate, nonfinite, mean, std, low, *quantiles, high]
        out += [Metric(stat, v, subject=f) for stat, v in zip(NUMERIC_STATS, figures, strict=True)]
    for f in cfg.features.categorical:
        out += [Metric("null_rate", next(it), subject=f), Metric("distinct", next(it), subject=f)]
    for f in cfg.features.categorical:
        row = con.execute(
            f"SELECT count(*) / (SELECT greatest(count({qi(f)}), 1) FROM {table} WHERE _day = $d) "
            f"FROM {table} WHERE _day = $d AND {qi(f)} IS NOT NULL GROUP BY {qi(f)} "
            "ORDER BY 1 DESC LIMIT 1",
            {"d": day},
        ).fetchone()
        out.append(Metric("top_share", row[0] if row else None, subject=f))
    return out
