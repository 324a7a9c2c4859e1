"""Measure one day (or a trailing window of days) of a model against its reference profile."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.drift.columns import (
    FEATURE,
    TARGET,
    column_specs,
    day_relation,
    reference_relation,
)
from monitoring_pipelines.drift.concept import concept_drift
from monitoring_pipelines.drift.outputs import vital_signs
from monitoring_pipelines.drift.result import DriftResult
from monitoring_pipelines.drift.stats import correct
from monitoring_pipelines.drift.univariate import ColumnDrift, judge, measure
from monitoring_pipelines.ingest.reference import reference_version


def _exists(con: duckdb.DuckDBPyConnection, quoted: str) -> bool:
    name = quoted.strip('"').replace('""', '"')
    (n,) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return n > 0


def calculate_drift(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    profile: dict[str, Any],
    day: date | list[date],
) -> DriftResult:
    """Drift of ``day`` (a date, or the list of dates of a window) against ``profile``.

    The p-values of the features, outputs and the label (labels known so far for those days)
    are corrected for multiple testing as one family, then each column is judged
    (significance and effect size). A feature whose importance share is below
    ``min_importance_share`` is capped at ``warn``.
    """
    s = cfg.drift
    ref_rel = reference_relation(cfg)
    version = reference_version(con, cfg.name)
    columns: list[ColumnDrift] = []
    for spec in column_specs(cfg):
        ref = profile["columns"].get(spec.subject)
        rel = day_relation(cfg, spec.role, day)
        if ref is None or (spec.role == TARGET and not _has_labels(con, cfg)):
            continue
        columns.append(measure(con, spec, ref, rel, ref_rel, s, version))
    importance = profile.get("importance", {})
    for c, p in zip(columns, correct([c.p_value for c in columns], str(s.correction)), strict=True):
        c.p_adjusted = p
        c.status = judge(c, s)
        if (
            c.spec.role == FEATURE
            and c.status == "alert"
            and importance.get(c.spec.subject, 1.0) < s.min_importance_share
        ):
            c.status = "warn"
            c.note = "ignored by the model (importance below min_importance_share)"
    result = DriftResult(cfg.name, columns, importance)
    labels = _has_labels(con, cfg)
    result.extra = vital_signs(con, cfg, day, labels=labels)
    if labels:
        drifted = any(c.status == "alert" for c in result.of_role(FEATURE))
        days = day if isinstance(day, list) else [day]
        result.extra += concept_drift(con, cfg, days, inputs_drifted=drifted)
    mv = profile.get("multivariate")
    if mv:
        from monitoring_pipelines.drift.multivariate import multivariate_drift

        result.multivariate = multivariate_drift(con, cfg, mv, day_relation(cfg, FEATURE, day))
    return result


def _has_labels(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> bool:
    from monitoring_pipelines.store.sql import ground_truth_table

    return cfg.labels is not None and _exists(con, ground_truth_table(cfg.name))
