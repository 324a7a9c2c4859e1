"""Reading the rows performance is measured on: labelled predictions, a day's predictions and
the reference, as numpy arrays in one shape for every task (the joins run in DuckDB)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.run_memo import run_frame
from monitoring_pipelines.store.sql import (
    ground_truth_table,
    predictions_table,
    qi,
    reference_table,
)


@dataclass
class Rows:
    """Model outputs (and labels where known) of some rows.

    ``y``/``yhat``: class indices (binary: 1 = positive class) or target values (regression);
    ``y`` is None when the rows have no labels. ``scores``: binary positive-class score (n,),
    multiclass class scores (n, k) in :attr:`ModelConfig.class_values` order, or None.
    ``frame`` keeps the raw columns (features, model version) for the estimators.
    """

    yhat: np.ndarray
    y: np.ndarray | None
    scores: np.ndarray | None
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.yhat)

    def take(self, index: np.ndarray, *, frame: bool = True) -> Rows:
        """The rows at ``index`` (positions or a boolean mask); ``frame=False`` leaves the
        raw columns out (metrics need only outputs and labels)."""
        return Rows(
            self.yhat[index],
            None if self.y is None else self.y[index],
            None if self.scores is None else self.scores[index],
            self.frame.iloc[index].reset_index(drop=True) if frame else self.frame.iloc[:0],
        )


def _output_columns(cfg: ModelConfig, alias: str) -> list[str]:
    c = cfg.columns
    cols = [c.prediction]
    if cfg.task is Task.binary and c.score:
        cols.append(c.score)
    cols += list(c.class_scores.values())
    cols += [x for x in (c.challenger_prediction, c.challenger_score) if x]
    if c.model_version:
        cols.append(c.model_version)
    return [f"{alias}.{qi(col)}" for col in dict.fromkeys(cols)]


def to_rows(cfg: ModelConfig, frame: pd.DataFrame, label: str | None) -> Rows:
    """Arrays of one task's shape from a frame with the log's column names (and ``label``)."""
    c = cfg.columns
    pred = frame[c.prediction]
    y = None if label is None else frame[label]
    if cfg.task is Task.regression:
        return Rows(pred.to_numpy(float), None if y is None else y.to_numpy(float), None, frame)
    classes = cfg.class_values
    if cfg.task is Task.binary:
        pos = cfg.positive_class
        scores = frame[c.score].to_numpy(float) if c.score and c.score in frame else None
        yy = None if y is None else (class_index(y, [pos]) == 0).astype(float)
        return Rows((class_index(pred, [pos]) == 0).astype(float), yy, scores, frame)
    scores = None
    if c.class_scores:
        scores = np.column_stack([frame[c.class_scores[v]].to_numpy(float) for v in classes])
    yhat = class_index(pred, classes)
    yy = None if y is None else class_index(y, classes)
    return Rows(yhat, yy, scores, frame)


def _as_class(values: pd.Series) -> pd.Series:
    """Class values as strings: 1, 1.0 and '1' are the same class. Normalised once per
    distinct value (a day has a handful), not once per row."""
    codes, names = _class_names(values)
    return pd.Series(names[codes], index=values.index, dtype=object)


def class_index(values: pd.Series, classes) -> np.ndarray:
    """Each row's position in ``classes`` (-1 for any other value, a missing one included),
    its value named as :func:`_as_class` names it; looked up once per distinct value, not
    compared row by row as strings (``_as_class(values) == c`` on a day's 33,000 rows took
    about 2 ms a comparison)."""
    codes, names = _class_names(values)
    index = {v: i for i, v in enumerate(classes)}
    return np.array([index.get(name, -1) for name in names], dtype=np.int64)[codes]


def _class_names(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(each row's code, the name of each code): code -1, a missing value, names the last."""

    def norm(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return str(v)
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v)
        return text[:-2] if text.endswith(".0") and text[:-2].lstrip("-").isdigit() else text

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    names = np.array([norm(v) for v in uniques] + [norm(float("nan"))], dtype=object)
    return codes, names


def labelled_rows(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    first: date,
    last: date,
    *,
    run_id: str | None = None,
) -> Rows:
    """Predictions of days ``first``..``last`` joined with their labels (failed predictions,
    without an output, left out). ``run_id``: read once per run (see
    :mod:`~monitoring_pipelines.store.run_memo`)."""
    cols = ", ".join(_output_columns(cfg, "p"))
    frame = run_frame(
        run_id,
        con,
        f"""SELECT {cols}, g.label AS _label, p._day AS _day
            FROM {predictions_table(cfg.name)} p JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{qi(cfg.columns.prediction_id)} AND g._day = p._day
            WHERE p._day BETWEEN ? AND ? AND p.{qi(cfg.columns.prediction)} IS NOT NULL
              AND g.label IS NOT NULL
            ORDER BY p._day, p.{qi(cfg.columns.prediction_id)}""",
        [first, last],
    )
    return to_rows(cfg, frame, "_label")


def day_of(rows: Rows, day: date) -> Rows:
    """The rows of :func:`labelled_rows` over several days that belong to ``day``: the same
    rows, in the same order, as :func:`labelled_rows` of that day alone (tested)."""
    days = rows.frame["_day"].to_numpy(dtype="datetime64[D]")
    return rows.take(days == np.datetime64(day, "D"))


def served_count(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date) -> int:
    """Predictions with an output on days ``first``..``last``."""
    (n,) = con.execute(
        f"SELECT count(*) FROM {predictions_table(cfg.name)} WHERE _day BETWEEN ? AND ? "
        f"AND {qi(cfg.columns.prediction)} IS NOT NULL",
        [first, last],
    ).fetchone()
    return int(n)


def day_rows(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, *, run_id: str | None = None
) -> Rows:
    """Every prediction with an output on ``day`` (no labels), with its features where an
    estimator reads them: a regressor's (DLE predicts the loss from them; CBPE needs only the
    scores, and a classifier's day reads 3 columns instead of 23 at W1). ``run_id``: read
    once per run (see :mod:`~monitoring_pipelines.store.run_memo`)."""
    features = cfg.features.all if cfg.task is Task.regression else []
    cols = _output_columns(cfg, "p") + [f"p.{qi(f)}" for f in features]
    frame = run_frame(
        run_id,
        con,
        f"SELECT {', '.join(dict.fromkeys(cols))} FROM {predictions_table(cfg.name)} p "
        f"WHERE p._day = ? AND p.{qi(cfg.columns.prediction)} IS NOT NULL "
        f"ORDER BY p.{qi(cfg.columns.prediction_id)}",
        [day],
    )
    return to_rows(cfg, frame, None)


def reference_rows(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    columns: list[str] | None = None,
    rowids: tuple[int, int] | None = None,
) -> Rows:
    """The reference's labelled rows with the model's outputs and ``columns`` (default: the
    features), in log order (by timestamp when the reference has one); ``y`` is None when it
    has no label column. ``rowids`` = (first, stop): only the table rows in that range, in
    table order (to read a large reference in chunks)."""
    table = reference_table(cfg.name)
    have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    label = cfg.columns.label if cfg.columns.label in have else None
    c = cfg.columns
    more = cfg.features.all if columns is None else columns
    outputs = [c.prediction, c.score, *c.class_scores.values(), c.model_version]
    names = [x for x in [*outputs, *more, label, c.timestamp] if x and x in have]
    select = ", ".join(f"r.{qi(x)}" for x in dict.fromkeys(names))
    where = f"AND {qi(label)} IS NOT NULL" if label else ""
    params: list = []
    if rowids is not None:
        where += " AND rowid >= ? AND rowid < ?"
        params = list(rowids)
        order = "ORDER BY rowid"
    else:
        order = f"ORDER BY {qi(c.timestamp)}" if c.timestamp in have else ""
    frame = con.execute(
        f"SELECT {select} FROM {table} r WHERE {qi(c.prediction)} IS NOT NULL {where} {order}",
        params,
    ).df()
    return to_rows(cfg, frame, label)


def reference_rowid_end(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> int:
    """One past the reference table's largest rowid (its rows are in 0 .. this)."""
    ((n,),) = con.execute(
        f"SELECT coalesce(max(rowid) + 1, 0) FROM {reference_table(cfg.name)}"
    ).fetchall()
    return int(n)


def stored_metrics(
    con: duckdb.DuckDBPyConnection, model: str, day: date, family: str
) -> list[Metric]:
    """The metrics of one family already stored for a model's day."""
    rows = con.execute(
        "SELECT metric, value, subject, lower, upper, status FROM metrics "
        "WHERE model = ? AND day = ? AND family = ? ORDER BY metric, subject",
        [model, day, family],
    ).fetchall()
    return [Metric(*r) for r in rows]
