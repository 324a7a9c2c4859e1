"""The model's vital signs of a day: class counts and shares, output quantiles and mean.

Subjects: ``output:<column>`` (``output:<column>=<class>`` for a class) and the same with
``target:`` for the labels known so far. Recorded as figures (status ok); their drift against
the reference is judged by the univariate machinery on the same columns.
"""

from __future__ import annotations

from datetime import date

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.drift.columns import (
    NUMERIC,
    OUTPUT,
    TARGET,
    column_specs,
    day_relation,
)
from monitoring_pipelines.drift.histograms import category_counts
from monitoring_pipelines.store.metrics import Metric

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def vital_signs(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date | list[date], labels: bool
) -> list[Metric]:
    """``class_count``/``class_share`` per class (categorical outputs, labels) and
    ``mean``/``p05``..``p95`` (numeric outputs and regression labels, in the column's units).
    Labels only when ``labels`` (the model has a ground-truth table)."""
    out: list[Metric] = []
    for spec in column_specs(cfg):
        if spec.role not in (OUTPUT, TARGET) or (spec.role == TARGET and not labels):
            continue
        rel, expr = day_relation(cfg, spec.role, day), spec.expr(spec.cur_col)
        if spec.kind == NUMERIC:
            row = con.execute(
                f"SELECT avg(x), quantile_cont(x, ?) FROM (SELECT {expr} AS x FROM {rel})",
                [list(QUANTILES)],
            ).fetchone()
            if row[0] is None:
                continue
            out.append(Metric("mean", float(row[0]), subject=spec.subject))
            out += [
                Metric(f"p{round(q * 100):02d}", float(v), subject=spec.subject)
                for q, v in zip(QUANTILES, row[1], strict=True)
            ]
            continue
        counts = category_counts(con, rel, expr)
        total = sum(counts.values())
        for cls, n in sorted(counts.items()):
            subject = f"{spec.subject}={cls}"
            out.append(Metric("class_count", float(n), subject=subject))
            out.append(Metric("class_share", n / total, subject=subject))
    return out
