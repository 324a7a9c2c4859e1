"""The window's slice search from per-day group tables equals the search on the window's
rows at once: the combination itself (synthetic days), and on demo stores with late labels,
realized and estimated losses, kept tables read back, and tables recomputed when a day's
labels change."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import load_model_configs
from monitoring_pipelines.config.slices import SliceSettings
from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.performance.data import reference_rows
from monitoring_pipelines.performance.estimator import fit_estimator, save_estimator
from monitoring_pipelines.slices import window as window_module
from monitoring_pipelines.slices.binning import Binning, fit_binning
from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED, RowLoss, read_rows, row_loss
from monitoring_pipelines.slices.search import rank_slices, search_slices
from monitoring_pipelines.slices.tables import PARTS, combine_tables, group_table
from monitoring_pipelines.slices.window import window_search
from monitoring_pipelines.store.connection import connect, transaction
from monitoring_pipelines.store.sql import derived_folder

BINNING = Binning(("x", "city", "shop"), {"x": (-0.5, 0.5)})


def _day(n: int, seed: int, cities: list[str], shift: float) -> RowLoss:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": np.where(rng.uniform(size=n) < 0.05, np.nan, rng.normal(size=n)),
            "city": rng.choice(cities, n),
            "shop": rng.choice([f"s{i}" for i in range(12)], n),
        }
    )
    # a continuous loss far from zero: the centring must keep the variances exact
    loss = 1e4 + shift + rng.gamma(2.0, 1.0, n) + (frame["city"] == cities[0]) * 0.8
    return RowLoss(frame, loss.to_numpy(float), REALIZED, n, n)


def _by_group(table) -> pd.DataFrame:
    g = table.groups.copy()
    g["key"] = g[PARTS].astype(str).agg("|".join, axis=1)
    return g.set_index("key")[["n", "s", "ss"]].sort_index()


@pytest.mark.parametrize("max_categories", [20, 14])
def test_combined_day_tables_equal_the_table_of_all_rows(max_categories):
    """Days with different categories (a city only on some days) and a column ('shop') that
    has at most 12 labels a day but 16 over the window: with max_categories 14 the window
    drops it although every day sliced it, as the search on all rows would."""
    s = SliceSettings(min_support=5, min_support_share=0.0, max_categories=max_categories)
    days = [
        _day(400, 1, ["a", "b", "c"], 0.0),
        _day(250, 2, ["a", "b", "d"], 3.0),
        _day(0, 3, ["a"], 0.0),
        _day(600, 4, ["b", "c", "e", "a"], -2.0),
    ]
    days[2] = RowLoss(days[2].frame, days[2].loss, REALIZED, 0, 0)
    days[3].frame["shop"] = days[3].frame["shop"].str.replace("s1", "t1")  # s10, s11 -> t10, t11
    whole = RowLoss(
        pd.concat([d.frame for d in days], ignore_index=True),
        np.concatenate([d.loss for d in days]),
        REALIZED,
        1250,
        1250,
    )
    combined = combine_tables([group_table(BINNING, d, s) for d in days], BINNING, s)
    direct = group_table(BINNING, whole, s)
    assert combined.columns == direct.columns
    assert ("shop" in combined.columns) == (max_categories >= 16)
    assert combined.rows == direct.rows == 1250
    assert combined.centre == pytest.approx(direct.centre, rel=1e-15)
    assert combined.total_ss == pytest.approx(direct.total_ss, rel=1e-11)
    a, b = _by_group(combined), _by_group(direct)
    assert list(a.index) == list(b.index)
    assert (a["n"] == b["n"]).all()
    np.testing.assert_allclose(a["s"], b["s"], rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(a["ss"], b["ss"], rtol=1e-10)

    ranked = rank_slices(combined, s, None, REALIZED, 1250, 1250)
    searched = search_slices(None, BINNING, whole, s)
    assert [x.slice_id for x in ranked.slices] == [x.slice_id for x in searched.slices]
    assert ranked.tried == searched.tried > 0
    for x, y in zip(ranked.slices, searched.slices, strict=True):
        assert (x.support, x.significant, x.status) == (y.support, y.significant, y.status)
        assert x.mean_loss == pytest.approx(y.mean_loss, rel=1e-12)
        assert x.p_adjusted == pytest.approx(y.p_adjusted, rel=1e-6, abs=1e-12)
    assert any(x.slice_id == "city=a" and x.significant for x in ranked.slices)


@pytest.fixture(scope="module", params=["intent", "eta"])
def store(tmp_path_factory, request):
    """A demo store of a multiclass model (intent) or a regressor (eta): 10 days ingested,
    labels joined for the first 6 only (the last days' labels are late), the estimator
    (CBPE, DLE) fitted and saved."""
    model = request.param
    paths, manifest = demo_home(tmp_path_factory.mktemp(model), models=[model], days=12)
    cfg = load_model_configs(paths.config_dir)[model]
    con = connect(paths.database)
    con.execute("SET TimeZone = 'UTC'")
    load_reference(con, cfg, paths.resolve(cfg.reference.path))
    first = date.fromisoformat(manifest["first_day"])
    days = [first + timedelta(days=i) for i in range(10)]
    for d in days:
        ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, d)
    sync_label_files(con, cfg, paths.resolve(cfg.labels.path), paths.quarantine_dir)
    for d in days[:6]:
        build_ground_truth(con, cfg, d)
    state = fit_estimator(cfg, reference_rows(con, cfg))
    with transaction(con):
        save_estimator(con, state)
    yield con, cfg, state, fit_binning(con, cfg), days
    con.close()


def _direct(con, cfg, state, binning, first, last):
    loss = row_loss(cfg, state, read_rows(con, cfg, first, last))
    return search_slices(con, binning, loss, cfg.slices)


def _same(got, want):
    assert got is not None
    assert (got.source, got.rows, got.served, got.labelled, got.tried) == (
        want.source, want.rows, want.served, want.labelled, want.tried,
    )  # fmt: skip
    assert got.mean_loss == pytest.approx(want.mean_loss, rel=1e-12)
    assert [x.slice_id for x in got.slices] == [x.slice_id for x in want.slices]
    for x, y in zip(got.slices, want.slices, strict=True):
        assert (x.support, x.significant, x.status) == (y.support, y.significant, y.status)
        assert x.gap == pytest.approx(y.gap, rel=1e-9, abs=1e-12)
        assert x.p_value == pytest.approx(y.p_value, rel=1e-6, abs=1e-12)


def test_window_search_equals_the_search_on_the_window_rows(store):
    """Realized windows (labels for most days) and estimated ones (the late days), each
    against the search on the window's rows read at once; the day tables are kept beside
    the store and read back without reading rows again."""
    con, cfg, state, binning, days = store
    folder = derived_folder(con)
    sources = set()
    for first, last in [(days[0], days[3]), (days[4], days[9]), (days[7], days[9])]:
        got = window_search(con, cfg, state, binning, first, last, lambda _: None)
        want = _direct(con, cfg, state, binning, first, last)
        _same(got, want)
        sources.add(got.source)
    assert sources == {REALIZED, ESTIMATED}
    assert len(list(folder.glob("slices-*.parquet"))) >= 10

    def no_reading(*_):
        raise AssertionError("rows read although the day's table is kept")

    original = window_module.read_rows
    window_module.read_rows = no_reading
    try:
        again = window_search(con, cfg, state, binning, days[0], days[3], lambda _: None)
    finally:
        window_module.read_rows = original
    _same(again, _direct(con, cfg, state, binning, days[0], days[3]))


def test_a_day_whose_labels_arrive_is_recomputed(store):
    """Day 7's labels arrive after the window was searched: its kept table no longer
    matches (labelled count and label hash), so the next search recomputes it."""
    con, cfg, state, binning, days = store
    first, last = days[2], days[8]
    before = window_search(con, cfg, state, binning, first, last, lambda _: None)
    build_ground_truth(con, cfg, days[6])
    build_ground_truth(con, cfg, days[7])
    after = window_search(con, cfg, state, binning, first, last, lambda _: None)
    assert after.labelled > before.labelled
    _same(after, _direct(con, cfg, state, binning, first, last))
    # labels changed in place (same count): the hash of the labels tells
    gt = f"ground_truth__{cfg.name}"
    (other,) = con.execute(f"SELECT max(label) FROM {gt} WHERE _day = ?", [days[7]]).fetchone()
    con.execute(
        f"UPDATE {gt} SET label = ? WHERE _day = ? AND label <> ? AND prediction_id IN "
        f"(SELECT prediction_id FROM {gt} WHERE _day = ? AND label <> ? LIMIT 20)",
        [other, days[7], other, days[7], other],
    )
    changed = window_search(con, cfg, state, binning, first, last, lambda _: None)
    _same(changed, _direct(con, cfg, state, binning, first, last))
    assert changed.mean_loss != after.mean_loss


def test_without_a_store_file_every_day_is_computed(store):
    """A store in memory keeps nothing and still gives the window's figures."""
    import duckdb

    con, cfg, state, binning, days = store
    mem = duckdb.connect()
    for table in (f"predictions__{cfg.name}", f"ground_truth__{cfg.name}"):
        mem.register("src", con.execute(f"SELECT * FROM {table}").df())
        mem.execute(f"CREATE TABLE {table} AS SELECT * FROM src")
        mem.unregister("src")
    assert derived_folder(mem) is None
    got = window_search(mem, cfg, state, binning, days[0], days[5], lambda _: None)
    _same(got, _direct(con, cfg, state, binning, days[0], days[5]))


def test_tables_of_days_two_windows_back_are_removed(store):
    """With a 2-day window, searching the last two days removes the kept tables of days
    more than 4 days before the last; later days' tables stay."""
    con, cfg, state, binning, days = store
    window_search(con, cfg, state, binning, days[0], days[9], lambda _: None)
    short = cfg.model_copy(update={"slices": cfg.slices.model_copy(update={"window_days": 2})})
    window_search(con, short, state, binning, days[8], days[9], lambda _: None)
    kept = {tuple(f.name.split("-")[2:5]) for f in derived_folder(con).glob("slices-*.parquet")}
    kept_days = {date(int(y), int(m), int(d)) for y, m, d in kept}
    assert kept_days == set(days[5:])


def test_a_day_table_read_once_is_kept_in_the_process_until_released(store, monkeypatch):
    """The window's days are read back from their files once per process: the next search
    takes them from memory (no file read, no rows read) with the same figures; released
    caches read the files again."""
    from monitoring_pipelines.store.derived import release_caches

    con, cfg, state, binning, days = store
    first, last = days[0], days[5]
    release_caches()
    want = _direct(con, cfg, state, binning, first, last)
    _same(window_search(con, cfg, state, binning, first, last, lambda _: None), want)

    reads = []
    original_read = window_module._read
    monkeypatch.setattr(window_module, "_read", lambda f: reads.append(f) or original_read(f))
    monkeypatch.setattr(window_module, "read_rows", lambda *_a, **_k: pytest.fail("rows read"))
    _same(window_search(con, cfg, state, binning, first, last, lambda _: None), want)
    assert reads == []  # all six days from memory
    release_caches()
    _same(window_search(con, cfg, state, binning, first, last, lambda _: None), want)
    assert len(reads) == 6  # from their files again
