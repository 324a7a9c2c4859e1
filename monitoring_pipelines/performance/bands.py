"""Reference bands: what a metric looks like on the reference, cut into windows, and how a
day's figure is judged against that (NannyML-style thresholds learned from reference chunks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitoring_pipelines.config.performance import PerformanceSettings
from monitoring_pipelines.performance.weighted import SPLIT_THREADS, by_weightings, poisson_weights

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


def chunk_bounds(n: int, chunks: int) -> np.ndarray:
    """Where each of ``chunks`` equal windows of ``n`` consecutive rows starts, and where the
    last ends (``chunks + 1`` positions): row i is in window ``i * chunks // n``."""
    idx = np.minimum(np.arange(n) * chunks // max(n, 1), chunks - 1)
    return np.searchsorted(idx, np.arange(chunks + 1), side="left")


def fit_bands(
    per_chunk: dict[str, np.ndarray],
    rows_per_chunk: float,
    sampling_std: dict[str, float] | None = None,
) -> dict[str, Band]:
    """Bands from metric -> (chunks,) figures on the reference windows.

    ``sampling_std``: metric -> the bootstrap standard error of the metric on a window of
    ``rows_per_chunk`` rows. The deviation of a handful of window figures is a noisy
    estimate (with 10 windows it is below 0.6 of the truth about one time in twenty, and a
    "3 sigma" band then flags ordinary sampling noise): the band's deviation is the larger
    of the two, so it is never narrower than sampling alone makes a window's figure vary."""
    sampling_std = sampling_std or {}
    out = {}
    for name, values in per_chunk.items():
        v = values[np.isfinite(values)]
        if len(v) >= 2:
            std = float(v.std(ddof=1))
            floor = sampling_std.get(name, 0.0)
            if math.isfinite(floor):
                std = max(std, float(floor))
            out[name] = Band(name, float(v.mean()), std, rows_per_chunk)
    return out


def sampling_std(
    metrics, w_rows: int, rows_per_chunk: float, resamples: int, seed: int
) -> dict[str, float]:
    """metric -> standard error of each figure on ``rows_per_chunk`` rows, from a Poisson
    bootstrap of ``w_rows`` reference rows: ``metrics(w)`` gives metric -> (B,) figures
    under the (B, w_rows) weights, called on parts of them side by side (the same figures,
    see :func:`~.weighted.by_weightings`); the spread is rescaled by
    sqrt(w_rows / rows_per_chunk)."""
    rng = np.random.default_rng(seed)
    w = poisson_weights(rng, (resamples, w_rows), threads=SPLIT_THREADS)
    out = {}
    for name, values in by_weightings(metrics, w).items():
        v = values[np.isfinite(values)]
        if len(v) >= 2:
            out[name] = float(v.std(ddof=1)) * math.sqrt(w_rows / rows_per_chunk)
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
