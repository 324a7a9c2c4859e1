"""Concept drift signal: has the relation between the model's output and the label moved?

Method: the model's error on the labelled rows of the day is compared with its error on the
reference, with the same tests as any column. Regression: the residual ``label - prediction``
(label units) by KS, effect = Wasserstein in reference residual stds over
``concept_residual_alert``. Classifiers: the share of wrong predictions by chi-squared on the
(right, wrong) counts, effect = its change over ``concept_error_rate_alert``. Inputs that
drift also move the error; the signal points at a concept change when the error moves while
no feature alerts, so ``concept_drift`` is ``alert`` only
then, and ``warn`` when the inputs moved too. The reference's error is in-sample when the
reference is the training data, so it is optimistic: for classifiers, whose error rate then
sits a few points below production's, the signal is at most a ``warn``.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
from scipy.stats import wasserstein_distance

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.model_config import Task
from monitoring_pipelines.drift.backends import chi2_test, ks_test
from monitoring_pipelines.ingest.reference import reference_version
from monitoring_pipelines.store.derived import releasable
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.sql import (
    database_path,
    folder_beside,
    ground_truth_table,
    predictions_table,
    qi,
    reference_table,
)


def _error_expr(cfg: ModelConfig, label: str) -> str:
    pred = qi(cfg.columns.prediction)
    if cfg.task is Task.regression:
        return f"TRY_CAST({label} AS DOUBLE) - TRY_CAST({pred} AS DOUBLE)"
    return f"CAST(CAST({label} AS VARCHAR) <> CAST({pred} AS VARCHAR) AS DOUBLE)"


def _errors(con, cfg: ModelConfig, relation: str, label: str) -> np.ndarray:
    """Regression: the residuals of ``relation``'s rows with a label and a prediction."""
    out = con.execute(
        f"SELECT e FROM (SELECT {_error_expr(cfg, label)} AS e FROM {relation}) WHERE e IS NOT NULL"
    ).fetchnumpy()["e"]
    return np.asarray(out, dtype=float)


def _counts(con, cfg: ModelConfig, relation: str, label: str) -> np.ndarray:
    """Classifiers: [right, wrong] over ``relation``'s rows with a label and a prediction,
    counted in DuckDB."""
    right, wrong = con.execute(
        "SELECT count(*) FILTER (WHERE e = 0), count(*) FILTER (WHERE e = 1) "
        f"FROM (SELECT {_error_expr(cfg, label)} AS e FROM {relation})"
    ).fetchone()
    return np.array([right, wrong], dtype=np.int64)


_REFERENCE: dict[tuple, np.ndarray] = {}  # a classifier's reference [right, wrong] by version
releasable(_REFERENCE.clear)


def _reference_counts(con, cfg: ModelConfig, label: str) -> np.ndarray:
    """:func:`_counts` of the reference: the same every day, so kept per process for the
    database file and the reference version it holds (counted again when the version is
    unknown or the store is in memory)."""
    version = reference_version(con, cfg.name)
    path = database_path(con)
    count = lambda: _counts(con, cfg, reference_table(cfg.name), label)  # noqa: E731
    if version is None or folder_beside(path) is None:
        return count()
    key = (path, cfg.name, label, cfg.columns.prediction, version)
    if key not in _REFERENCE:
        if len(_REFERENCE) >= 64:
            _REFERENCE.clear()
        _REFERENCE[key] = count()
    return _REFERENCE[key]


def concept_drift(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, days: list[date], inputs_drifted: bool
) -> list[Metric]:
    """``error_shift`` (the effect, >= 1 is large; see the module docstring),
    ``error_p_value``, ``error_rows`` and ``concept_drift`` (1 when the error moved
    significantly and largely) with its status; [] under ``min_rows`` labelled rows."""
    s, label_col = cfg.drift, cfg.columns.label
    ref_cols = {r[0] for r in con.execute(f"DESCRIBE {reference_table(cfg.name)}").fetchall()}
    if not label_col or label_col not in ref_cols or cfg.columns.prediction not in ref_cols:
        return []  # the reference has no label (or no prediction): nothing to compare with
    in_days = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
    day_rel = (
        f"(SELECT g.label, p.{qi(cfg.columns.prediction)} FROM {ground_truth_table(cfg.name)} g "
        f"JOIN {predictions_table(cfg.name)} p ON p.{qi(cfg.columns.prediction_id)} = "
        f"g.prediction_id WHERE g._day IN ({in_days}))"
    )
    backend = str(s.detector_backend)
    if cfg.task is Task.regression:
        cur = _errors(con, cfg, day_rel, "label")
        if len(cur) < s.min_rows:
            return []
        ref = _errors(con, cfg, reference_table(cfg.name), qi(label_col))
        _, p = ks_test(ref, cur, backend)
        std = ref.std(ddof=1)
        w = wasserstein_distance(ref, cur)
        effect = w / (std * s.concept_residual_alert) if std > 0 else 0.0
        rows = len(cur)
    else:
        cc = _counts(con, cfg, day_rel, "label")
        rows = int(cc.sum())
        if rows < s.min_rows:
            return []
        rc = _reference_counts(con, cfg, qi(label_col))
        keep = (rc + cc) > 0
        _, p = chi2_test(rc[keep], cc[keep], backend)
        effect = abs(cc[1] / rows - rc[1] / max(int(rc.sum()), 1)) / s.concept_error_rate_alert
    moved = p < s.p_value and effect >= 1
    quiet_inputs = not inputs_drifted and cfg.task is Task.regression
    status = ("alert" if quiet_inputs else "warn") if moved else "ok"
    return [
        Metric("error_shift", float(effect), subject="concept", upper=1.0),
        Metric("error_p_value", float(p), subject="concept"),
        Metric("error_rows", float(rows), subject="concept"),
        Metric("concept_drift", float(moved), status=status),
    ]
