"""Each statistic against an independent computation or a hand-worked example."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pytest
from scipy import stats

from monitoring_pipelines.drift.backends import chi2_test, ks_test
from monitoring_pipelines.drift.columns import column_specs, day_relation, reference_relation
from monitoring_pipelines.drift.reference import fit_profile
from monitoring_pipelines.drift.stats import correct, js_distance, psi
from monitoring_pipelines.drift.univariate import measure
from tests.drift.helpers import toy_config, toy_tables

DAY = date(2025, 3, 1)
REF, CUR = np.array([50, 30, 20]), np.array([30, 30, 40])


def test_psi_equals_the_hand_worked_example():
    # shares p = (.5, .3, .2), q = (.3, .3, .4): (q - p) ln(q / p) summed over the bins
    hand = (0.3 - 0.5) * math.log(0.3 / 0.5) + 0.0 + (0.4 - 0.2) * math.log(0.4 / 0.2)
    assert psi(REF, CUR) == pytest.approx(0.240794560865187, abs=1e-9)
    assert psi(REF, CUR) == pytest.approx(hand, abs=1e-12)


def test_js_distance_equals_the_hand_worked_example():
    # m = (.4, .3, .3); KL in bits; distance = sqrt of the mean of the two divergences
    kl_p = 0.5 * math.log2(0.5 / 0.4) + 0.2 * math.log2(0.2 / 0.3)
    kl_q = 0.3 * math.log2(0.3 / 0.4) + 0.4 * math.log2(0.4 / 0.3)
    assert js_distance(REF, CUR) == pytest.approx(0.2067308603, abs=1e-9)
    assert js_distance(REF, CUR) == pytest.approx(math.sqrt((kl_p + kl_q) / 2), abs=1e-12)
    assert js_distance(REF, REF * 3) == pytest.approx(0.0, abs=1e-12)


def test_corrections():
    p = [0.01, 0.04, float("nan"), 0.03]
    assert correct(p, "bonferroni")[:2] == pytest.approx([0.03, 0.12])
    assert math.isnan(correct(p, "bonferroni")[2])
    # Benjamini-Hochberg: sorted .01, .03, .04 -> .03, .045, .04 -> monotone .03, .04, .04
    assert correct(p, "fdr") == pytest.approx([0.03, 0.04, float("nan"), 0.04], nan_ok=True)


@pytest.mark.parametrize("backend", ["scipy", "alibi"])
def test_ks_and_chi2_equal_scipy(backend):
    rng = np.random.default_rng(1)
    ref, cur = rng.normal(size=500), rng.normal(0.2, 1.1, size=300)
    d, p = ks_test(ref, cur, backend)
    want = stats.ks_2samp(ref, cur, method="asymp")
    rtol = 1e-6 if backend == "alibi" else 1e-12  # alibi returns float32
    assert d == pytest.approx(want.statistic, rel=rtol)
    assert p == pytest.approx(want.pvalue, rel=rtol)
    rc, cc = np.array([120, 80, 40, 5]), np.array([100, 60, 70, 0])
    chi, pc = chi2_test(rc, cc, backend)
    want_chi, want_p, _, _ = stats.chi2_contingency(np.vstack([rc, cc]))
    assert chi == pytest.approx(want_chi, rel=rtol)
    assert pc == pytest.approx(want_p, rel=rtol)


def test_measured_in_duckdb_equals_scipy_on_the_raw_values():
    """The SQL path: KS on the stored values, chi-squared and PSI on SQL counts."""
    con = duckdb.connect()
    toy_tables(
        con,
        "toy",
        "SELECT random() AS a, random() * 2 AS b, ['x', 'y', 'z'][1 + (i % 3)] AS c "
        "FROM range(2000) t(i)",
        "SELECT random() + 0.1 AS a, random() * 2 AS b, "
        "CASE i % 4 WHEN 0 THEN 'x' WHEN 1 THEN 'y' ELSE 'w' END AS c "
        "FROM range(700) t(i)",
        DAY,
    )
    cfg = toy_config()
    profile = fit_profile(con, cfg)
    specs = {s.subject: s for s in column_specs(cfg)}
    ref_rel, rel = reference_relation(cfg), day_relation(cfg, "feature", DAY)
    a = measure(con, specs["a"], profile["columns"]["a"], rel, ref_rel, cfg.drift)
    ra = con.execute(f"SELECT a FROM {ref_rel}").fetchnumpy()["a"]
    ca = con.execute(f"SELECT a FROM {rel}").fetchnumpy()["a"]
    want = stats.ks_2samp(ra, ca, method="asymp")
    assert (a.statistic, a.p_value) == pytest.approx((want.statistic, want.pvalue), rel=1e-12)
    assert a.wasserstein == pytest.approx(stats.wasserstein_distance(ra, ca) / ra.std(ddof=1))
    edges = profile["columns"]["a"]["edges"]
    hist = lambda x: np.bincount(np.searchsorted(edges, x, side="right"), minlength=10)  # noqa: E731
    assert a.psi == pytest.approx(psi(hist(ra), hist(ca)), abs=1e-12)
    c = measure(con, specs["c"], profile["columns"]["c"], rel, ref_rel, cfg.drift)
    table = con.execute(
        "SELECT sum((src = 0)::INT), sum((src = 1)::INT) FROM ("
        f"SELECT c, 0 AS src FROM {ref_rel} UNION ALL SELECT c, 1 FROM {rel}) GROUP BY c "
        "ORDER BY c"
    ).fetchall()
    want_chi, want_p, _, _ = stats.chi2_contingency(np.array(table).T)
    assert (c.statistic, c.p_value) == pytest.approx((want_chi, want_p), rel=1e-12)
    assert c.unseen == pytest.approx(350 / 700)  # 'w' was never seen
    assert c.vanished == pytest.approx(
        con.execute(f"SELECT avg((c = 'z')::INT) FROM {ref_rel}").fetchone()[0]
    )
