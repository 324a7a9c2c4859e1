"""The tests and corrections on aggregates against scipy and hand-worked Holm / BH."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from monitoring_pipelines.config.slices import Correction
from monitoring_pipelines.slices.stats import (
    adjust,
    benjamini_hochberg,
    holm,
    moments,
    welch_greater,
)


def test_welch_from_sums_equals_scipy_one_sided():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.exponential(2.0, rng.integers(5, 80))
        b = rng.exponential(1.5, rng.integers(5, 300))
        m1, v1 = moments(np.array([len(a)]), np.array([a.sum()]), np.array([(a**2).sum()]))
        m2, v2 = moments(np.array([len(b)]), np.array([b.sum()]), np.array([(b**2).sum()]))
        t, p = welch_greater(np.array([len(a)]), m1, v1, np.array([len(b)]), m2, v2)
        ref = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
        assert t[0] == pytest.approx(ref.statistic, rel=1e-9)
        assert p[0] == pytest.approx(ref.pvalue, rel=1e-7)


def test_welch_degenerate_groups():
    one = np.array([1.0])
    zero = np.array([0.0])
    _, p = welch_greater(np.array([10]), one, zero, np.array([10]), zero, zero)
    assert p[0] == 0.0  # constant, larger
    _, p = welch_greater(np.array([10]), zero, zero, np.array([10]), one, zero)
    assert p[0] == 1.0  # constant, smaller
    _, p = welch_greater(np.array([1]), one, zero, np.array([10]), zero, one)
    assert p[0] == 1.0  # a single row is not tested


def test_holm_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust(p, Correction.bonferroni) == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust(p, Correction.none) == pytest.approx(p)


def test_benjamini_hochberg_equals_scipy():
    rng = np.random.default_rng(1)
    for m in (1, 2, 7, 50, 300):
        p = rng.uniform(0, 1, m) ** 3
        assert benjamini_hochberg(p) == pytest.approx(stats.false_discovery_control(p))
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04*4/4=0.04
    assert adjust(p, Correction.bh) == pytest.approx([0.02, 0.04, 0.04, 0.02])
