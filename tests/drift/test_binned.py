"""``drift.numeric_test: binned``: chi-squared on the reference-quantile bins and a lower bound
of the Wasserstein distance, checked against scipy and against shifts of known size."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats import norm

from monitoring_pipelines.drift import histograms as h
from monitoring_pipelines.drift.backends import chi2_homogeneity, chi2_test
from monitoring_pipelines.drift.calculator import calculate_drift
from monitoring_pipelines.drift.reference import fit_profile
from monitoring_pipelines.drift.stats import wasserstein_lower_bound
from tests.drift.helpers import toy_config, toy_tables

DAY = date(2025, 3, 1)
N = 1_000_000


@pytest.mark.parametrize("k", [2, 3, 10, 40])
def test_the_chi_squared_test_equals_scipys_contingency_test(k):
    rng = np.random.default_rng(k)
    for _ in range(100):
        ref = rng.integers(0, 100_000, k)
        cur = rng.integers(0, 3_000, k)
        ref[ref + cur == 0] = 1
        want_stat, want_p, _, _ = stats.chi2_contingency(np.vstack([ref, cur]))
        got_stat, got_p = chi2_homogeneity(ref, cur)
        assert got_stat == pytest.approx(want_stat, rel=1e-12, abs=1e-12)
        assert got_p == pytest.approx(want_p, rel=1e-9, abs=1e-300)


def test_yates_correction_at_one_degree_of_freedom_as_scipy():
    # |O - E| below one half: the correction stops at the expectation (statistic 0, p 1)
    assert chi2_homogeneity(np.array([50, 50]), np.array([50, 51])) == pytest.approx((0.0, 1.0))
    want = stats.chi2_contingency(np.array([[90, 10], [60, 40]]))
    assert chi2_test(np.array([90, 10]), np.array([60, 40]), "scipy") == pytest.approx(want[:2])


def test_the_wasserstein_bound_never_exceeds_scipys_distance():
    rng = np.random.default_rng(3)
    ref = rng.normal(size=20_000)
    mean, mad = ref.mean(), np.abs(ref - ref.mean()).mean()
    days = {
        "same": rng.normal(size=5_000),
        "shifted": rng.normal(0.3, 1, 5_000),
        "wider": rng.normal(0, 2, 5_000),
        "skewed": rng.exponential(1, 5_000) - 1,
        "bimodal": np.r_[rng.normal(-1, 0.3, 2_500), rng.normal(1, 0.3, 2_500)],
        "ties": np.round(rng.normal(size=5_000)),
    }
    for name, day in days.items():
        exact = stats.wasserstein_distance(ref, day)
        assert wasserstein_lower_bound(day, mean, mad) <= exact + 1e-12, name
    # a same-spread shape change with mean and spread in place is what the bound cannot see
    assert wasserstein_lower_bound(days["bimodal"], mean, mad) < stats.wasserstein_distance(
        ref, days["bimodal"]
    )


def test_the_bound_equals_the_distance_for_a_translation_and_a_scaling():
    ref = norm.ppf((np.arange(10_000) + 0.5) / 10_000)  # symmetric about 0, mean exactly 0
    mean, mad = ref.mean(), np.abs(ref - ref.mean()).mean()
    moved = ref + 0.25
    assert wasserstein_lower_bound(moved, mean, mad) == pytest.approx(0.25, rel=1e-9)
    assert stats.wasserstein_distance(ref, moved) == pytest.approx(0.25, rel=1e-9)
    wider = 1.5 * ref  # W1 = E|1.5 x - x| = 0.5 E|x| = the shift of the mean abs. deviation
    assert wasserstein_lower_bound(wider, mean, mad) == pytest.approx(
        stats.wasserstein_distance(ref, wider), rel=1e-9
    )


def _big_day(day_a, numeric_test: str, prediction: str = "a + b"):
    """1M reference rows (``a`` an evenly spread standard normal, ``b`` normal, ``c`` two
    categories) against a 1M-row day whose ``a`` is ``day_a(a)``."""
    con = duckdb.connect()
    a = norm.ppf((np.arange(N) + 0.5) / N)
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": a, "b": rng.normal(size=N), "c": rng.choice(["x", "y"], N)})
    day = ref.assign(a=day_a(a)).sample(frac=1.0, random_state=1, ignore_index=True)
    con.register("_ref", ref)
    con.register("_day", day)
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY, prediction=prediction)
    cfg = toy_config(multivariate=False, numeric_test=numeric_test)
    profile = fit_profile(con, cfg)
    result = calculate_drift(con, cfg, profile, DAY)
    return {c.spec.subject: c for c in result.columns}, result, profile, day


def test_a_tiny_shift_on_a_million_rows_is_significant_but_not_an_alert():
    cols, _, _, _ = _big_day(lambda a: a + 0.01, "binned")
    assert cols["a"].p_adjusted < 0.05
    assert cols["a"].wasserstein_bound == pytest.approx(0.01, rel=0.01)
    assert {c.status for c in cols.values()} == {"ok"}


@pytest.mark.parametrize(
    ("change", "w1"),
    [(lambda a: a + 0.2, 0.2), (lambda a: 1.5 * a, 0.5 * np.sqrt(2 / np.pi))],
    ids=["a fifth of a std", "one and a half times the spread"],
)
def test_a_large_shift_or_spread_on_a_million_rows_is_an_alert(change, w1):
    cols, _, _, _ = _big_day(change, "binned")
    assert cols["a"].status == "alert"
    # the bound is the exact distance for both (the reference std is 1 to 1e-6)
    assert cols["a"].wasserstein_bound == pytest.approx(w1, rel=1e-3)
    assert cols["b"].status == cols["c"].status == "ok"


def test_binned_figures_are_scipys_on_the_reference_bins_and_ks_agrees():
    cols, result, profile, day = _big_day(lambda a: a + 0.2, "binned")
    entry = profile["columns"]["a"]
    counts = h.counts_of(day["a"].to_numpy(), entry["edges"])
    want = stats.chi2_contingency(np.vstack([entry["counts"], counts]))
    a = cols["a"]
    assert (a.statistic, a.p_value) == pytest.approx(want[:2])
    assert entry["mad"] == pytest.approx(np.sqrt(2 / np.pi), rel=1e-4)
    exact, _, _, _ = _big_day(lambda a: a + 0.2, "ks")
    assert a.psi == pytest.approx(exact["a"].psi) and a.js == pytest.approx(exact["a"].js)
    assert a.wasserstein_bound == pytest.approx(exact["a"].wasserstein, rel=1e-6)
    assert {c: x.status for c, x in cols.items()} == {c: x.status for c, x in exact.items()}
    by_name = {(m.metric, m.subject) for m in result.metrics()}
    assert {("chi2_statistic", "a"), ("wasserstein_bound", "a")} <= by_name
    assert not {("ks_statistic", "a"), ("wasserstein_norm", "a")} & by_name


def test_a_profile_without_the_mean_absolute_deviation_gets_it_from_the_reference():
    cols, _, profile, _ = _big_day(lambda a: 1.5 * a, "binned")
    con = duckdb.connect()
    a = norm.ppf((np.arange(N) + 0.5) / N)
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": a, "b": rng.normal(size=N), "c": rng.choice(["x", "y"], N)})
    con.register("_ref", ref)
    con.register("_day", ref.assign(a=1.5 * a))
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY)
    cfg = toy_config(multivariate=False, numeric_test="binned")
    old = {**profile, "columns": {k: {**v} for k, v in profile["columns"].items()}}
    for entry in old["columns"].values():
        entry.pop("mad", None)
    again = {c.spec.subject: c for c in calculate_drift(con, cfg, old, DAY).columns}
    assert again["a"].wasserstein_bound == pytest.approx(cols["a"].wasserstein_bound, rel=1e-9)
    assert again["a"].status == "alert"


def test_the_alibi_backend_gives_the_binned_figures_too():
    """``numeric_test: binned`` under ``detector_backend: alibi``: alibi-detect's
    ChiSquareDrift on the bins gives scipy's statistic and p-value (alibi's are float32) and
    the same verdicts."""
    con = duckdb.connect()
    rng = np.random.default_rng(8)
    n = 20_000
    ref = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                        "c": rng.choice(["x", "y", "z"], n)})  # fmt: skip
    day = pd.DataFrame({"a": rng.normal(0.3, 1, 4000), "b": rng.normal(size=4000),
                        "c": rng.choice(["x", "y", "z"], 4000, p=[0.5, 0.3, 0.2])})  # fmt: skip
    con.register("_ref", ref)
    con.register("_day", day)
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY)
    out = {}
    for backend in ("scipy", "alibi"):
        cfg = toy_config(multivariate=False, numeric_test="binned", detector_backend=backend)
        result = calculate_drift(con, cfg, fit_profile(con, cfg), DAY)
        out[backend] = {c.spec.subject: c for c in result.columns}
    for subject, s in out["scipy"].items():
        a = out["alibi"][subject]
        assert a.binned == s.binned
        assert a.statistic == pytest.approx(s.statistic, rel=1e-5)
        assert a.p_value == pytest.approx(s.p_value, rel=1e-4, abs=1e-30)
        assert a.status == s.status, subject
    assert out["scipy"]["a"].status == "alert" and out["scipy"]["b"].status == "ok"
