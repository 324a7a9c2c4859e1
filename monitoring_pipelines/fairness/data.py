"""Reading the rows fairness is measured on: every prediction with an output on some days, its
label where one has joined, and the sensitive attributes it was logged with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.data import to_rows
from monitoring_pipelines.store.sql import ground_truth_table, predictions_table, qi

MISSING = "(missing)"
"""The group of rows whose sensitive attribute is null (reported, never in a difference)."""


@dataclass
class FairnessRows:
    """Predictions of some days, in one shape for every task.

    ``yhat``/``y``: class indices in :attr:`ModelConfig.class_values` order (-1: a value
    outside the list; binary: 1 = positive class) or target values (regression). ``labelled``
    marks the rows whose ``y`` is known (elsewhere ``y`` is meaningless). ``groups`` holds one
    string column per sensitive attribute present in the logs (nulls as :data:`MISSING`);
    ``absent`` lists configured attributes the logs do not have. ``weight``: how many
    predictions each row stands for (a classifier's rows come counted from DuckDB, one per
    distinct attributes x prediction x label; None: one each).
    """

    yhat: np.ndarray
    y: np.ndarray
    labelled: np.ndarray
    groups: pd.DataFrame
    absent: list[str] = field(default_factory=list)
    weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.weight is None:
            self.weight = np.ones(len(self.yhat))

    def __len__(self) -> int:
        """The number of predictions (not of rows, when rows are counted cells)."""
        return int(self.weight.sum())

    @property
    def labelled_count(self) -> int:
        """The number of labelled predictions."""
        return int(self.weight[self.labelled].sum())


def fairness_rows(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date
) -> FairnessRows:
    """Every prediction with an output on days ``first``..``last`` with its label (if joined)
    and its sensitive attributes; the join and the filters run in DuckDB."""
    table = predictions_table(cfg.name)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if f"predictions__{cfg.name}" not in tables:  # nothing ingested yet
        empty = pd.DataFrame({cfg.columns.prediction: [], "_label": []})
        return from_frame(cfg, empty, "_label", {}, list(cfg.sensitive))
    have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    present = [a for a in cfg.sensitive if a in have]
    absent = [a for a in cfg.sensitive if a not in have]
    pred, pid = cfg.columns.prediction, cfg.columns.prediction_id
    attrs = "".join(f", CAST(p.{qi(a)} AS VARCHAR) AS {qi('_s_' + a)}" for a in present)
    counted = cfg.task is not Task.regression  # a classifier's figures are counts of cells
    select = f"p.{qi(pred)} AS {qi(pred)}, g.label AS _label{attrs}"
    frame = con.execute(
        f"""SELECT {select}{", count(*) AS _n" if counted else ""}
            FROM {table} p LEFT JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{qi(pid)} AND g._day = p._day AND g.label IS NOT NULL
            WHERE p._day BETWEEN ? AND ? AND p.{qi(pred)} IS NOT NULL
            {"GROUP BY ALL ORDER BY ALL" if counted else f"ORDER BY p._day, p.{qi(pid)}"}""",
        [first, last],
    ).df()
    rows = from_frame(cfg, frame, "_label", {a: "_s_" + a for a in present}, absent)
    if counted:
        rows.weight = frame["_n"].to_numpy(float)
    return rows


def from_frame(
    cfg: ModelConfig,
    frame: pd.DataFrame,
    label: str,
    attributes: dict[str, str] | None = None,
    absent: list[str] | None = None,
) -> FairnessRows:
    """:class:`FairnessRows` from a frame with the log's prediction column, a ``label`` column
    (null where unknown) and ``attributes`` (attribute -> column; default: the sensitive
    columns by their own names)."""
    attributes = attributes or {a: a for a in cfg.sensitive if a in frame}
    labelled = frame[label].notna().to_numpy()
    # decisions only: the scores are not read (and not selected)
    outputs_only = cfg.columns.model_copy(update={"class_scores": {}, "score": None})
    decisions = cfg.model_copy(update={"columns": outputs_only, "classes": cfg.class_values})
    rows = to_rows(decisions, frame, label)
    y = np.asarray(rows.y, dtype=float)
    if cfg.task is Task.regression:
        y = np.where(labelled, y, np.nan)
    groups = pd.DataFrame(
        {
            a: frame[col].astype("string").fillna(MISSING).to_numpy(object)
            for a, col in attributes.items()
        },
        index=range(len(frame)),
    )
    return FairnessRows(rows.yhat, y, labelled, groups, list(absent or []))


def window_first(day: date, days: int) -> date:
    """First day of the trailing window of ``days`` days ending on ``day``."""
    return date.fromordinal(day.toordinal() - days + 1)
