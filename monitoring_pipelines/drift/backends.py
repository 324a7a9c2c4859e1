"""The two-sample tests, on alibi-detect or on scipy alone (``detector_backend``).

alibi-detect's KSDrift runs ``scipy.stats.ks_2samp(..., mode='asymp')`` per feature and its
ChiSquareDrift runs ``scipy.stats.chi2_contingency`` on the (reference, current) count table;
the scipy backend calls the same functions directly, so both give identical figures. The
correction for many features is applied afterwards, over all of a day's tests together (see
:func:`~monitoring_pipelines.drift.stats.correct`), so each alibi detector
runs feature-wise (``drift_type='feature'``: no correction of its own).
alibi-detect is imported only when chosen (it is slow to import and BSL-licensed).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

_FEATURE_WISE = {"drift_type": "feature", "return_p_val": True, "return_distance": True}


def ks_test(ref: np.ndarray, cur: np.ndarray, backend: str) -> tuple[float, float]:
    """Two-sided Kolmogorov-Smirnov (asymptotic p-value): (statistic D in [0, 1], p-value)."""
    if backend == "alibi":
        from alibi_detect.cd import KSDrift

        det = KSDrift(np.asarray(ref, float).reshape(-1, 1), p_val=0.05)
        out = det.predict(np.asarray(cur, float).reshape(-1, 1), **_FEATURE_WISE)["data"]
        return float(out["distance"][0]), float(out["p_val"][0])
    res = stats.ks_2samp(ref, cur, alternative="two-sided", method="asymp")
    return float(res.statistic), float(res.pvalue)


def chi2_test(ref_counts: np.ndarray, cur_counts: np.ndarray, backend: str) -> tuple[float, float]:
    """Chi-squared test of homogeneity on the 2 x K count table: (statistic, p-value).

    Categories with no row on either side must already be dropped. With one category the
    test is undefined: (0.0, 1.0).
    """
    ref_counts = np.asarray(ref_counts, dtype=np.int64)
    cur_counts = np.asarray(cur_counts, dtype=np.int64)
    if len(ref_counts) < 2:
        return 0.0, 1.0
    if backend == "alibi":
        from alibi_detect.cd import ChiSquareDrift

        codes = np.arange(len(ref_counts))
        cats = {0: codes.tolist()}
        x_ref = np.repeat(codes, ref_counts).reshape(-1, 1)
        x_cur = np.repeat(codes, cur_counts).reshape(-1, 1)
        det = ChiSquareDrift(x_ref, p_val=0.05, categories_per_feature=cats)
        out = det.predict(x_cur, **_FEATURE_WISE)["data"]
        return float(out["distance"][0]), float(out["p_val"][0])
    return chi2_homogeneity(ref_counts, cur_counts)


def chi2_homogeneity(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float]:
    """``scipy.stats.chi2_contingency`` of the 2 x K table (ref_counts, cur_counts), Yates's
    continuity correction at one degree of freedom included, as scipy's default, without its
    generic machinery (about 1 ms a call, some 20 calls a day with binned numeric columns).
    Every column must hold a row on one side at least; K >= 2."""
    observed = np.vstack([ref_counts, cur_counts]).astype(np.float64)
    rows, cols = observed.sum(axis=1), observed.sum(axis=0)
    expected = np.outer(rows, cols) / observed.sum()
    dof = len(cols) - 1
    if dof == 1:  # Yates: move each count half a unit toward its expectation, not past it
        diff = expected - observed
        observed = observed + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    stat = float(np.sum((observed - expected) ** 2 / expected))
    return stat, float(special.chdtrc(dof, stat))
