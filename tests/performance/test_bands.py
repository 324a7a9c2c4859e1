"""Reference bands against known answers: on data without a change a day's figure stays in
its band as often as the sigmas say (no crying wolf), and a real drop is flagged.

The band's deviation comes from the reference cut into 10 windows; ten figures estimate a
deviation poorly (below 0.6 of the truth one time in twenty), so it is floored at the
bootstrap sampling error of a window. Checked here against the binomial standard error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.bands import judge
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.estimator import fit_estimator
from monitoring_pipelines.performance.realized import task_metrics
from tests.conftest import TOY_CONFIG

CFG = ModelConfig.model_validate(TOY_CONFIG)


def rows(n: int, rng: np.random.Generator, flip: float = 0.0) -> Rows:
    """A calibrated binary model: score uniform, label ~ Bernoulli(score), prediction at 0.5;
    ``flip``: share of labels flipped (the model gets worse)."""
    s = rng.uniform(size=n)
    y = (rng.uniform(size=n) < s).astype(np.int64)
    if flip:
        f = rng.uniform(size=n) < flip
        y[f] = 1 - y[f]
    return Rows((s > 0.5).astype(np.int64), y, s, pd.DataFrame(index=range(0)))


@pytest.mark.parametrize("seed", range(6))
def test_band_deviation_is_at_least_the_sampling_error(seed):
    state = fit_estimator(CFG, rows(200_000, np.random.default_rng(seed)))
    band = state.bands["accuracy"]
    # accuracy of this model is 0.75; a window of 20,000 rows has binomial SE sqrt(p q / n)
    se = math.sqrt(band.mean * (1 - band.mean) / band.rows)
    assert band.rows == 20_000 and band.mean == pytest.approx(0.75, abs=0.005)
    assert 0.9 * se <= band.std <= 1.5 * se, (band.std, se)


def test_clean_days_rarely_warn_and_a_real_drop_alerts():
    rng = np.random.default_rng(7)
    state = fit_estimator(CFG, rows(200_000, rng))
    settings = CFG.performance
    judged = [m for m in ("accuracy", "f1", "roc_auc") if m in settings.alert_metrics]
    assert judged
    flags = {"warn": 0, "alert": 0}
    days = 300
    for _ in range(days):
        day = rows(5_000, rng)
        figures = task_metrics(CFG, day, np.ones((1, len(day))), settings.calibration_bins)
        statuses = [
            judge(m, float(figures[m][0]), len(day), state.bands.get(m), settings) for m in judged
        ]
        worst = "alert" if "alert" in statuses else "warn" if "warn" in statuses else "ok"
        if worst != "ok":
            flags[worst] += 1
    # one-sided: 2.3 % of a metric's clean days beyond 2 sigma, 0.13 % beyond 3 (the judged
    # metrics are correlated, so the day's worst is not much above one metric's)
    assert flags["alert"] / days <= 0.01, flags
    assert (flags["warn"] + flags["alert"]) / days <= 0.07, flags
    # 8 % of labels flipped: accuracy 0.75 -> 0.71, about 6 standard errors at 5,000 rows
    drops = 0
    for _ in range(20):
        day = rows(5_000, rng, flip=0.08)
        figures = task_metrics(CFG, day, np.ones((1, len(day))), settings.calibration_bins)
        acc = float(figures["accuracy"][0])
        drops += judge("accuracy", acc, len(day), state.bands["accuracy"], settings) == "alert"
    assert drops >= 19


@pytest.mark.parametrize("n", [1_003, 20_000])
def test_window_figures_equal_weighting_every_row_by_its_window(n):
    """Each reference window's figures, its rows taken alone, equal the figures of weighting
    all rows 0/1 by window (the matrix the bands used to be fitted with), on a binary
    model with many tied scores and uneven windows; and against scikit-learn per window."""
    from sklearn.metrics import accuracy_score, roc_auc_score

    from monitoring_pipelines.performance.bands import chunk_bounds
    from monitoring_pipelines.performance.estimator import chunk_metrics

    r = rows(n, np.random.default_rng(n))
    r = Rows(r.yhat, r.y, np.round(r.scores, 2), r.frame)  # ties within and across windows
    chunks = CFG.performance.reference_chunks
    window = np.minimum(np.arange(n) * chunks // n, chunks - 1)
    weights = (window[None, :] == np.arange(chunks)[:, None]).astype(float)
    matrix = task_metrics(CFG, r, weights, CFG.performance.calibration_bins)
    alone = chunk_metrics(CFG, r, chunks, CFG.performance.calibration_bins)
    assert matrix.keys() == alone.keys() and "roc_auc" in alone
    for name, figures in matrix.items():
        assert alone[name].shape == (chunks,)
        np.testing.assert_allclose(alone[name], figures, rtol=1e-12, atol=1e-12, err_msg=name)
    bounds = chunk_bounds(n, chunks)
    assert bounds[0] == 0 and bounds[-1] == n and np.all(np.diff(bounds) >= n // chunks)
    for c, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        assert np.all(window[a:b] == c)
        assert alone["accuracy"][c] == pytest.approx(accuracy_score(r.y[a:b], r.yhat[a:b]))
        assert alone["roc_auc"][c] == pytest.approx(roc_auc_score(r.y[a:b], r.scores[a:b]))
