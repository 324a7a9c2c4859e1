"""The bootstrap's fast parts against the slow, obvious ones: the inverse-CDF Poisson(1)
sampler against scipy's pmf, float32 presorted weights against float64 unsorted ones, and the
per-cell bootstrap of precision/recall against weights drawn per row."""

from __future__ import annotations

import numpy as np
from scipy import stats

from monitoring_pipelines.performance.operating_point import _bootstrap_counts
from monitoring_pipelines.performance.weighted import binary_metrics, poisson_weights


def test_poisson_weights_follow_poisson_one():
    w = poisson_weights(np.random.default_rng(0), (400, 5000))
    assert w.dtype == np.float32 and w.shape == (400, 5000)
    assert np.all(w == np.round(w)) and w.min() == 0
    counts = np.bincount(w.astype(int).ravel())
    k = np.arange(len(counts))
    expected = stats.poisson.pmf(k, 1.0) * w.size
    # pool the tail (expected < 5) into one cell, as the chi-squared test needs
    keep = expected >= 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], w.size - expected[keep].sum())
    assert stats.chisquare(obs, exp).pvalue > 0.001
    assert abs(w.mean() - 1) < 0.002 and abs(w.var() - 1) < 0.005


def test_poisson_weights_reject_a_wrong_rate():
    """The chi-squared check above has power: Poisson(1.02) weights fail it."""
    w = np.random.default_rng(1).poisson(1.02, 400 * 5000)
    counts = np.bincount(w)
    expected = stats.poisson.pmf(np.arange(len(counts)), 1.0) * w.size
    keep = expected >= 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], w.size - expected[keep].sum())
    assert stats.chisquare(obs, exp).pvalue < 1e-6


def test_float32_presorted_weights_give_the_float64_unsorted_figures():
    rng = np.random.default_rng(2)
    n = 3000
    s = np.round(rng.uniform(size=n), 3)  # ties, as real scores have
    y = (rng.uniform(size=n) < s).astype(float)
    yhat = (s >= 0.5).astype(float)
    w = poisson_weights(rng, (50, n))
    plain = binary_metrics(w.astype(np.float64), y, yhat, s)
    order = np.argsort(-s, kind="stable")
    fast = binary_metrics(w[:, order], y[order], yhat[order], s[order])
    for name, values in plain.items():
        np.testing.assert_allclose(fast[name], values, rtol=2e-6, atol=1e-7, err_msg=name)


def test_per_cell_bootstrap_matches_per_row_weights():
    rng = np.random.default_rng(3)
    n = 4000
    s = rng.uniform(size=n)
    y = (rng.uniform(size=n) < s).astype(float)
    yhat = (s >= 0.7).astype(float)
    cells = _bootstrap_counts(y, yhat, 4000, 0)
    w = rng.poisson(1.0, (4000, n)).astype(float)
    rows = binary_metrics(w, y, yhat, None)
    for name in ("precision", "recall"):
        a, b = cells[name], rows[name]
        assert abs(a.mean() - b.mean()) < 0.002, name
        assert abs(a.std() / b.std() - 1) < 0.06, name
        np.testing.assert_allclose(
            np.quantile(a, [0.025, 0.975]), np.quantile(b, [0.025, 0.975]), atol=0.004
        )
