"""Per-row loss of a day (or window): realized where labels exist, estimated where not.

Realized loss: 0/1 error for classifiers, absolute error (target units) for regressors.
Estimated loss: the performance estimator's expected loss of each row: for classifiers the
calibrated probability that the prediction is wrong (CBPE), for regressors the DLE model's
expected absolute error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.cbpe import BinaryCBPE, MulticlassCBPE
from monitoring_pipelines.performance.data import Rows, to_rows
from monitoring_pipelines.performance.dle import DLE
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.store.run_memo import run_frame
from monitoring_pipelines.store.sql import ground_truth_table, predictions_table, qi

REALIZED, ESTIMATED = "realized", "estimated"


def slicing_columns(cfg: ModelConfig) -> list[str]:
    """Columns slices are cut on, in canonical order: features (numeric, then categorical),
    then segment and sensitive columns that are not features."""
    return list(dict.fromkeys([*cfg.features.all, *cfg.segments, *cfg.sensitive]))


@dataclass
class DayRows:
    """Every served row of some days (``rows``, no labels) and which of them are labelled:
    ``labelled`` is a boolean mask, ``y`` the labels of the labelled rows (task's shape)."""

    rows: Rows
    labelled: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def labelled_rows(self) -> Rows:
        """The labelled rows with their labels."""
        r, m = self.rows, self.labelled
        scores = None if r.scores is None else r.scores[m]
        return Rows(r.yhat[m], self.y, scores, r.frame[m].reset_index(drop=True))


def read_rows(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    first: date,
    last: date,
    *,
    run_id: str | None = None,
) -> DayRows:
    """Predictions with an output on days ``first``..``last`` with their slicing columns,
    outputs and, where joined, labels (the join runs in DuckDB). ``run_id``: read once per
    run (see :mod:`~monitoring_pipelines.store.run_memo`)."""
    c = cfg.columns
    cols = [c.prediction, c.score if cfg.task is Task.binary else None, *c.class_scores.values()]
    cols += slicing_columns(cfg)
    select = ", ".join(f"p.{qi(x)}" for x in dict.fromkeys(x for x in cols if x))
    (labels,) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [f"ground_truth__{cfg.name}"]
    ).fetchone()
    join = (
        f"LEFT JOIN {ground_truth_table(cfg.name)} g ON g.prediction_id = "
        f"p.{qi(c.prediction_id)} AND g._day = p._day"
        if labels
        else "LEFT JOIN (SELECT NULL AS label) g ON false"
    )
    frame = run_frame(
        run_id,
        con,
        f"""SELECT {select}, g.label AS _label FROM {predictions_table(cfg.name)} p {join}
            WHERE p._day BETWEEN ? AND ? AND p.{qi(c.prediction)} IS NOT NULL
            ORDER BY p._day, p.{qi(c.prediction_id)}""",
        [first, last],
    )
    labelled = frame["_label"].notna().to_numpy()
    rows = to_rows(cfg, frame, None)
    y = to_rows(cfg, frame[labelled].reset_index(drop=True), "_label").y
    return DayRows(rows, labelled, y)


@dataclass
class RowLoss:
    """Per-row losses and where they come from.

    ``frame``: the rows' raw columns; ``loss``: one value per row of ``frame``;
    ``source``: 'realized' (labelled rows only) or 'estimated' (every served row);
    ``served``/``labelled``: rows served and labelled in the period.
    """

    frame: pd.DataFrame
    loss: np.ndarray
    source: str
    served: int
    labelled: int


def realized_loss(cfg: ModelConfig, rows: Rows) -> np.ndarray:
    """0/1 error (classifiers) or absolute error in target units (regressors) per row."""
    if cfg.task is Task.regression:
        return np.abs(rows.yhat - rows.y)
    return (rows.yhat != rows.y).astype(float)


def estimated_loss(estimator: BinaryCBPE | MulticlassCBPE | DLE, rows: Rows) -> np.ndarray:
    """Expected per-row loss: probability of a wrong class (CBPE) or expected absolute
    error (DLE, target units)."""
    if isinstance(estimator, DLE):
        return estimator.row_losses(rows.frame, rows.yhat)[0]
    if isinstance(estimator, BinaryCBPE):
        p = estimator.calibrator(rows.scores)
        return np.where(rows.yhat == 1, 1.0 - p, p)
    p = estimator.probabilities(rows.scores)
    k = p.shape[1]
    hit = p[np.arange(len(p)), np.clip(rows.yhat, 0, k - 1)]
    return np.where(rows.yhat >= 0, 1.0 - hit, 1.0)


def loss_source(cfg: ModelConfig, served: int, labelled: int) -> str:
    """Realized when at least ``min_labelled_rows`` rows and ``min_label_coverage`` of the
    served rows are labelled, else estimated."""
    s = cfg.slices
    if served and labelled >= s.min_labelled_rows and labelled / served >= s.min_label_coverage:
        return REALIZED
    return ESTIMATED


def row_loss(
    cfg: ModelConfig, state: PerformanceEstimator | None, data: DayRows, source: str | None = None
) -> RowLoss | None:
    """The per-row loss of ``source`` (default: :func:`loss_source` of ``data``): realized
    on the labelled rows, or the estimator's expected loss on every row; None when the
    estimated loss is wanted and cannot be had (no estimator, no rows, no scores)."""
    served, labelled = len(data), int(data.labelled.sum())
    if (source or loss_source(cfg, served, labelled)) == REALIZED:
        rows = data.labelled_rows()
        return RowLoss(rows.frame, realized_loss(cfg, rows), REALIZED, served, labelled)
    estimator = state.estimator if state else None
    if estimator is None or served == 0:
        return None
    if not isinstance(estimator, DLE) and data.rows.scores is None:
        return None
    loss = estimated_loss(estimator, data.rows)
    return RowLoss(data.rows.frame, loss, ESTIMATED, served, labelled)
