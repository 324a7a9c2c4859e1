"""Tests on aggregated per-row losses and the corrections for testing many groups.

Everything works from per-group sufficient statistics (count, sum, sum of squares), which
DuckDB computes with one GROUP BY, so no test needs the rows themselves.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from monitoring_pipelines.config.slices import Correction


def moments(n: np.ndarray, s: np.ndarray, ss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, sample variance) of groups from their count, sum and sum of squares
    (variance 0 for groups of fewer than two rows)."""
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s / np.where(n > 0, n, 1), np.nan)
        var = np.where(n > 1, (ss - n * mean**2) / np.where(n > 1, n - 1, 1), 0.0)
    return mean, np.maximum(var, 0.0)


def welch_greater(
    n1: np.ndarray, m1: np.ndarray, v1: np.ndarray, n2: np.ndarray, m2: np.ndarray, v2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(t, p): one-sided Welch t-test that group 1's mean exceeds group 2's.

    Same statistic as ``scipy.stats.ttest_ind(equal_var=False, alternative='greater')``.
    With both variances zero, p is 0 when mean 1 is larger and 1 otherwise; groups of fewer
    than two rows get p = 1.
    """
    n1, n2 = np.asarray(n1, float), np.asarray(n2, float)
    a, b = v1 / np.maximum(n1, 1), v2 / np.maximum(n2, 1)
    se2 = a + b
    diff = m1 - m2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se2 > 0, diff / np.sqrt(se2), np.where(diff > 0, np.inf, -np.inf))
        df = se2**2 / (a**2 / np.maximum(n1 - 1, 1) + b**2 / np.maximum(n2 - 1, 1))
        p = np.where(se2 > 0, stats.t.sf(t, np.where(np.isfinite(df), df, 1.0)), 0.0)
    p = np.where((se2 == 0) & (diff <= 0), 1.0, p)
    p = np.where((n1 < 2) | (n2 < 2), 1.0, p)
    return t, np.clip(p, 0.0, 1.0)


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error rate)."""
    p = np.asarray(p, float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(scaled, 1.0)
    return out


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate)."""
    p = np.asarray(p, float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    scaled = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(scaled, 1.0)
    return out


def adjust(p: np.ndarray, method: Correction) -> np.ndarray:
    """p-values adjusted for the number of tests by ``method``."""
    p = np.asarray(p, float)
    if method is Correction.holm:
        return holm(p)
    if method is Correction.bh:
        return benjamini_hochberg(p)
    if method is Correction.bonferroni:
        return np.minimum(p * len(p), 1.0)
    return p
