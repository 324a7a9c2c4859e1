"""What is fitted once per model on its reference: the metric bands and the performance
estimator (CBPE for classifiers, DLE for regressors), kept in the store between runs."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.bands import Band, chunk_bounds, fit_bands, sampling_std
from monitoring_pipelines.performance.cbpe import BinaryCBPE, MulticlassCBPE
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.dle import DLE
from monitoring_pipelines.performance.realized import by_score, task_metrics
from monitoring_pipelines.store.sql import model_row

TABLE = "performance_estimators"


@dataclass
class PerformanceEstimator:
    """A model's fitted state: bands of the realized metrics over reference windows, the
    estimator (None when the reference lacks what it needs) and the reference's figures."""

    model: str
    task: str
    reference_rows: int
    bands: dict[str, Band]
    reference: dict[str, float]
    estimator: BinaryCBPE | MulticlassCBPE | DLE | None = None
    notes: list[str] = field(default_factory=list)


def chunk_metrics(cfg: ModelConfig, ref: Rows, chunks: int, bins: int) -> dict[str, np.ndarray]:
    """Metric -> its figure on each of ``chunks`` equal windows of consecutive reference rows
    (:func:`chunk_bounds`), each window's rows taken alone (unit weights): the figures of
    weighting every row by its window's 0/1 indicator, at a tenth of the work and memory
    (one window's rows at a time instead of a chunks x rows weight matrix)."""
    bounds = chunk_bounds(len(ref), chunks)
    figures = [
        task_metrics(cfg, ref.take(slice(a, b), frame=False), np.ones((1, b - a)), bins)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return {name: np.concatenate([f[name] for f in figures]) for name in figures[0]}


def fit_estimator(cfg: ModelConfig, ref: Rows) -> PerformanceEstimator:
    """Fit bands and the task's estimator on the reference rows. Without reference labels
    nothing can be fitted: the state has no bands, no estimator and says why."""
    s = cfg.performance
    n = len(ref)
    if ref.y is None or n < s.reference_chunks * 2:
        note = f"reference has no labels in column {cfg.columns.label!r} (or too few rows)"
        return PerformanceEstimator(cfg.name, cfg.task.value, n, {}, {}, None, [note])
    per_chunk = chunk_metrics(cfg, ref, s.reference_chunks, s.calibration_bins)
    whole = task_metrics(cfg, ref, np.ones((1, n)), s.calibration_bins)
    # the sampling error of a window's figure, from a bootstrap of (at most
    # bootstrap_max_rows) reference rows: the floor of each band's deviation
    rows_per_chunk = n / s.reference_chunks
    m = int(min(rows_per_chunk, s.bootstrap_max_rows))
    keep = np.sort(np.random.default_rng(s.seed).choice(n, m, replace=False))
    sub = by_score(cfg, ref.take(keep, frame=False))
    floor = sampling_std(
        lambda w: task_metrics(cfg, sub, w, s.calibration_bins),
        m,
        rows_per_chunk,
        s.bootstrap_resamples,
        s.seed,
    )
    state = PerformanceEstimator(
        model=cfg.name,
        task=cfg.task.value,
        reference_rows=n,
        bands=fit_bands(per_chunk, rows_per_chunk, floor),
        reference={k: float(v[0]) for k, v in whole.items()},
    )
    if cfg.task is Task.regression:
        state.estimator = DLE.fit(
            ref.frame,
            ref.yhat,
            ref.y,
            numeric=cfg.features.numeric,
            categorical=cfg.features.categorical,
            max_iter=s.dle_max_iter,
            max_rows=s.dle_max_rows,
            seed=s.seed,
        )
    elif ref.scores is None:
        state.notes.append("no scores logged: performance cannot be estimated without labels")
    elif cfg.task is Task.binary:
        state.estimator = BinaryCBPE.fit(
            ref.scores, ref.y, s.calibration, s.calibration_bins, s.seed
        )
    else:
        state.estimator = MulticlassCBPE.fit(
            ref.scores, ref.y, s.calibration, s.calibration_bins, s.seed
        )
    return state


def save_estimator(con: duckdb.DuckDBPyConnection, state: PerformanceEstimator) -> None:
    """Replace the model's stored estimator (call inside a transaction)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (model VARCHAR PRIMARY KEY, "
        "fitted_at TIMESTAMP, state BLOB)"
    )
    con.execute(f"DELETE FROM {TABLE} WHERE model = ?", [state.model])
    con.execute(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?)",
        [state.model, datetime.now(), pickle.dumps(state)],
    )


def load_estimator(con: duckdb.DuckDBPyConnection, model: str) -> PerformanceEstimator | None:
    """The model's stored estimator, or None when none was fitted yet."""
    row = model_row(con, TABLE, model, "state")
    return pickle.loads(row[0]) if row else None
