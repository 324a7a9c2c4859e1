"""Direct loss estimation (DLE) for regressors, as in NannyML.

Two gradient-boosting models are trained on the reference to predict each row's absolute and
squared error from its features and the model's prediction; on a day without labels their
predictions, averaged, estimate the day's MAE and (square-rooted) RMSE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from monitoring_pipelines.cores import fitting_threads

PREDICTION = "__prediction__"


@dataclass
class DLE:
    """The fitted loss models and the encoding of the inputs they read."""

    numeric: list[str]
    categories: dict[str, list[str]]
    abs_model: HistGradientBoostingRegressor
    sq_model: HistGradientBoostingRegressor

    @staticmethod
    def _encode(
        frame: pd.DataFrame, pred: np.ndarray, numeric: list[str], categories: dict[str, list[str]]
    ) -> pd.DataFrame:
        x = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") for c in numeric})
        for c, cats in categories.items():  # unseen categories become missing
            x[c] = pd.Categorical(frame[c].astype("string"), categories=cats).codes.astype(float)
            x.loc[x[c] < 0, c] = np.nan
        x[PREDICTION] = pred
        return x

    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        pred: np.ndarray,
        y: np.ndarray,
        *,
        numeric: list[str],
        categorical: list[str],
        max_iter: int,
        max_rows: int,
        seed: int,
    ) -> DLE:
        """Fit on reference rows: features in ``frame``, the model's ``pred`` and labels ``y``
        (at most ``max_rows`` rows, sampled)."""
        if len(y) > max_rows:
            keep = np.sort(np.random.default_rng(seed).choice(len(y), max_rows, replace=False))
            frame, pred, y = frame.iloc[keep], pred[keep], y[keep]
        cats = {
            c: sorted(frame[c].dropna().astype(str).unique().tolist())[:250] for c in categorical
        }
        x = cls._encode(frame, pred, numeric, cats)
        mask = [c in cats for c in x.columns]
        err = pred - y
        params = dict(
            max_iter=max_iter,
            learning_rate=0.05,
            min_samples_leaf=50,
            categorical_features=mask,
            random_state=seed,
        )
        with fitting_threads():
            abs_model = HistGradientBoostingRegressor(**params).fit(x, np.abs(err))
            sq_model = HistGradientBoostingRegressor(**params).fit(x, err**2)
        return cls(numeric, cats, abs_model, sq_model)

    def row_losses(self, frame: pd.DataFrame, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row expected absolute error (target units) and squared error (units squared),
        floored at zero."""
        x = self._encode(frame, pred, self.numeric, self.categories)
        with threadpool_limits(limits=1, user_api="openmp"):
            a, s = self.abs_model.predict(x), self.sq_model.predict(x)
        return np.maximum(a, 0.0), np.maximum(s, 0.0)

    def estimate(self, frame: pd.DataFrame, pred: np.ndarray) -> dict[str, float]:
        """Estimated mae and rmse of rows (target units)."""
        a, s = self.row_losses(frame, pred)
        return {"mae": float(a.mean()), "rmse": float(np.sqrt(s.mean()))}
