"""Precision of the model's decisions measured on the control group: the share of traffic
decided by people whatever the model said, so its labels are not shaped by the model's
actions (a customer given a retention offer may not churn; its label no longer says whether
the model was right)."""

from __future__ import annotations

import math

from scipy.stats import norm


def wilson_interval(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (NaN, NaN without trials)."""
    if trials == 0:
        return math.nan, math.nan
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def precision_status(
    value: float | None, upper: float | None, target: float | None, decisions: int, minimum: int
) -> str:
    """``alert`` when even the interval's upper bound is below the target precision, ``warn``
    when the estimate is; ``ok`` without a target or with fewer than ``minimum`` decisions."""
    if target is None or value is None or decisions < minimum:
        return "ok"
    if upper is not None and upper < target:
        return "alert"
    return "warn" if value < target else "ok"
