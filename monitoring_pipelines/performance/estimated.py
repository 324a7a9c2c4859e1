"""Estimated performance of a day without its labels, and how far off it was once they came."""

from __future__ import annotations

import math

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.bands import LOWER_IS_BETTER, judge
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.dle import DLE
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.store.metrics import Metric


def estimated_performance(
    cfg: ModelConfig, state: PerformanceEstimator, rows: Rows
) -> list[Metric]:
    """The day's estimated figures (shares for classifiers, target units for regressors).

    lower/upper = estimate +/- ``band_sigmas`` sampling errors, the sampling error being the
    metric's spread over the reference windows rescaled to the day's rows. Status: the
    estimate judged against the reference band, like a realized figure. Empty when the model
    has no estimator or the day no rows.
    """
    n = len(rows)
    if state.estimator is None or n == 0:
        return []
    if isinstance(state.estimator, DLE):
        values = state.estimator.estimate(rows.frame, rows.yhat)
    else:
        values = state.estimator.estimate(rows.scores, rows.yhat)
    s = cfg.performance
    out = [Metric("rows", n)]
    for name, value in values.items():
        band = state.bands.get(name)
        lo = hi = None
        if band is not None:
            half = s.band_sigmas * band.std * math.sqrt(band.rows / n)
            lo, hi = value - half, value + half
        out.append(Metric(name, value, lower=lo, upper=hi, status=judge(name, value, n, band, s)))
    return out


def estimation_error(
    cfg: ModelConfig, estimated: list[Metric], realized: list[Metric]
) -> list[Metric]:
    """Estimated minus realized, per metric both have (metric units), for subject-less
    figures. Status 'warn' when the gap exceeds ``max_estimation_gap`` (relative to the
    realized value for error metrics such as mae). lower/upper: the estimate's band minus the
    realized value, so 0 inside the band means the band covered the truth."""
    real = {m.metric: m for m in realized if not m.subject and m.value is not None}
    out = []
    for e in estimated:
        r = real.get(e.metric)
        if e.subject or e.value is None or r is None or e.metric == "rows":
            continue
        gap = e.value - r.value
        scale = abs(r.value) if e.metric in LOWER_IS_BETTER and r.value else 1.0
        status = "warn" if abs(gap) / scale > cfg.performance.max_estimation_gap else "ok"
        lo = None if e.lower is None else e.lower - r.value
        hi = None if e.upper is None else e.upper - r.value
        out.append(Metric(e.metric, gap, lower=lo, upper=hi, status=status))
    return out
