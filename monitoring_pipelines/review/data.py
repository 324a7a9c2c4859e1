"""Reading what the review queue needs from the store; the row-level work runs in DuckDB.

Which rows go to people (binary: ``actions.soft <= score < actions.hard``; multiclass: the
same on the top class score; regression has no score, so only outliers), and which are
negatives for the recall audit (binary: below the soft threshold, or below the hard one when
there is no soft one, or predicted negative when there are no actions).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.store.sql import ground_truth_table, predictions_table, qi

OUTLIER_ROWS = "outlier_rows"


def score_sql(cfg: ModelConfig) -> str | None:
    """SQL of the score the action thresholds apply to, or None (regression)."""
    c = cfg.columns
    if cfg.task is Task.binary and c.score:
        return qi(c.score)
    if cfg.task is Task.multiclass and c.class_scores:
        return "greatest(" + ", ".join(qi(v) for v in c.class_scores.values()) + ")"
    return None


def soft_sql(cfg: ModelConfig) -> str:
    """SQL condition of a soft action (FALSE when the model has none); the thresholds are
    the parameters ``$soft`` and ``$hard`` (see :func:`params`)."""
    score, a = score_sql(cfg), cfg.actions
    if score is None or a.soft is None:
        return "FALSE"
    hard = f" AND {score} < $hard" if a.hard is not None else ""
    return f"({score} >= $soft{hard})"


def negative_sql(cfg: ModelConfig) -> str | None:
    """SQL condition of a negative (not acted on, not reviewed), with the parameters
    ``$cut`` or ``$positive``; None for non-binary models."""
    if cfg.task is not Task.binary or not cfg.columns.score:
        return None
    if _cut(cfg) is None:
        return f"CAST({qi(cfg.columns.prediction)} AS VARCHAR) <> $positive"
    return f"({qi(cfg.columns.score)} < $cut)"


def _cut(cfg: ModelConfig) -> float | None:
    return cfg.actions.soft if cfg.actions.soft is not None else cfg.actions.hard


def params(cfg: ModelConfig, **values) -> dict:
    """Query parameters: ``values`` plus those :func:`soft_sql` and :func:`negative_sql`
    use (DuckDB rejects unused named parameters, so only those present in ``sql``)."""
    out = dict(values)
    out |= {"soft": cfg.actions.soft, "hard": cfg.actions.hard, "cut": _cut(cfg)}
    out["positive"] = cfg.positive_class
    return out


def _run(con: duckdb.DuckDBPyConnection, sql: str, values: dict) -> pd.DataFrame:
    """``sql`` with the named parameters it uses."""
    used = {k: v for k, v in values.items() if f"${k}" in sql}
    return con.execute(sql, used).df()


def _served(cfg: ModelConfig) -> str:
    return f"{qi(cfg.columns.prediction)} IS NOT NULL"


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    ((n,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchall()
    return bool(n)


def log_columns(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE {predictions_table(cfg.name)}").fetchall()}


def _queue_sql(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> str:
    """One row per (day, prediction sent to review) of days ``$first``..``$last``."""
    pid = qi(cfg.columns.prediction_id)
    parts = [
        f"SELECT _day AS day, CAST({pid} AS VARCHAR) AS id, 'soft' AS reason "
        f"FROM {predictions_table(cfg.name)} "
        f"WHERE _day BETWEEN $first AND $last AND {_served(cfg)} AND {soft_sql(cfg)}"
    ]
    if cfg.review.include_outliers and table_exists(con, OUTLIER_ROWS):
        parts.append(
            f"SELECT DISTINCT day, prediction_id AS id, 'outlier' AS reason FROM {OUTLIER_ROWS} "
            "WHERE model = $model AND day BETWEEN $first AND $last"
        )
    return f"""SELECT day, id AS prediction_id, string_agg(reason, '+' ORDER BY reason) AS reason
               FROM ({" UNION ALL ".join(parts)}) GROUP BY day, id"""


def queue_rows(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> pd.DataFrame:
    """Rows sent to review on ``day``, one per prediction: ``prediction_id``, ``reason``
    (soft, outlier or outlier+soft)."""
    sql = f"SELECT prediction_id, reason FROM ({_queue_sql(con, cfg)}) ORDER BY prediction_id"
    return _run(con, sql, params(cfg, first=day, last=day, model=cfg.name))


def queue_counts(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date
) -> dict[date, int]:
    """Rows sent to review per day of ``first``..``last`` (days without any are absent)."""
    sql = f"SELECT day, count(*) AS n FROM ({_queue_sql(con, cfg)}) GROUP BY day"
    frame = _run(con, sql, params(cfg, first=first, last=last, model=cfg.name))
    return {pd.Timestamp(d).date(): int(n) for d, n in zip(frame["day"], frame["n"], strict=True)}


def served_by_day(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date
) -> dict[date, int]:
    """Predictions with an output per day (days without any are absent)."""
    rows = con.execute(
        f"SELECT _day, count(*) FROM {predictions_table(cfg.name)} "
        f"WHERE _day BETWEEN ? AND ? AND {_served(cfg)} GROUP BY _day",
        [first, last],
    ).fetchall()
    return {d: int(n) for d, n in rows}


def control_rows(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date
) -> pd.DataFrame:
    """Control-group predictions of days ``first``..``last``: ``day``, ``prediction``,
    ``label`` (None until known). Empty when the logs have no control column."""
    col = cfg.review.control_column
    if col is None or col not in log_columns(con, cfg):
        return pd.DataFrame(columns=["day", "prediction", "label"])
    pid = qi(cfg.columns.prediction_id)
    return con.execute(
        f"""SELECT p._day AS day, CAST(p.{qi(cfg.columns.prediction)} AS VARCHAR) AS prediction,
                   CAST(g.label AS VARCHAR) AS label
            FROM {predictions_table(cfg.name)} p LEFT JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{pid} AND g._day = p._day
            WHERE p._day BETWEEN ? AND ? AND p.{_served(cfg)}
              AND coalesce(TRY_CAST(p.{qi(col)} AS BOOLEAN), FALSE)""",
        [first, last],
    ).df()


def negatives(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> pd.DataFrame:
    """The day's negatives: ``prediction_id``, ``score`` (empty for non-binary models)."""
    cond = negative_sql(cfg)
    if cond is None:
        return pd.DataFrame(columns=["prediction_id", "score"])
    pid = qi(cfg.columns.prediction_id)
    return _run(
        con,
        f"SELECT CAST({pid} AS VARCHAR) AS prediction_id, {qi(cfg.columns.score)} AS score "
        f"FROM {predictions_table(cfg.name)} WHERE _day = $day AND {_served(cfg)} AND {cond} "
        f"ORDER BY {pid}",
        params(cfg, day=day),
    )


def labelled_above(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> pd.DataFrame:
    """The day's non-negative rows (sent to people or acted on) with their label (None
    until known): ``label``."""
    cond = negative_sql(cfg)
    if cond is None:
        return pd.DataFrame(columns=["label"])
    pid = qi(cfg.columns.prediction_id)
    return _run(
        con,
        f"""SELECT CAST(g.label AS VARCHAR) AS label
            FROM {predictions_table(cfg.name)} p LEFT JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{pid} AND g._day = p._day
            WHERE p._day = $day AND p.{_served(cfg)} AND NOT coalesce({cond}, FALSE)""",
        params(cfg, day=day),
    )


def audit_labels(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, sample: pd.DataFrame
) -> pd.DataFrame:
    """The audit ``sample`` (``prediction_id``, ``pi``) of ``day`` with each row's ``label``
    (None until it is known); audited labels arrive as ordinary labels."""
    frame = sample[["prediction_id", "pi"]].astype({"prediction_id": str, "pi": float})
    con.register("_audit_sample", frame)
    try:
        return con.execute(
            f"""SELECT a.prediction_id, a.pi, CAST(g.label AS VARCHAR) AS label
                FROM _audit_sample a LEFT JOIN {ground_truth_table(cfg.name)} g
                  ON g.prediction_id = a.prediction_id AND g._day = ?
                ORDER BY a.prediction_id""",
            [day],
        ).df()
    finally:
        con.unregister("_audit_sample")
