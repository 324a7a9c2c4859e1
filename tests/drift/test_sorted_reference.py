"""KS and Wasserstein-1 against a sorted reference equal scipy's, ties included; the cache
is keyed on the loaded reference."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from scipy import stats

from monitoring_pipelines.drift import sorted_reference as sr


@pytest.mark.parametrize("seed", range(6))
def test_equal_to_scipy(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, m = int(rng.integers(1, 3000)), int(rng.integers(1, 800))
        if seed % 2:  # heavy ties on both sides, partly disjoint supports
            r = rng.integers(0, 10, n).astype(float)
            c = rng.integers(2, 14, m).astype(float)
        else:
            r = rng.normal(size=n)
            c = rng.normal(rng.uniform(-1, 1), rng.uniform(0.5, 2), size=m)
        ref = sr.SortedSample.of(r)
        d, p = sr.ks_2samp_sorted(ref, c)
        want = stats.ks_2samp(r, c, method="asymp")
        assert d == pytest.approx(want.statistic, abs=1e-12)
        assert p == pytest.approx(want.pvalue, rel=1e-9, abs=1e-300)
        w = sr.wasserstein_sorted(ref, c)
        assert w == pytest.approx(stats.wasserstein_distance(r, c), rel=1e-9, abs=1e-12)
        placed = sr.place(ref, c)  # one search shared by both: the same figures exactly
        assert sr.ks_2samp_sorted(ref, c, placed) == (d, p)
        assert sr.wasserstein_sorted(ref, c, placed) == w


def test_quantiles_inside_between_and_on_the_day_values():
    # reference quantiles that fall strictly between two day values, exactly on one, and
    # outside the day's range: every branch of the shared positions
    r = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 6.0, 9.0])
    for c in ([1.0, 3.0, 3.0, 8.0], [0.5, 0.5, 2.5, 10.0], [-1.0, 1.0, 4.0], [3.0]):
        ref, day = sr.SortedSample.of(r), np.array(c)
        assert sr.wasserstein_sorted(ref, day) == pytest.approx(
            stats.wasserstein_distance(r, day), rel=1e-12
        )


def test_hand_worked_example():
    # ref {0, 1, 2, 3}, day {1.5}: CDF gap largest just before/after 1.5 -> D = 1/2;
    # W1 = integral |F_ref - F_day| = 1*0.25 + 0.5*0.5 + 0.5*0.5 + 1*0.25 = 1.0
    ref = sr.SortedSample.of(np.array([3.0, 0.0, 2.0, 1.0]))
    assert sr.ks_2samp_sorted(ref, np.array([1.5]))[0] == pytest.approx(0.5)
    assert sr.wasserstein_sorted(ref, np.array([1.5])) == pytest.approx(1.0)


def test_cache_reads_once_per_reference_version(tmp_path):
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE ref AS SELECT (i % 97)::DOUBLE AS x FROM range(1000) t(i)")
    sr.CACHE.clear()
    a = sr.sorted_reference(con, "ref", "x", "v1")
    assert np.all(np.diff(a.values) >= 0) and len(a) == 1000
    con.execute("UPDATE ref SET x = x + 1000")
    assert sr.sorted_reference(con, "ref", "x", "v1") is a  # same version: cached
    b = sr.sorted_reference(con, "ref", "x", "v2")  # reloaded reference: read again
    assert b.values.min() >= 1000
    assert sr.sorted_reference(con, "ref", "x", None).values.min() >= 1000  # unknown: uncached
    con.close()


def test_a_new_process_reads_the_sorted_column_from_beside_the_database(tmp_path):
    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE ref AS SELECT (i * 7919 % 1009)::DOUBLE AS x FROM range(5000) t(i)")
    sr.CACHE.clear()
    a = sr.sorted_reference(con, "ref", "x", "v1")
    files = list((tmp_path / "s.duckdb.derived").glob("*.npy"))
    assert len(files) == 1
    # a new process (empty in-process cache) must not query the table: change it under the
    # same version, and the file's values come back
    con.execute("UPDATE ref SET x = -x")
    sr.CACHE.clear()
    b = sr.sorted_reference(con, "ref", "x", "v1")
    np.testing.assert_array_equal(b.values, a.values)
    np.testing.assert_array_equal(b.prefix, a.prefix)
    assert isinstance(b.values, np.memmap) and isinstance(b.prefix, np.memmap)  # mapped
    assert sr.ks_2samp_sorted(b, np.arange(50.0)) == sr.ks_2samp_sorted(a, np.arange(50.0))
    # a reloaded reference (new version) is read again and replaces the column's old file
    c = sr.sorted_reference(con, "ref", "x", "v2")
    assert c.values.max() <= 0
    assert [f.name for f in (tmp_path / "s.duckdb.derived").glob("*.npy")] != [files[0].name]
    assert len(list((tmp_path / "s.duckdb.derived").glob("*.npy"))) == 1
    # a damaged file is recomputed, not trusted
    only = next((tmp_path / "s.duckdb.derived").glob("*.npy"))
    only.write_bytes(b"not numpy")
    sr.CACHE.clear()
    np.testing.assert_array_equal(sr.sorted_reference(con, "ref", "x", "v2").values, c.values)
    con.close()


def test_a_file_of_the_earlier_layout_is_replaced_not_misread(tmp_path):
    """Files kept before the prefix sums were stored held the values alone; the layout is
    part of the version, so such a file is never read as the new layout and is removed."""
    from monitoring_pipelines.store.derived import digest

    db = tmp_path / "s.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE ref AS SELECT (i % 7 - 3)::DOUBLE AS x FROM range(301) t(i)")
    folder = tmp_path / "s.duckdb.derived"
    folder.mkdir()
    stem = "sorted-" + digest("ref\0x")
    values = np.sort(con.execute("SELECT x FROM ref").fetchnumpy()["x"])  # median 0: odd n
    old = folder / f"{stem}-{digest('v1')}.npy"
    np.save(old, values)
    sr.CACHE.clear()
    got = sr.sorted_reference(con, "ref", "x", "v1")
    np.testing.assert_array_equal(got.values, values)
    assert len(got.prefix) == len(values) + 1
    assert not old.exists() and len(list(folder.glob("*.npy"))) == 1
    con.close()


def test_released_caches_are_read_back_from_beside_the_database(tmp_path):
    """release_caches (called before a retraining run) empties the in-process cache; the
    next use reads the kept file, not the table."""
    from monitoring_pipelines.store.derived import release_caches

    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute("CREATE TABLE ref AS SELECT (i * 31 % 101)::DOUBLE AS x FROM range(3000) t(i)")
    sr.CACHE.clear()
    a = sr.sorted_reference(con, "ref", "x", "v1")
    assert sr.CACHE.items
    release_caches()
    assert not sr.CACHE.items
    con.execute("UPDATE ref SET x = -x")  # the table is not read again
    b = sr.sorted_reference(con, "ref", "x", "v1")
    assert b is not a
    np.testing.assert_array_equal(b.values, a.values)
    con.close()


def test_an_in_memory_database_writes_no_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    con.execute("CREATE TABLE ref AS SELECT i::DOUBLE AS x FROM range(10) t(i)")
    sr.CACHE.clear()
    assert len(sr.sorted_reference(con, "ref", "x", "v1")) == 10
    assert list(tmp_path.iterdir()) == []


def test_the_distinct_value_index_places_like_a_search_of_every_value():
    rng = np.random.default_rng(3)
    r = np.round(rng.normal(size=20_000), 2)  # some 700 distinct values: indexed
    r[:5] = np.nan  # NaN in both samples: placed as numpy's searches place it
    ref = sr.SortedSample.of(r)
    assert ref.distinct() is not None and len(ref.distinct()[0]) < 2000
    for c in (
        np.round(rng.normal(0.3, 1.2, size=3000), 2),  # ties with the reference
        rng.normal(size=3000),  # none
        np.r_[np.round(rng.normal(size=50), 2), np.nan, -9.0, 9.0, r[10:20]],
        np.zeros(0),
    ):
        placed = sr.place(ref, c)
        v = np.sort(c)
        np.testing.assert_array_equal(placed.values, v)
        np.testing.assert_array_equal(placed.right, np.searchsorted(ref.values, v, "right"))
        left = np.searchsorted(ref.values, v, "left")
        ties = ~np.isnan(v)  # KS treats a NaN as never tied (NaN != NaN), as before
        np.testing.assert_array_equal(placed.left[ties], left[ties])
        plain = sr.Placed(placed.values, placed.right)  # KS searching the ties itself
        np.testing.assert_equal(
            sr.ks_2samp_sorted(ref, c, placed), sr.ks_2samp_sorted(ref, c, plain)
        )
    continuous = sr.SortedSample.of(rng.normal(size=5000))
    assert continuous.distinct() is None and sr.place(continuous, r[:10]).left is None
