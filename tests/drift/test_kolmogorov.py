"""The KS p-value's survival function equals scipy's ``kstwo.sf`` on every branch, and the
band where scipy loops over Smirnov's series is summed without scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from monitoring_pipelines.drift import kolmogorov as kg
from monitoring_pipelines.drift import sorted_reference as sr

NS = [7, 140, 141, 500, 1013, 32258, 166667]
NX2 = [0.05, 0.5, 0.76, 2.0, 2.2, 2.5, 4.0, 10.0, 50.0, 200.0, 369.0, 371.0, 5000.0]


def _grid():
    for n in NS:
        ds = [(x / n) ** 0.5 for x in NX2]
        ds += [0.0, 0.3 / n, 0.9 / n, 1.5 / n, 0.5, 0.7, 1 - 0.5 / n, 1.0]  # other branches
        yield from ((n, d) for d in ds if 0.0 <= d <= 1.0)


def test_equals_scipy_on_every_branch():
    band = 0
    for n, d in _grid():
        want = stats.kstwo.sf(d, n)
        assert kg.kstwo_sf(d, n) == pytest.approx(want, rel=1e-11, abs=1e-300), (n, d)
        band += kg.in_smirnov_band(d, n)
    assert band == 29  # the fast path taken at every n above 140 (4 to 7 d's each)


@pytest.mark.parametrize("n", [141, 1013, 32258, 300_000])
def test_smirnov_sum_equals_scipy(n):
    for nx2 in [2.2, 3.0, 10.0, 100.0, 300.0]:
        d = (nx2 / n) ** 0.5
        if d >= 0.5:
            continue  # outside the band (and past 1: no probability)
        assert kg.smirnov_sf(n, d) == pytest.approx(special.smirnov(n, d), rel=1e-11)


def test_summed_in_bounded_chunks(monkeypatch):
    n, d = 32258, 0.02
    whole = kg.smirnov_sf(n, d)
    monkeypatch.setattr(kg, "CHUNK", 1000)  # 32 chunks, the last one partial
    assert kg.smirnov_sf(n, d) == pytest.approx(whole, rel=1e-13)
    assert kg.smirnov_sf(n, d) == pytest.approx(special.smirnov(n, d), rel=1e-11)


def test_the_band_does_not_call_scipys_loop(monkeypatch):
    n, d = 32258, 0.02  # n d² = 12.9: scipy sums 31,613 terms one by one here
    want = stats.kstwo.sf(d, n)

    class NoScipy:
        def sf(self, *args):
            raise AssertionError("scipy's kstwo.sf called inside the band")

    monkeypatch.setattr(kg, "kstwo", NoScipy())
    assert kg.in_smirnov_band(d, n)
    assert kg.kstwo_sf(d, n) == pytest.approx(want, rel=1e-11)
    with pytest.raises(AssertionError):  # outside the band scipy's function is used
        kg.kstwo_sf(0.001, n)


def test_moderate_shift_on_a_large_day_equals_ks_2samp():
    """A W1-sized day with a shift small enough to land in the band: D and p as scipy's."""
    rng = np.random.default_rng(7)
    r, c = rng.normal(size=200_000), rng.normal(0.03, 1.0, size=33_000)
    d, p = sr.ks_2samp_sorted(sr.SortedSample.of(r), c)
    want = stats.ks_2samp(r, c, method="asymp")
    en = round(len(r) * len(c) / (len(r) + len(c)))
    assert kg.in_smirnov_band(d, en)
    assert d == pytest.approx(want.statistic, abs=1e-12)
    assert p == pytest.approx(want.pvalue, rel=1e-11)
    assert 1e-6 < p < 0.05  # a real, moderate shift: significant, not overwhelming
