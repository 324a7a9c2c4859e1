"""The demo's production models: real scikit-learn pipelines trained on the reference.

Categorical features are ordinal-encoded (unknown categories become missing) and fed to a
histogram gradient-boosting model as native categoricals; numeric features pass through
(missing values are handled by the trees). The model is regularised so its scores on the
reference it was trained on are close to its scores on fresh data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from monitoring_pipelines.config import Task
from monitoring_pipelines.retraining.trainer import BOOSTING, build_model  # noqa: F401

PREDICT_CHUNK = 250_000


def train(model: Pipeline, inputs: pd.DataFrame, labels: np.ndarray) -> Pipeline:
    """Fit ``model`` single-threaded: on a busy machine OpenMP's many small parallel regions
    (one per tree node) can be 30x slower than one thread, which is as fast on this data."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.fit(inputs, labels)


@dataclass
class Scored:
    """A model's output on some rows.

    ``prediction``: class values (binary: 0/1 integers, multiclass: class names) or minutes;
    ``scores``: class value (as a string) -> probability; empty for regression. Binary
    predictions are 1 when the positive class's probability is at least 0.5.
    """

    prediction: np.ndarray
    scores: dict[str, np.ndarray]


def score(model: Pipeline, task: Task, inputs: pd.DataFrame, positive: str = "1") -> Scored:
    """Run the model on ``inputs`` in chunks (memory stays flat on millions of rows),
    single-threaded like :func:`train`."""
    with threadpool_limits(limits=1, user_api="openmp"):
        parts = [
            _score(model, task, inputs.iloc[i : i + PREDICT_CHUNK], positive)
            for i in range(0, max(len(inputs), 1), PREDICT_CHUNK)
        ]
    return Scored(
        prediction=np.concatenate([p.prediction for p in parts]),
        scores={k: np.concatenate([p.scores[k] for p in parts]) for k in parts[0].scores},
    )


def _score(model: Pipeline, task: Task, inputs: pd.DataFrame, positive: str) -> Scored:
    if task is Task.regression:
        return Scored(prediction=model.predict(inputs).astype(float), scores={})
    proba = model.predict_proba(inputs)
    classes = [str(c) for c in model.classes_]
    scores = {c: proba[:, i] for i, c in enumerate(classes)}
    if task is Task.binary:
        return Scored(prediction=(scores[positive] >= 0.5).astype(np.int64), scores=scores)
    return Scored(prediction=np.asarray(model.classes_)[np.argmax(proba, axis=1)], scores=scores)


def save_model(
    model: Pipeline,
    model_dir: Path,
    *,
    task: Task,
    numeric: list[str],
    categorical: list[str],
    model_version: str,
    trained_on: str,
    training_rows: int,
) -> tuple[Path, Path]:
    """Write ``v1.joblib`` and ``v1.features.json`` (the inputs it expects) in ``model_dir``.

    Returns both paths.
    """
    model_dir.mkdir(parents=True, exist_ok=True)
    model_path, features_path = model_dir / "v1.joblib", model_dir / "v1.features.json"
    joblib.dump(model, model_path)
    estimator = model.named_steps["model"]
    meta = {
        "model_version": model_version,
        "task": task.value,
        "features": [*categorical, *numeric],
        "numeric": numeric,
        "categorical": categorical,
        "classes": [str(c) for c in getattr(estimator, "classes_", [])],
        "trained_on": trained_on,
        "training_rows": training_rows,
        "sklearn_version": sklearn.__version__,
    }
    features_path.write_text(json.dumps(meta, indent=2) + "\n")
    return model_path, features_path
