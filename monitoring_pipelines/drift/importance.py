"""Feature importances of the reference model, as shares summing to 1.

Permutation importance (scikit-learn) against the model's own predictions on a reference
sample, so it measures how much the model's output relies on each feature (no labels
needed). The model is the one saved at ``data/models/<model>/v1.joblib`` (a pipeline that
takes a DataFrame of the features) when it exists; otherwise a surrogate: a gradient-boosting
model fitted on the reference from the features to the logged prediction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import joblib
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import permutation_importance

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.model_config import Task
from monitoring_pipelines.cores import fitting_threads
from monitoring_pipelines.store.sql import qi, reference_table


def _sample(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, rows: int, with_prediction: bool
) -> pd.DataFrame:
    extra = [cfg.columns.prediction] if with_prediction else []
    cols = ", ".join(qi(c) for c in [*cfg.features.all, *extra])
    return con.execute(
        f"SELECT {cols} FROM {reference_table(cfg.name)} USING SAMPLE reservoir({int(rows)} ROWS) "
        f"REPEATABLE ({cfg.drift.seed})"
    ).df()


def _surrogate(cfg: ModelConfig, x: pd.DataFrame, y: np.ndarray):
    codes = x.copy()
    for c in cfg.features.categorical:
        codes[c] = codes[c].astype("category").cat.codes.replace(-1, np.nan)
    mask = [c in cfg.features.categorical for c in codes.columns]
    kw = dict(max_iter=60, categorical_features=mask, random_state=cfg.drift.seed)
    if cfg.task is Task.regression:
        return HistGradientBoostingRegressor(**kw).fit(codes, y), codes
    return HistGradientBoostingClassifier(**kw).fit(codes, y.astype(str)), codes


def feature_importance(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, model_path: Path | None
) -> tuple[dict[str, float], str]:
    """(feature -> share of the total importance, in [0, 1]; the method used). Empty when
    there is neither a saved model nor a logged prediction in the reference."""
    with fitting_threads():  # the cores free now (1.0-1.2 -> 0.8 s at W1 on two)
        return _importance(con, cfg, model_path)


def _importance(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, model_path: Path | None
) -> tuple[dict[str, float], str]:
    s = cfg.drift
    ref_cols = {r[0] for r in con.execute(f"DESCRIBE {reference_table(cfg.name)}").fetchall()}
    has_model = model_path is not None and model_path.exists()
    if not has_model and cfg.columns.prediction not in ref_cols:
        return {}, "unavailable: no saved model and no prediction column in the reference"
    frame = _sample(con, cfg, s.importance_rows, not has_model)
    if not has_model:
        frame = frame.dropna(subset=[cfg.columns.prediction])
    x = frame[cfg.features.all]
    if has_model:
        model, method = joblib.load(model_path), "permutation, saved model"
        y = model.predict(x)
        if cfg.task is not Task.regression:
            y = np.asarray(y).astype(str)
            model = _AsText(model)
    else:
        y = frame[cfg.columns.prediction].to_numpy()
        model, x = _surrogate(cfg, x, y)
        method = "permutation, surrogate fitted to the logged predictions"
        if cfg.task is not Task.regression:
            y = y.astype(str)
    res = permutation_importance(
        model, x, y, n_repeats=s.importance_repeats, random_state=s.seed, n_jobs=1
    )
    imp = np.clip(res.importances_mean, 0, None)
    total = imp.sum()
    shares = imp / total if total > 0 else np.full(len(imp), 1.0 / len(imp))
    return {f: float(v) for f, v in zip(x.columns, shares, strict=True)}, method


class _AsText:
    """A classifier whose predictions are compared as text (labels may be ints or strings)."""

    def __init__(self, model) -> None:
        self.model = model

    def fit(self, x, y):  # pragma: no cover - permutation_importance never refits
        return self

    def predict(self, x) -> np.ndarray:
        return np.asarray(self.model.predict(x)).astype(str)

    def score(self, x, y) -> float:
        return float(np.mean(self.predict(x) == y))
