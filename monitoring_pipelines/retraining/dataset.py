"""What a challenger is trained and judged on: the reference plus the recent labelled
production rows whose labels had arrived by the trigger day, a stable random share of the
recent rows held out to judge champion and challenger on.

Both parts are bounded (``retraining.max_reference_rows``, ``max_recent_rows``): larger ones
are sampled in DuckDB by a hash of the row (reference) or of the prediction id (recent rows,
so each day keeps its share), so a retraining's memory does not grow with the logs. The
sample is stable: the same rows give the same sample."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.data import _as_class
from monitoring_pipelines.store.sql import (
    ground_truth_table,
    predictions_table,
    qi,
    reference_table,
)

LABEL = "_label"


@dataclass
class Part:
    """Rows with their raw columns (``frame``, label in ``_label``), model inputs and target."""

    frame: pd.DataFrame
    inputs: pd.DataFrame
    target: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    def days(self) -> tuple[date | None, date | None]:
        if "_day" not in self.frame or not len(self.frame):
            return None, None
        return self.frame["_day"].min(), self.frame["_day"].max()


@dataclass
class Dataset:
    reference: Part
    recent: Part  # production rows trained on
    holdout: Part  # latest production rows, judged on
    first_day: date
    trigger_day: date
    reference_available: int = 0  # rows before sampling
    recent_available: int = 0

    def training(self, recent_weight: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Inputs, target and sample weight of reference + recent rows."""
        inputs = pd.concat([self.reference.inputs, self.recent.inputs], ignore_index=True)
        target = np.concatenate([self.reference.target, self.recent.target])
        weight = np.concatenate(
            [np.ones(len(self.reference)), np.full(len(self.recent), recent_weight)]
        )
        return inputs, target, weight

    def summary(self) -> dict:
        first, last = self.recent.days()
        h_first, h_last = self.holdout.days()
        return {
            "reference_rows": len(self.reference),
            "reference_rows_available": self.reference_available or len(self.reference),
            "production_rows": len(self.recent),
            "production_rows_available": self.recent_available
            or len(self.recent) + len(self.holdout),
            "production_first_day": _iso(first),
            "production_last_day": _iso(last),
            "holdout_rows": len(self.holdout),
            "holdout_first_day": _iso(h_first),
            "holdout_last_day": _iso(h_last),
            "labels_known_by": self.trigger_day.isoformat(),
        }


def _iso(d) -> str | None:
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date().isoformat()


def _as_text(values: pd.Series) -> np.ndarray:
    """Categorical values as strings (floats, NaN included, kept as they are), converted
    once per distinct value rather than once per row."""
    code, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    names = np.array(
        [u if isinstance(u, float) else str(u) for u in uniques] + [np.nan], dtype=object
    )
    return names[code]  # code -1 (missing) takes the appended NaN


def model_inputs(cfg: ModelConfig, frame: pd.DataFrame) -> pd.DataFrame:
    """The features as the trainer takes them: numeric as float, categorical as strings with
    missing values as NaN."""
    out = pd.DataFrame(index=frame.index)
    for col in cfg.features.categorical:
        if col in frame:
            out[col] = _as_text(frame[col])
        else:
            out[col] = pd.Series(np.nan, index=frame.index, dtype=object)
    for col in cfg.features.numeric:
        values = frame[col] if col in frame else pd.Series(np.nan, index=frame.index)
        out[col] = pd.to_numeric(values, errors="coerce").astype(float)
    return out.reset_index(drop=True)


def to_target(cfg: ModelConfig, labels: pd.Series) -> np.ndarray:
    """Binary: 1 for the positive class else 0; multiclass: class values as strings;
    regression: floats."""
    if cfg.task is Task.regression:
        return pd.to_numeric(labels, errors="coerce").to_numpy(float)
    classes = _as_class(labels.reset_index(drop=True))
    if cfg.task is Task.binary:
        return (classes == cfg.positive_class).to_numpy(np.int64)
    return classes.to_numpy(object)


def _part(cfg: ModelConfig, frame: pd.DataFrame) -> Part:
    frame = frame.reset_index(drop=True)
    return Part(frame, model_inputs(cfg, frame), to_target(cfg, frame[LABEL]))


SAMPLE_SALT = "monitoring_pipelines retraining sample"


def _reference_sql(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, columns: list[str] | None
) -> str:
    """SELECT of the reference's labelled rows in table order, the label as ``_label``:
    those of ``columns`` the reference has (None: every column); at most
    ``retraining.max_reference_rows`` of them, the ones with the smallest hash of the row
    number (a stable sample)."""
    table = reference_table(cfg.name)
    have = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    if cfg.columns.label not in have:
        raise ValueError(
            f"{cfg.name}: the reference has no label column '{cfg.columns.label}' to train on"
        )
    select = "*" if columns is None else ", ".join(qi(c) for c in columns if c in have)
    label = qi(cfg.columns.label)
    cap = cfg.retraining.max_reference_rows
    where = f"{label} IS NOT NULL"
    if cap is not None:
        where = (
            f"rowid IN (SELECT rowid FROM {table} WHERE {where} "
            f"ORDER BY hash(rowid, '{SAMPLE_SALT}'), rowid LIMIT {int(cap)})"
        )
    return (
        f"SELECT {select + ', ' if select else ''}{label} AS {LABEL} FROM {table} "
        f"WHERE {where} ORDER BY rowid"
    )


def reference_rows_available(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> int:
    """The reference's labelled rows before sampling."""
    label = qi(cfg.columns.label)
    (n,) = con.execute(
        f"SELECT count(*) FROM {reference_table(cfg.name)} WHERE {label} IS NOT NULL"
    ).fetchone()
    return int(n)


def reference_part(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> Part:
    """The reference's labelled rows (sampled, see :func:`_reference_sql`), with only the
    features (what training needs: a 1M-row reference with every column held ~1.5 GB in
    pandas); text read as categoricals (one string object per distinct value), and of the
    raw frame only the label kept."""
    sql = _reference_sql(con, cfg, cfg.features.categorical + cfg.features.numeric)
    frame = con.sql(sql).to_arrow_table().to_pandas(strings_to_categorical=True)
    part = _part(cfg, frame)
    part.frame = part.frame[[LABEL]]
    return part


def reference_frame(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> pd.DataFrame:
    """The rows of :func:`reference_part` (same rows, same order) with every column."""
    return con.execute(_reference_sql(con, cfg, None)).df()


def _recent_sql(cfg: ModelConfig, what: str, tail: str) -> str:
    pid = qi(cfg.columns.prediction_id)
    return f"""SELECT {what}
            FROM {predictions_table(cfg.name)} p JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{pid} AND g._day = p._day
            WHERE p._day BETWEEN $first AND $last AND g.label IS NOT NULL
              AND (g.label_timestamp IS NULL OR g.label_timestamp < $known) {tail}"""


def recent_labelled(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, trigger_day: date, window_days: int
) -> tuple[pd.DataFrame, int]:
    """(rows, rows available): predictions of the ``window_days`` days up to
    ``trigger_day`` joined with the labels that had arrived by the end of ``trigger_day``
    (labels without an arrival time count as arrived), oldest first; at most
    ``retraining.max_recent_rows`` of them, those with the smallest hash of the prediction id
    (a stable sample in which each day keeps its share)."""
    first = trigger_day - timedelta(days=window_days - 1)
    params = {"first": first, "last": trigger_day, "known": trigger_day + timedelta(days=1)}
    pid = qi(cfg.columns.prediction_id)
    (available,) = con.execute(_recent_sql(cfg, "count(*)", ""), params).fetchone()
    cap = cfg.retraining.max_recent_rows
    what = f"p.* EXCLUDE (_source_file, _ingested_at), g.label AS {LABEL}"
    tail = ""
    if cap is not None and available > cap:
        # The cap-th row in (hash, id, day) order, from a narrow top-N; then every row up to
        # it in that order, a filter on the scan. (Selecting the picked (id, day) pairs with
        # IN (subquery) instead held 2.5 GB and took 5 s over 5M rows; this about 1.5 GB, 2 s.)
        h = f"hash(CAST(p.{pid} AS VARCHAR), '{SAMPLE_SALT}')"
        cut = con.execute(
            _recent_sql(
                cfg,
                f"{h} AS _h, p.{pid} AS _pid, p._day AS _pday",
                f"ORDER BY _h, _pid, _pday LIMIT 1 OFFSET {int(cap) - 1}",
            ),
            params,
        ).fetchone()
        params |= {"cut_h": cut[0], "cut_id": cut[1], "cut_day": cut[2]}
        tail = (
            f"AND ({h} < $cut_h OR ({h} = $cut_h AND (p.{pid} < $cut_id "
            f"OR (p.{pid} = $cut_id AND p._day <= $cut_day))))"
        )
    order = f"{qi(cfg.columns.timestamp)}, {pid}"
    frame = con.execute(
        f"SELECT * FROM ({_recent_sql(cfg, what, tail)}) ORDER BY {order}", params
    ).df()
    return frame, int(available)


def holdout_mask(ids: pd.Series, share: float) -> np.ndarray:
    """A stable pseudo-random ``share`` of rows, chosen by a hash of the prediction id: every
    day of the window (the newest regime included) is in both the training and the holdout
    rows, and the same row is always held out."""
    hashed = pd.util.hash_pandas_object(ids.astype(str), index=False).to_numpy()
    return (hashed % 10_000) < round(share * 10_000)


def build_dataset(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, trigger_day: date) -> Dataset:
    """Reference + recent labelled rows, ``holdout_share`` of the recent rows held out.
    Raises ValueError when fewer than ``min_labelled_rows`` recent rows exist."""
    r = cfg.retraining
    recent, available = recent_labelled(con, cfg, trigger_day, r.window_days)
    if len(recent) < r.min_labelled_rows:
        raise ValueError(
            f"{cfg.name}: {len(recent)} labelled production rows in the {r.window_days} days "
            f"up to {trigger_day} (labels known by then); retraining needs "
            f"{r.min_labelled_rows} (retraining.min_labelled_rows)"
        )
    held = holdout_mask(recent[cfg.columns.prediction_id], r.holdout_share)
    return Dataset(
        reference=reference_part(con, cfg),
        recent=_part(cfg, recent[~held]),
        holdout=_part(cfg, recent[held]),
        first_day=trigger_day - timedelta(days=r.window_days - 1),
        trigger_day=trigger_day,
        reference_available=reference_rows_available(con, cfg),
        recent_available=available,
    )
