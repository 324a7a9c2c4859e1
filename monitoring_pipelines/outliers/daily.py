"""A day's outliers: every row scored by the fitted detectors, the flagged rows with the
features that make them extreme, and the outlier rate judged against the reference's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.outliers.detector import OutlierDetector
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.sql import insert_rows, predictions_table, qi

FAMILY = "outliers"
ANY = "any"
ROWS_TABLE = "outlier_rows"
ROW_COLUMNS = ["prediction_id", "detector", "score", "threshold", "extreme_features"]


@dataclass
class OutlierDay:
    """``flagged``: one row per (prediction, detector) above the threshold, columns
    :data:`ROW_COLUMNS`; ``scores``: detector -> score of every row, in ``ids`` order;
    ``rank``: every row's highest reference rank over the detectors (0..1)."""

    ids: np.ndarray
    scores: dict[str, np.ndarray]
    rank: np.ndarray
    flagged: pd.DataFrame
    metrics: list[Metric]

    def metric(self, name: str, subject: str = "") -> Metric | None:
        return next((m for m in self.metrics if m.metric == name and m.subject == subject), None)


def day_features(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> pd.DataFrame:
    """The day's predictions with an output: ``prediction_id`` and the feature columns."""
    pid = qi(cfg.columns.prediction_id)
    cols = ", ".join(qi(f) for f in cfg.features.all)
    return con.execute(
        f"SELECT CAST({pid} AS VARCHAR) AS prediction_id, {cols} "
        f"FROM {predictions_table(cfg.name)} "
        f"WHERE _day = ? AND {qi(cfg.columns.prediction)} IS NOT NULL ORDER BY {pid}",
        [day],
    ).df()


def rate_status(cfg: ModelConfig, rate: float, expected: float, rows: int) -> str:
    """ok / warn / alert of an outlier rate against the configured multiples of the expected
    rate; days with fewer than ``min_rows`` rows are not judged."""
    s = cfg.outliers
    if rows < s.min_rows:
        return "ok"
    if rate > s.alert_rate_ratio * expected:
        return "alert"
    return "warn" if rate > s.warn_rate_ratio * expected else "ok"


def detect_outliers(cfg: ModelConfig, state: OutlierDetector, frame: pd.DataFrame) -> OutlierDay:
    """Score ``frame`` (``prediction_id`` and features) and judge its outlier rates."""
    s = cfg.outliers
    n = len(frame)
    ids = frame["prediction_id"].to_numpy(object)
    scores = state.scores(state.encoder.transform(frame)) if n else {}
    above = {d: sc > state.thresholds[d] for d, sc in scores.items()}
    any_flag = np.logical_or.reduce(list(above.values())) if above else np.zeros(n, bool)
    flagged_idx = np.flatnonzero(any_flag)
    extreme = state.encoder.extreme(
        frame.iloc[flagged_idx], s.extreme_z, s.rare_category_share, s.max_extreme_features
    )
    why = dict(zip(flagged_idx, extreme, strict=True))
    parts = [
        pd.DataFrame(
            {
                "prediction_id": ids[hit],
                "detector": d,
                "score": scores[d][hit],
                "threshold": state.thresholds[d],
                "extreme_features": [why[i] for i in np.flatnonzero(hit)],
            }
        )
        for d, hit in above.items()
    ]
    flagged = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)
    rank = state.rank(scores) if n else np.zeros(0)
    return OutlierDay(ids, scores, rank, flagged, _metrics(cfg, state, n, above, any_flag, extreme))


def _metrics(cfg, state, n, above, any_flag, extreme) -> list[Metric]:
    s = cfg.outliers
    out = [Metric("rows", float(n))]
    for subject, hit, expected in [
        ("", any_flag, state.expected_rates[ANY]),
        *[(f"detector={d}", h, state.expected_rates[d]) for d, h in above.items()],
    ]:
        rate = float(hit.mean()) if n else None
        status = "ok" if rate is None else rate_status(cfg, rate, expected, n)
        limit = s.alert_rate_ratio * expected
        out += [
            Metric("outlier_rows", float(hit.sum()), subject),
            Metric("outlier_rate", rate, subject, upper=limit, status=status),
            Metric("expected_outlier_rate", expected, subject),
            Metric("warn_outlier_rate", s.warn_rate_ratio * expected, subject),
        ]
    for d in above:
        out.append(Metric("threshold", state.thresholds[d], f"detector={d}"))
    named = Counter(
        text.split(" ")[0].split("=")[0]
        for row in extreme
        if not row.startswith("top: ")
        for text in row.split("; ")
    )
    out += [Metric("extreme_rows", float(c), f"feature={f}") for f, c in sorted(named.items())]
    return out


def replace_outlier_rows(
    con: duckdb.DuckDBPyConnection, model: str, day: date, flagged: pd.DataFrame
) -> int:
    """Replace the model's flagged rows of ``day`` (call inside the transaction that writes
    the day's metrics); returns the rows written."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {ROWS_TABLE} (model VARCHAR, day DATE, "
        "prediction_id VARCHAR, detector VARCHAR, score DOUBLE, threshold DOUBLE, "
        "extreme_features VARCHAR)"
    )
    con.execute(f"DELETE FROM {ROWS_TABLE} WHERE model = ? AND day = ?", [model, day])
    if flagged.empty:
        return 0
    frame = flagged[ROW_COLUMNS].assign(model=model, day=pd.Timestamp(day).date())
    insert_rows(con, ROWS_TABLE, frame, ["model", "day", *ROW_COLUMNS])
    return len(frame)
