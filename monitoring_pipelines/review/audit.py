"""The recall audit: an importance-sampled sample of negatives, and the Horvitz-Thompson
estimate of the positives they hide.

Rows below the soft threshold are never seen by people, so the positives among them (the
false negatives) are unknown. Each negative i is audited with probability
``pi_i = clip(c * score_i ** a, pi_min, 1)``, ``c`` chosen so that the expected number of
audits is the budget (Poisson sampling: independent draws). With y_i = 1 for an audited
positive, ``FN = sum y_i / pi_i`` over the audited rows is unbiased, with the unbiased
variance estimate ``sum (1 - pi_i) y_i**2 / pi_i**2``. Higher scores hide more positives, so
sampling them more often lowers the variance against simple random sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


def inclusion_probabilities(
    scores: np.ndarray, budget: float, exponent: float, floor: float
) -> np.ndarray:
    """pi of each negative: proportional to ``score ** exponent``, clipped to [floor, 1],
    summing to ``budget`` (all ones when the budget covers every row; ``budget / n`` each
    when the floor alone would exceed it)."""
    n = len(scores)
    if n == 0 or budget <= 0:
        return np.zeros(n)
    if budget >= n:
        return np.ones(n)
    if floor * n >= budget:
        return np.full(n, budget / n)
    w = np.power(np.clip(np.nan_to_num(scores, nan=0.0), 0.0, None), exponent)
    if not np.any(w > 0):
        return np.full(n, budget / n)

    def total(c: float) -> float:
        return float(np.clip(c * w, floor, 1.0).sum())

    lo, hi = 0.0, 1.0
    while total(hi) < budget:
        hi *= 2
    for _ in range(100):  # bisection: total(c) rises with c
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if total(mid) < budget else (lo, mid)
    return np.clip(hi * w, floor, 1.0)


def poisson_sample(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask: each row drawn independently with its probability."""
    return rng.random(len(pi)) < pi


@dataclass(frozen=True)
class RecallEstimate:
    """Recall = TP / (TP + FN) with FN estimated from the audit.

    ``fn`` and ``fn_variance``: Horvitz-Thompson estimate of the positives among the
    negatives and its variance, ``fn_lower``/``fn_upper`` its interval (normal on the log
    scale, as the estimate is skewed); ``recall`` with the interval those bounds give;
    ``srs_equivalent``:
    audits a simple random sample would need for the same variance of FN, and
    ``audits_saved`` that minus the audits used.
    """

    tp: float
    fn: float
    fn_variance: float
    fn_lower: float | None
    fn_upper: float | None
    recall: float | None
    lower: float | None
    upper: float | None
    audits_used: int
    srs_equivalent: float | None
    audits_saved: float | None


def horvitz_thompson(y: np.ndarray, pi: np.ndarray) -> tuple[float, float]:
    """(total, variance estimate) of ``y`` over a Poisson sample with probabilities ``pi``."""
    y, pi = np.asarray(y, float), np.asarray(pi, float)
    return float(np.sum(y / pi)), float(np.sum((1 - pi) * y**2 / pi**2))


def srs_variance(total_rows: int, sample: int, p: float) -> float:
    """Variance of N * (sample mean) under simple random sampling without replacement of
    ``sample`` of ``total_rows`` rows whose positive share is ``p``."""
    n, m = total_rows, sample
    if m <= 0 or n <= 1:
        return math.inf
    s2 = n / (n - 1) * p * (1 - p)
    return n * n * (1 - m / n) * s2 / m


def srs_sample_size(total_rows: int, variance: float, p: float) -> float:
    """Simple-random-sample size giving ``variance`` for N * (sample mean)."""
    n = total_rows
    if n <= 1:
        return 0.0
    s2 = n / (n - 1) * p * (1 - p)
    return n * n * s2 / (variance + n * s2) if variance + n * s2 > 0 else 0.0


def estimate_recall(
    tp: float,
    y_audited: np.ndarray,
    pi_audited: np.ndarray,
    negatives: int,
    confidence: float,
    response: float = 1.0,
) -> RecallEstimate:
    """Recall from the true positives found above the threshold and the labelled audits.

    ``response`` (0..1] is the share of drawn audits whose label came back; the returned
    ones then stand for all (each pi scaled by it). The interval treats TP as known (a
    census of the reviewed rows). FN's interval is ``fn / k .. fn * k`` with
    ``k = exp(z sqrt(var) / fn)``; when no audited row is positive its upper bound is
    ``negatives * (1 - (1 - confidence) ** (1 / m))`` (m audits, none positive).
    """
    m = len(y_audited)
    if m == 0 or response <= 0:
        return RecallEstimate(tp, math.nan, math.nan, None, None, None, None, None, 0, None, None)
    fn, var = horvitz_thompson(y_audited, np.asarray(pi_audited, float) * response)
    z = float(norm.ppf(0.5 + confidence / 2))
    if fn > 0:
        k = math.exp(z * math.sqrt(var) / fn)
        fn_lo, fn_hi = fn / k, fn * k
    else:
        fn_lo, fn_hi = 0.0, negatives * (1 - (1 - confidence) ** (1 / m))
    if tp + fn <= 0:
        return RecallEstimate(tp, fn, var, fn_lo, fn_hi, None, None, None, m, None, None)
    p = min(max(fn / negatives, 0.0), 1.0) if negatives else 0.0
    srs = srs_sample_size(negatives, var, p) if var > 0 else None
    return RecallEstimate(
        tp=tp,
        fn=fn,
        fn_variance=var,
        fn_lower=fn_lo,
        fn_upper=fn_hi,
        recall=tp / (tp + fn),
        lower=tp / (tp + fn_hi) if tp + fn_hi > 0 else None,
        upper=tp / (tp + fn_lo) if tp + fn_lo > 0 else None,
        audits_used=m,
        srs_equivalent=srs,
        audits_saved=None if srs is None else srs - m,
    )
