"""Backlog, control-group precision and the recall audit against hand-worked figures,
scipy, and a simulation with known truth."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from monitoring_pipelines.review.audit import (
    estimate_recall,
    horvitz_thompson,
    inclusion_probabilities,
    poisson_sample,
    srs_sample_size,
    srs_variance,
)
from monitoring_pipelines.review.backlog import backlog_path, project_backlog
from monitoring_pipelines.review.control import precision_status, wilson_interval


def test_backlog_matches_a_hand_worked_example():
    # capacity 100: 120 -> 20 left; 80 clears it (0, not -0); 150 -> 50; 50 -> 0; 130 -> 30;
    # 170 -> 100
    path = backlog_path([120, 80, 150, 50, 130, 170], capacity=100)
    assert path == [20, 0, 50, 0, 30, 100]
    # trailing 3 days' mean inflow (50 + 130 + 170) / 3 = 116.67: +16.67 a day for 4 days
    mean = np.mean([50, 130, 170])
    assert project_backlog(path[-1], mean, 100, 4) == pytest.approx(100 + 4 * 50 / 3)
    # below capacity the backlog drains and stops at zero: 100 - 30 - 30 - 30 -> 10 -> 0
    assert project_backlog(100, 70, 100, 3) == pytest.approx(10)
    assert project_backlog(100, 70, 100, 5) == 0
    assert backlog_path([], 100) == []


@pytest.mark.parametrize("k,n", [(0, 10), (7, 10), (10, 10), (37, 120)])
def test_wilson_interval_against_scipy(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="wilson")
    assert wilson_interval(k, n, 0.9) == pytest.approx((ci.low, ci.high))


def test_precision_status():
    assert precision_status(0.7, 0.78, 0.8, 50, 10) == "alert"  # even the upper bound misses
    assert precision_status(0.75, 0.85, 0.8, 50, 10) == "warn"
    assert precision_status(0.85, 0.9, 0.8, 50, 10) == "ok"
    assert precision_status(0.1, 0.2, 0.8, 5, 10) == "ok"  # too few decisions to judge
    assert precision_status(0.1, 0.2, None, 50, 10) == "ok"


def test_inclusion_probabilities_spend_the_budget():
    rng = np.random.default_rng(0)
    scores = rng.beta(1, 8, 2000) * 0.5
    pi = inclusion_probabilities(scores, budget=80, exponent=1.5, floor=0.005)
    assert pi.sum() == pytest.approx(80, rel=1e-6)
    assert pi.min() >= 0.005 - 1e-12 and pi.max() <= 1
    free = (pi > 0.005) & (pi < 1)  # unclipped: proportional to score ** 1.5
    ratio = pi[free] / scores[free] ** 1.5
    assert np.ptp(ratio) / ratio.mean() < 1e-9
    assert np.all(np.diff(pi[np.argsort(scores)]) >= -1e-12)
    assert np.all(inclusion_probabilities(scores[:50], 80, 1, 0.01) == 1)
    assert np.allclose(inclusion_probabilities(scores, 10, 1, 0.01), 10 / 2000)  # floor too big


def _population(rng, n=4000):
    """Negatives below a soft threshold of 0.5 with calibrated scores: most near zero."""
    scores = rng.beta(0.5, 8, n) * 0.5
    y = (rng.random(n) < scores).astype(float)
    return scores, y


def test_horvitz_thompson_recall_is_unbiased_and_beats_simple_random_sampling():
    rng = np.random.default_rng(11)
    scores, y = _population(rng)
    n, budget, tp = len(y), 60, 200.0
    fn_true = y.sum()
    recall_true = tp / (tp + fn_true)
    pi = inclusion_probabilities(scores, budget, exponent=0.5, floor=0.002)
    ht, srs, ht_var, covered, saved = [], [], [], [], []
    for _ in range(200):
        drawn = poisson_sample(pi, rng)
        est = estimate_recall(tp, y[drawn], pi[drawn], n, confidence=0.9)
        ht.append(est.fn)
        ht_var.append(est.fn_variance)
        covered.append(est.lower <= recall_true <= est.upper)
        saved.append(est.audits_saved)
        srs.append(n * y[rng.choice(n, budget, replace=False)].mean())
    ht, srs = np.array(ht), np.array(srs)
    err = ht - fn_true
    assert abs(err.mean()) <= err.std(ddof=1) / np.sqrt(len(err))  # unbiased
    assert ht.var(ddof=1) < srs.var(ddof=1)
    # the variance estimate is right on average, the interval covers about as promised
    assert np.mean(ht_var) == pytest.approx(ht.var(ddof=1), rel=0.25)
    assert np.mean(covered) >= 0.85  # nominal 0.9; about 0.88-0.90 over 1000 repetitions
    # the SRS variance formula matches the simulated SRS, and audits are saved on average
    assert srs_variance(n, budget, fn_true / n) == pytest.approx(srs.var(ddof=1), rel=0.25)
    assert np.mean([s for s in saved if s is not None]) > 0
    # recall = TP / (TP + FN) is a ratio: only FN is exactly unbiased (the recall's bias here
    # is about 0.03 against a spread of 0.13 at 60 audits, and shrinks as audits grow)


def test_ht_and_srs_helpers_by_hand():
    total, var = horvitz_thompson(np.array([1, 0, 1]), np.array([0.5, 0.2, 0.25]))
    assert total == 2 + 4 and var == pytest.approx(0.5 / 0.25 + 0.75 / 0.0625)
    v = srs_variance(1000, 50, 0.1)
    assert srs_sample_size(1000, v, 0.1) == pytest.approx(50)
    est = estimate_recall(30.0, np.array([1.0, 0.0]), np.array([0.5, 0.5]), 100, 0.95, 0.5)
    assert est.fn == pytest.approx(1 / 0.25) and est.recall == pytest.approx(30 / 34)
    assert estimate_recall(30.0, np.array([]), np.array([]), 100, 0.95).recall is None
