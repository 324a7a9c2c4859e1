"""The demo's prediction logs and reference as tables, with the column names of the config."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.demo.model import Scored
from monitoring_pipelines.demo.process import Process
from monitoring_pipelines.demo.simulate import Rows


def outputs(cfg: ModelConfig, scored: Scored, failed: np.ndarray) -> dict[str, Any]:
    """Prediction and score columns, null where the prediction failed.

    Binary predictions are nullable integers (0/1), multiclass ones class names, regression
    ones floats (minutes); the binary score is P(positive class).
    """
    c = cfg.columns
    prediction: Any
    if cfg.task is Task.binary:
        prediction = pd.array(scored.prediction, dtype="Int64")
        prediction[failed] = pd.NA
    elif cfg.task is Task.multiclass:
        prediction = np.where(failed, None, scored.prediction.astype(object))
    else:
        prediction = np.where(failed, np.nan, scored.prediction)
    cols: dict[str, Any] = {c.prediction: prediction}
    if cfg.task is Task.binary and c.score:
        cols[c.score] = np.where(failed, np.nan, scored.scores[cfg.positive_class])
    for cls, col in c.class_scores.items():
        cols[col] = np.where(failed, np.nan, scored.scores[cls])
    return cols


def log_frame(
    cfg: ModelConfig,
    process: Process,
    rows: Rows,
    scored: Scored,
    failed: np.ndarray,
    logged: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The prediction log: id, timestamp, version, outputs, latency (ms, lognormal), error
    message on failed rows, then the logged inputs."""
    c, n = cfg.columns, len(logged)
    cols: dict[str, Any] = {c.prediction_id: rows.prediction_id, c.timestamp: rows.timestamp}
    if c.model_version:
        cols[c.model_version] = np.full(n, process.model_version, dtype=object)
    cols.update(outputs(cfg, scored, failed))
    if c.latency:
        median, sigma = process.latency_ms
        cols[c.latency] = np.round(median * rng.lognormal(0.0, sigma, n), 2)
    if c.error:
        messages = np.asarray(process.failure_messages, dtype=object)
        cols[c.error] = np.where(failed, messages[rng.integers(0, len(messages), n)], None)
    return pd.concat([pd.DataFrame(cols), logged.reset_index(drop=True)], axis=1)


def reference_frame(
    cfg: ModelConfig, process: Process, ref: Rows, scored: Scored, columns: list[str]
) -> pd.DataFrame:
    """The reference: id, timestamp, version, the model's outputs, the inputs and the label."""
    c, n = cfg.columns, len(ref.labels)
    cols: dict[str, Any] = {c.prediction_id: ref.prediction_id, c.timestamp: ref.timestamp}
    if c.model_version:
        cols[c.model_version] = np.full(n, process.model_version, dtype=object)
    cols.update(outputs(cfg, scored, np.zeros(n, dtype=bool)))
    frame = pd.concat([pd.DataFrame(cols), ref.inputs[columns].reset_index(drop=True)], axis=1)
    frame[c.label or "label"] = ref.labels
    return frame
