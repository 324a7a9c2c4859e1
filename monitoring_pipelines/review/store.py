"""What the review layer keeps: the day's queue (``review_queue_rows``), the audit sample
(``review_audits``, drawn once per model and day and then kept: labels were requested for
it) and the audit list as a CSV file for the people doing the audit."""

from __future__ import annotations

import zlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.review.audit import inclusion_probabilities, poisson_sample
from monitoring_pipelines.store.sql import insert_rows

QUEUE_TABLE = "review_queue_rows"
AUDIT_TABLE = "review_audits"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {QUEUE_TABLE} (model VARCHAR, day DATE, "
        "prediction_id VARCHAR, reason VARCHAR)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (model VARCHAR, day DATE, "
        "prediction_id VARCHAR, score DOUBLE, pi DOUBLE, drawn_at TIMESTAMP)"
    )


def replace_queue(
    con: duckdb.DuckDBPyConnection, model: str, day: date, queue: pd.DataFrame
) -> None:
    """Replace the model's queue of ``day`` (call inside the day's transaction)."""
    con.execute(f"DELETE FROM {QUEUE_TABLE} WHERE model = ? AND day = ?", [model, day])
    if queue.empty:
        return
    frame = queue[["prediction_id", "reason"]].assign(model=model, day=day)
    insert_rows(con, QUEUE_TABLE, frame, ["model", "day", "prediction_id", "reason"])


def stored_audit(con: duckdb.DuckDBPyConnection, model: str, day: date) -> pd.DataFrame | None:
    """The audit sample drawn for the model's day (``prediction_id``, ``score``, ``pi``), or
    None when none was drawn yet."""
    ((drawn,),) = con.execute(
        f"SELECT count(*) FROM {AUDIT_TABLE} WHERE model = ? AND day = ?", [model, day]
    ).fetchall()
    if not drawn:
        return None
    return con.execute(
        f"SELECT prediction_id, score, pi FROM {AUDIT_TABLE} WHERE model = ? AND day = ? "
        "AND prediction_id IS NOT NULL ORDER BY prediction_id",
        [model, day],
    ).df()


def draw_audit(cfg: ModelConfig, day: date, negatives: pd.DataFrame) -> pd.DataFrame:
    """A Poisson sample of the day's negatives with the configured budget, reproducible from
    ``review.seed``, the model and the day: ``prediction_id``, ``score``, ``pi``."""
    r = cfg.review
    scores = negatives["score"].to_numpy(float)
    pi = inclusion_probabilities(
        scores, r.audit_budget_per_day, r.audit_exponent, r.audit_min_probability
    )
    rng = np.random.default_rng([r.seed, zlib.crc32(cfg.name.encode()), day.toordinal()])
    drawn = poisson_sample(pi, rng)
    return pd.DataFrame(
        {
            "prediction_id": negatives["prediction_id"].to_numpy(object)[drawn],
            "score": scores[drawn],
            "pi": pi[drawn],
        }
    )


def save_audit(con: duckdb.DuckDBPyConnection, model: str, day: date, sample: pd.DataFrame) -> None:
    """Store the drawn sample (a row with a null id marks an empty draw as drawn)."""
    con.execute(f"DELETE FROM {AUDIT_TABLE} WHERE model = ? AND day = ?", [model, day])
    frame = sample[["prediction_id", "score", "pi"]].assign(
        model=model, day=day, drawn_at=datetime.now()
    )
    if frame.empty:
        frame = pd.DataFrame(
            {"model": [model], "day": [day], "prediction_id": [None], "score": [None],
             "pi": [None], "drawn_at": [datetime.now()]}
        )  # fmt: skip
    insert_rows(
        con, AUDIT_TABLE, frame, ["model", "day", "prediction_id", "score", "pi", "drawn_at"]
    )


def audit_file(home: Path, model: str, day: date) -> Path:
    """Where the audit list of a model's day is written: ``data/audits/<model>/<day>.csv``."""
    return Path(home) / "data" / "audits" / model / f"{day.isoformat()}.csv"


def write_audit_file(path: Path, sample: pd.DataFrame) -> Path:
    """The audit list: ``prediction_id``, ``score``, ``inclusion_probability``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sample.rename(columns={"pi": "inclusion_probability"})[
        ["prediction_id", "score", "inclusion_probability"]
    ].to_csv(path, index=False)
    return path
