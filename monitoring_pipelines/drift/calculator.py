"""Measure one day (or a trailing window of days) of a model against its reference profile."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import Any

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.drift import NumericTest
from monitoring_pipelines.drift.columns import (
    FEATURE,
    NUMERIC,
    OUTPUT,
    TARGET,
    column_specs,
    day_relation,
    reference_relation,
)
from monitoring_pipelines.drift.concept import concept_drift
from monitoring_pipelines.drift.histograms import category_counts_of, values_of
from monitoring_pipelines.drift.multivariate import start_multivariate_drift
from monitoring_pipelines.drift.outputs import vital_signs
from monitoring_pipelines.drift.result import DriftResult
from monitoring_pipelines.drift.sorted_reference import sorted_reference
from monitoring_pipelines.drift.stats import correct
from monitoring_pipelines.drift.univariate import ColumnDrift, judge, measure
from monitoring_pipelines.ingest.reference import reference_version
from monitoring_pipelines.store.sql import database_path, qi


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
    mv = profile.get("multivariate")
    # the domain classifier runs on a worker thread while the columns are measured
    multivariate = (
        start_multivariate_drift(con, cfg, mv, day_relation(cfg, FEATURE, day)) if mv else None
    )
    ref_rel = reference_relation(cfg)
    version = reference_version(con, cfg.name)
    has_labels = _has_labels(con, cfg)
    todo = [
        (spec, ref, day_relation(cfg, spec.role, day))
        for spec in column_specs(cfg)
        if (ref := profile["columns"].get(spec.subject)) is not None
        and (spec.role != TARGET or has_labels)
    ]
    # the numeric columns of each relation read in one query, the categorical ones counted
    # in one more, not one query per column; the outputs are read beside the features
    sources = {spec.subject: _source(cfg, spec, rel, day) for spec, _, rel in todo}
    numeric: dict[str, list[str]] = {}
    categorical: dict[str, list[str]] = {}
    for spec, _, _ in todo:
        src_rel, src_expr = sources[spec.subject]
        (numeric if spec.kind == NUMERIC else categorical).setdefault(src_rel, []).append(src_expr)
    read = {rel: values_of(con, rel, list(dict.fromkeys(exprs))) for rel, exprs in numeric.items()}
    for rel, exprs in categorical.items():
        read.setdefault(rel, {}).update(category_counts_of(con, rel, exprs))
    values = {subject: read[src_rel][src_expr] for subject, (src_rel, src_expr) in sources.items()}
    columns = _measure_all(con, todo, values, ref_rel, s, version)
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
    result.extra = vital_signs(con, cfg, day, labels=has_labels)
    if has_labels:
        drifted = any(c.status == "alert" for c in result.of_role(FEATURE))
        days = day if isinstance(day, list) else [day]
        result.extra += concept_drift(con, cfg, days, inputs_drifted=drifted)
    if multivariate is not None:
        result.multivariate = multivariate()
    return result


def _source(cfg: ModelConfig, spec, rel: str, day: date | list[date]) -> tuple[str, str]:
    """(relation, expression) the day's values of ``spec`` are read from: its own relation,
    except an output of a model that logs failed predictions, read from the features' relation
    with a failed prediction's value as NULL (the rows the outputs' relation keeps), so the
    outputs share the features' queries. NULLs are left out of the values and the counts."""
    error = cfg.columns.error
    if spec.role != OUTPUT or not error:
        return rel, spec.expr(spec.cur_col)
    expr = f"CASE WHEN {qi(error)} IS NULL THEN {spec.expr(spec.cur_col)} END"
    return day_relation(cfg, FEATURE, day), expr


def _measure_all(con, todo, read, ref_rel: str, s, version: str | None) -> list[ColumnDrift]:
    """:func:`measure` of every (spec, profile entry, relation) of ``todo``, in order.

    ``read``: each column's numeric values or category counts, by subject. The
    queries run on this thread (DuckDB parallelises them itself); a numeric column's
    KS and Wasserstein, numpy sorts and searches on values already read that release the
    GIL, run two at a time on worker threads, as the cores allow. The figures are the same
    as measured one by one. The alibi backend's tests run in line: its first use imports
    alibi-detect, which is kept to one thread. So do the binned numeric tests
    (``numeric_test: binned``): a bin count and two means a column, less than a thread's
    hand-off."""
    threads = str(s.detector_backend) != "alibi" and s.numeric_test == NumericTest.ks
    pool = ThreadPoolExecutor(2, thread_name_prefix="drift-column") if threads else None
    path = database_path(con)
    try:
        pending: list[Future[ColumnDrift] | ColumnDrift] = []
        for spec, ref, rel in todo:
            cur = read[spec.subject]
            if spec.kind != NUMERIC:
                pending.append(measure(con, spec, ref, rel, ref_rel, s, version, cur_counts=cur))
                continue
            if pool is None:
                pending.append(measure(con, spec, ref, rel, ref_rel, s, version, cur))
                continue
            ref_sorted = sorted_reference(con, ref_rel, spec.expr(spec.ref_col), version, path)
            args = (spec, ref, rel, ref_rel, s, version, cur, ref_sorted)
            pending.append(pool.submit(measure, None, *args))
        return [p.result() if isinstance(p, Future) else p for p in pending]
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _has_labels(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> bool:
    from monitoring_pipelines.store.sql import ground_truth_table

    return cfg.labels is not None and _exists(con, ground_truth_table(cfg.name))
