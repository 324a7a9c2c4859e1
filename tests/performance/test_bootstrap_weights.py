"""The bootstrap's fast parts against the slow, obvious ones: the inverse-CDF Poisson(1)
sampler against scipy's pmf and a plain threshold count, float32 presorted weights against
float64 unsorted ones, the positive-only ranking sums against the tie-grouped ones and
scikit-learn, and the per-cell bootstrap of precision/recall against weights drawn per row."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

from monitoring_pipelines.performance import weighted
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


def _threshold_count(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """The obvious inverse-CDF sampler: a weight is the number of thresholds its draw reaches."""
    u = rng.integers(0, 2**32, shape, dtype=np.uint32)
    return sum((u >= cut).astype(np.float32) for cut in weighted._POISSON1_CUTS)


@pytest.mark.parametrize("shape", [(1, 1), (7, 13), (200, 20_000)])
def test_poisson_weights_equal_the_plain_threshold_count(shape):
    """The uint8 counting with the rare tail done apart draws the very same weights."""
    fast = poisson_weights(np.random.default_rng(4), shape)
    assert fast.dtype == np.float32
    np.testing.assert_array_equal(fast, _threshold_count(np.random.default_rng(4), shape))


def _grouped(w, y, s):
    ranked = weighted._ranked(w, y, s)
    return weighted._roc_auc(*ranked), weighted._average_precision(*ranked)


@pytest.mark.parametrize("decimals", [1, 2, 3, 4, 6, 12])
def test_positive_only_ranking_equals_the_grouped_one(decimals):
    """ROC AUC and average precision summed over the positives (ties corrected one by one)
    equal the tie-grouped sums over every row, from all-tied to all-distinct scores, with
    classes present or absent."""
    rng = np.random.default_rng(decimals)
    for n in (1, 2, 3, 10, 500):
        for share in (0.0, 0.05, 0.5, 1.0):
            s = np.sort(np.round(rng.uniform(size=n), decimals))[::-1].copy()
            y = (rng.uniform(size=n) < share).astype(float)
            w = poisson_weights(rng, (30, n)).astype(np.float64)
            fast, plain = weighted._binary_ranked(w, y, s), _grouped(w, y, s)
            for a, b in zip(fast, plain, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("decimals", [2, 6])
def test_roc_auc_and_average_precision_equal_scikit_learn_on_unsorted_rows(decimals):
    """Through the dispatch (grouped path for heavy ties, positive-only for few), unsorted
    rows with unit and with integer weights give scikit-learn's figures."""
    rng = np.random.default_rng(10 + decimals)
    n = 2000
    s = np.round(rng.uniform(size=n), decimals)
    y = (rng.uniform(size=n) < s).astype(float)
    counts = rng.poisson(1.0, n).astype(float)
    for w in (np.ones(n), counts):
        auc = weighted.roc_auc(w[None, :], y, s)[0]
        ap = weighted.average_precision(w[None, :], y, s)[0]
        assert auc == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)
        assert ap == pytest.approx(average_precision_score(y, s, sample_weight=w), abs=1e-12)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_poisson_weights_counted_in_parts_are_the_same_weights(threads):
    """Counting the draws of parts of the rows side by side changes nothing: the draws come
    in one call."""
    shape = (200, 20_000)
    got = poisson_weights(np.random.default_rng(9), shape, threads=threads)
    np.testing.assert_array_equal(got, _threshold_count(np.random.default_rng(9), shape))


def test_row_parts_cover_the_weightings_in_order():
    assert weighted.row_parts(200, 200 * 33_000, 2) == [(0, 100), (100, 200)]
    assert weighted.row_parts(7, 7 * 100_000, 3) == [(0, 2), (2, 5), (5, 7)]
    assert weighted.row_parts(3, 3 * 200_000, 2) == [(0, 3)]  # a part has two at least
    assert weighted.row_parts(20, 20 * 1_000, 2) == [(0, 20)]  # too small to share
    assert weighted.row_parts(200, 200 * 33_000, 1) == [(0, 200)]


def test_every_weighted_figure_computed_in_parts_equals_one_call():
    """by_weightings on two threads against one call, for each figure function of the module
    (ties, unsorted scores, multiclass scores, regression quantiles)."""
    rng = np.random.default_rng(12)
    n = 4000
    s = np.round(rng.uniform(size=n), 2)
    y = (rng.uniform(size=n) < s).astype(float)
    w = poisson_weights(rng, (120, n))
    scores = rng.dirichlet([1, 1, 1], size=n)
    cls = np.array([rng.choice(3, p=r) for r in scores])
    target = rng.gamma(3, 10, n)
    jobs = {
        "binary": lambda w: binary_metrics(w, y, (s >= 0.5).astype(float), s),
        "multiclass": lambda w: weighted.multiclass_metrics(w, cls, scores.argmax(1), scores, 3),
        "regression": lambda w: weighted.regression_metrics(w, target, target + s),
        "quantile": lambda w: {"q": weighted.weighted_quantiles(w, target - s, 0.9)},
    }
    for name, job in jobs.items():
        whole, parts = job(w), weighted.by_weightings(job, w, threads=2)
        assert whole.keys() == parts.keys(), name
        for k in whole:
            assert parts[k].shape == (120,), (name, k)
            np.testing.assert_array_equal(parts[k], whole[k], err_msg=f"{name} {k}")
