"""After a promotion: the new champion's realized performance on the days it served, against
what the old champion would have scored on exactly the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import joblib

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.retraining.dataset import LABEL, model_inputs, to_target
from monitoring_pipelines.retraining.evaluate import evaluate, predict, primary_metric
from monitoring_pipelines.retraining.retrain import logged_outputs
from monitoring_pipelines.store.sql import ground_truth_table, predictions_table, qi


@dataclass
class Recovery:
    model: str
    metric: str
    first_day: date
    last_day: date
    rows: int
    new_champion: float | None
    old_champion: float | None

    @property
    def gain(self) -> float | None:
        if self.new_champion is None or self.old_champion is None:
            return None
        return self.new_champion - self.old_champion

    def text(self) -> str:
        if not self.rows or self.gain is None:
            return f"{self.model}: no labelled rows after the promotion yet"
        return (
            f"{self.model}: {self.metric} on {self.rows} labelled rows of {self.first_day}.."
            f"{self.last_day}: new champion {self.new_champion:.4f}, old champion "
            f"{self.old_champion:.4f} on the same rows ({self.gain:+.4f})"
        )


def recovery(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    old_artifact: Path,
    version: str,
    first: date,
    last: date,
) -> Recovery:
    """Realized ``primary_metric`` of the rows served by ``version`` on days ``first``..``last``
    (from the logs and their labels) and of the old champion on the same rows' inputs."""
    pid = qi(cfg.columns.prediction_id)
    where = ""
    params: dict = {"first": first, "last": last}
    if cfg.columns.model_version:
        where = f"AND CAST(p.{qi(cfg.columns.model_version)} AS VARCHAR) = $version"
        params["version"] = version
    frame = con.execute(
        f"""SELECT p.*, g.label AS {LABEL}
            FROM {predictions_table(cfg.name)} p JOIN {ground_truth_table(cfg.name)} g
              ON g.prediction_id = p.{pid} AND g._day = p._day
            WHERE p._day BETWEEN $first AND $last AND g.label IS NOT NULL
              AND p.{qi(cfg.columns.prediction)} IS NOT NULL {where}""",
        params,
    ).df()
    metric = primary_metric(cfg)
    if frame.empty:
        return Recovery(cfg.name, metric, first, last, 0, None, None)
    y = to_target(cfg, frame[LABEL])
    new = evaluate(cfg, y, logged_outputs(cfg, frame), {}).metrics.get(metric)
    old_model = joblib.load(old_artifact)
    old = evaluate(cfg, y, predict(cfg, old_model, model_inputs(cfg, frame)), {}).metrics.get(
        metric
    )
    return Recovery(cfg.name, metric, first, last, len(frame), new, old)
