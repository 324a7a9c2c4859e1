"""Reference bands: what a metric looks like on the reference, cut into windows, and how a
day's figure is judged against that (NannyML-style thresholds learned from reference chunks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitoring_pipelines.config.performance import PerformanceSettings

LOWER_IS_BETTER = {
    "log_loss", "brier", "calibration_error", "rmse", "mae", "mape", "error_std",
}  # fmt: skip
"""Metrics where a larger value is worse; every other judged metric degrades downwards."""


@dataclass(frozen=True)
class Band:
    """A metric over the reference windows: mean and standard deviation of the per-window
    figures, and the mean rows per window (to rescale the deviation to a day's rows)."""

    metric: str
    mean: float
    std: float
    rows: float

    def limits(self, rows: int, sigmas: float) -> tuple[float, float]:
        """(lower, upper) of the band for a figure measured on ``rows`` rows, in the metric's
        units: mean +/- sigmas * std * sqrt(window rows / rows)."""
        spread = sigmas * self.std * math.sqrt(self.rows / max(rows, 1))
        return self.mean - spread, self.mean + spread


def chunk_weights(n: int, chunks: int) -> np.ndarray:
    """(chunks, n) 0/1 matrix putting consecutive rows into ``chunks`` equal windows."""
    idx = np.minimum(np.arange(n) * chunks // max(n, 1), chunks - 1)
    return (idx[None, :] == np.arange(chunks)[:, None]).astype(float)


def fit_bands(per_chunk: dict[str, np.ndarray], rows_per_chunk: float) -> dict[str, Band]:
    """Bands from metric -> (chunks,) figures on the reference windows."""
    out = {}
    for name, values in per_chunk.items():
        v = values[np.isfinite(values)]
        if len(v) >= 2:
            out[name] = Band(name, float(v.mean()), float(v.std(ddof=1)), rows_per_chunk)
    return out


def judge(
    metric: str,
    value: float | None,
    rows: int,
    band: Band | None,
    settings: PerformanceSettings,
) -> str:
    """'alert' / 'warn' when ``value`` moved past the alert / warn band in the degrading
    direction, else 'ok' (also when the metric is not judged or has no band)."""
    if value is None or band is None or metric not in settings.alert_metrics:
        return "ok"
    if not math.isfinite(value):
        return "ok"
    for status, sigmas in (("alert", settings.alert_sigmas), ("warn", settings.warn_sigmas)):
        lower, upper = band.limits(rows, sigmas)
        if metric in LOWER_IS_BETTER and value > upper:
            return status
        if metric not in LOWER_IS_BETTER and value < lower:
            return status
    return "ok"
