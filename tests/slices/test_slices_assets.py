"""Segment performance and worst slices through Dagster on a tiny home."""

from __future__ import annotations

import json
from datetime import date, timedelta

import dagster as dg
import numpy as np
import pytest
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.defs.slices.assets import segment_performance_asset, worst_slices
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.performance.data import reference_rows
from monitoring_pipelines.performance.estimator import fit_estimator, save_estimator
from monitoring_pipelines.store.connection import connect, transaction
from monitoring_pipelines.store.derived import release_caches
from tests.conftest import TOY_CONFIG, toy_frame, write_day, write_toy_reference

DAY = date(2026, 3, 1)
CONFIG = {**TOY_CONFIG, "slices": {"min_support": 20, "window_days": 2, "alert_gap": 0.3}}


def _family(home, family):
    con = connect(home.database, read_only=True)
    try:
        rows = con.execute(
            "SELECT metric, subject, value, status FROM metrics WHERE model = 'toy' AND day = ? "
            "AND family = ?",
            [DAY, family],
        ).fetchall()
    finally:
        con.close()
    return {(m, s): (v, st) for m, s, v, st in rows}


def _store(home) -> MonitoringResource:
    """Two days of toy logs ingested, the reference loaded and the estimator fitted (the
    upstream assets' work, done directly). Red rows get uncertain scores (near 0.5), where
    CBPE expects many errors."""
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(CONFIG))
    cfg = ModelConfig.model_validate(CONFIG)
    write_toy_reference(home)
    monitoring = MonitoringResource.from_paths(home)
    with monitoring.connect() as con:
        load_reference(con, cfg, home.home / "reference" / "toy.parquet")
        for i, d in enumerate((DAY - timedelta(days=1), DAY)):
            frame = toy_frame(d, n=300, seed=i)
            red = (frame["color"] == "red").to_numpy()
            rng = np.random.default_rng(i)
            frame.loc[red, "score"] = 0.45 + 0.1 * rng.uniform(size=red.sum())
            frame["prediction"] = (frame["score"] > 0.5).astype(int)
            write_day(home, d, frame)
            ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, d)
        with transaction(con):
            save_estimator(con, fit_estimator(cfg, reference_rows(con, cfg)))
    return monitoring


def test_both_assets_materialize_and_write_their_families(home):
    monitoring = _store(home)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(k.MODEL_DIM, ["toy"])
    result = dg.materialize(
        [segment_performance_asset, worst_slices],
        partition_key=model_day_key("toy", DAY),
        resources={"monitoring": monitoring},
        instance=instance,
    )
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {k.SEGMENT_PERFORMANCE, k.WORST_SLICES}

    segment = _family(home, "segment")
    assert segment[("loss_realized", "")][0] == 0.0  # no labels: CBPE's expected error
    assert {s for _, s in segment} >= {"color=red", "color=green", "color=blue"}
    red = (toy_frame(DAY, n=300, seed=1)["color"] == "red").sum()
    assert segment[("rows", "color=red")][0] == red
    assert segment[("gap", "color=red")][1] == "alert"

    slices = _family(home, "slices")
    ranked = {s: v for (m, s), (v, _) in slices.items() if m == "rank"}
    assert sorted(ranked.values()) == list(range(1, len(ranked) + 1))
    top = next(s for s, r in ranked.items() if r == 1)
    assert top == "color=red" and slices[("gap", top)][1] == "alert"
    assert slices[("significant_slices", "")][0] >= 1
    assert _family(home, "slices_window")[("rows", "")][0] == 600  # both days

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    seg = checks["check_segment_performance"]
    assert not seg.passed and seg.metadata["segment"].value == "color=red"
    assert seg.metadata["threshold_excess_gap"].value == 0.3  # the configured alert_gap
    assert seg.metadata["excess_relative_gap"].value >= 0.3
    assert abs(seg.metadata["reference_relative_gap"].value) < 0.1  # red is usual on reference
    assert not checks["check_worst_slices"].passed
    meta = result.asset_materializations_for_node(worst_slices.op.name)[0].metadata
    assert "color=red" in meta["top_slices"].value and meta["loss_source"].value == "estimated"

    # a re-run replaces the day's rows instead of adding to them
    dg.materialize(
        [worst_slices],
        partition_key=model_day_key("toy", DAY),
        resources={"monitoring": monitoring},
        instance=instance,
    )
    assert _family(home, "slices") == slices


def test_reference_baseline_is_cached_per_loaded_reference(home, monkeypatch):
    from monitoring_pipelines.slices import baseline
    from monitoring_pipelines.slices.binning import fit_binning
    from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED

    cfg = ModelConfig.model_validate(CONFIG)
    path = write_toy_reference(home)
    calls = []
    compute = baseline.compute_baselines

    def counted(*a):
        calls.append(tuple(a[-1]))
        return compute(*a)

    monkeypatch.setattr(baseline, "compute_baselines", counted)
    con = connect(home.database)
    try:
        load_reference(con, cfg, path)
        state = fit_estimator(cfg, reference_rows(con, cfg))
        with transaction(con):
            save_estimator(con, state)
        binning = fit_binning(con, cfg)
        first = baseline.reference_gaps(con, cfg, state, binning, REALIZED)
        assert first == compute(con, cfg, state, binning, [REALIZED])[REALIZED]
        assert len(first) > 10
        assert baseline.reference_gaps(con, cfg, state, binning, REALIZED) == first
        assert calls == [(REALIZED,)]  # the second call read the stored baseline
        parsed, loads = [], json.loads
        release_caches()  # as in a new process: the stored JSON is parsed once
        with monkeypatch.context() as m:
            m.setattr(baseline.json, "loads", lambda t: parsed.append(t) or loads(t))
            for _ in range(2):
                assert baseline.reference_gaps(con, cfg, state, binning, REALIZED) == first
        assert calls == [(REALIZED,)]
        assert sum(loads(t) == first for t in parsed) == 1  # (the config's JSON is not one)
        baseline.reference_gaps(con, cfg, state, binning, ESTIMATED)
        baseline.reference_gaps(con, cfg, state, binning, ESTIMATED)
        assert calls == [(REALIZED,), (ESTIMATED,)]
        with transaction(con):  # a refitted estimator changes the estimated baseline only
            save_estimator(con, state)
        both = baseline.baselines(con, cfg, state, binning, (REALIZED, ESTIMATED))
        assert calls[-1] == (ESTIMATED,) and len(calls) == 3
        assert both[REALIZED] == first
        load_reference(con, cfg, path)  # a reloaded reference invalidates both: one pass
        assert baseline.baselines(con, cfg, state, binning, (REALIZED, ESTIMATED)) == both
        assert calls[-1] == (REALIZED, ESTIMATED) and len(calls) == 4
        other = cfg.model_copy(update={"slices": cfg.slices.model_copy(update={"max_features": 1})})
        baseline.reference_gaps(con, other, state, binning, REALIZED)
        assert len(calls) == 5  # so does a changed config
    finally:
        con.close()


def test_both_baselines_in_one_pass_equal_each_alone(home, monkeypatch):
    """Both sources from one read of the reference (each chunk read once) are the figures
    of each source computed alone, and a source the reference cannot give comes back empty
    beside the other."""
    from monitoring_pipelines.performance import data
    from monitoring_pipelines.slices import baseline
    from monitoring_pipelines.slices.binning import fit_binning
    from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED

    cfg = ModelConfig.model_validate(CONFIG)
    con = connect(home.database)
    try:
        load_reference(con, cfg, write_toy_reference(home))
        state = fit_estimator(cfg, reference_rows(con, cfg))
        binning = fit_binning(con, cfg)
        alone = {
            s: baseline.compute_reference_gaps(con, cfg, state, binning, s)
            for s in (REALIZED, ESTIMATED)
        }
        reads = []
        read = baseline.reference_rows

        def counted(*a, **kw):
            reads.append(kw.get("rowids"))
            return read(*a, **kw)

        monkeypatch.setattr(baseline, "reference_rows", counted)
        monkeypatch.setattr(baseline, "CHUNK_ROWS", 701)
        both = baseline.compute_baselines(con, cfg, state, binning, (REALIZED, ESTIMATED))
        total = data.reference_rowid_end(con, cfg)
        assert len(reads) == len(set(reads)) == -(-total // 701)  # each chunk read once
        for source in (REALIZED, ESTIMATED):
            assert both[source].keys() == alone[source].keys() and len(alone[source]) > 10
            for key, gap in alone[source].items():
                assert both[source][key] == pytest.approx(gap, abs=1e-12), key
        no_estimator = baseline.compute_baselines(con, cfg, None, binning, (REALIZED, ESTIMATED))
        assert no_estimator[ESTIMATED] == {}
        assert no_estimator[REALIZED].keys() == both[REALIZED].keys()
    finally:
        con.close()


def test_reference_baseline_in_chunks_equals_one_pass(home, monkeypatch):
    from monitoring_pipelines.slices import baseline
    from monitoring_pipelines.slices.binning import fit_binning
    from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED

    cfg = ModelConfig.model_validate(CONFIG)
    con = connect(home.database)
    try:
        load_reference(con, cfg, write_toy_reference(home))
        state = fit_estimator(cfg, reference_rows(con, cfg))
        binning = fit_binning(con, cfg)
        for source in (REALIZED, ESTIMATED):
            whole = baseline.compute_reference_gaps(con, cfg, state, binning, source)
            monkeypatch.setattr(baseline, "CHUNK_ROWS", 701)  # 5 uneven chunks
            chunked = baseline.compute_reference_gaps(con, cfg, state, binning, source)
            monkeypatch.undo()
            assert whole.keys() == chunked.keys() and len(whole) > 10
            for key, gap in whole.items():
                assert chunked[key] == pytest.approx(gap, abs=1e-12), key
    finally:
        con.close()


def test_slice_baselines_asset_fills_the_cache_the_daily_assets_read(home, monkeypatch):
    """The reference job computes both baselines; a day's segment and slice searches then
    only look them up (the computation is made to fail if they try)."""
    from monitoring_pipelines.defs.slices.assets import slice_baselines
    from monitoring_pipelines.slices import baseline
    from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED

    monitoring = _store(home)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(k.MODEL_DIM, ["toy"])
    result = dg.materialize(
        [slice_baselines],
        partition_key="toy",
        resources={"monitoring": monitoring},
        instance=instance,
    )
    meta = result.asset_materializations_for_node(slice_baselines.op.name)[0].metadata
    assert meta["realized_groups"].value > 10 and meta["estimated_groups"].value > 10
    con = connect(home.database, read_only=True)
    try:
        stored = dict(
            con.execute("SELECT source, gaps FROM slice_baselines WHERE model = 'toy'").fetchall()
        )
    finally:
        con.close()
    assert set(stored) == {REALIZED, ESTIMATED}
    for source in (REALIZED, ESTIMATED):
        gaps = json.loads(stored[source])
        assert len(gaps) == meta[f"{source}_groups"].value
        assert max(gaps.values()) == meta[f"{source}_hardest_relative_gap"].value

    def fail(*a):
        raise AssertionError("the baseline was recomputed in a daily asset")

    monkeypatch.setattr(baseline, "compute_baselines", fail)
    result = dg.materialize(
        [segment_performance_asset, worst_slices],
        partition_key=model_day_key("toy", DAY),
        resources={"monitoring": monitoring},
        instance=instance,
    )
    assert result.success


def test_binning_is_kept_per_loaded_reference(home, monkeypatch):
    from monitoring_pipelines.slices import binning as module

    cfg = ModelConfig.model_validate(CONFIG)
    path = write_toy_reference(home)
    fits = []
    fit = module._fit_binning
    monkeypatch.setattr(module, "_fit_binning", lambda con, c: fits.append(c.name) or fit(con, c))
    con = connect(home.database)
    try:
        load_reference(con, cfg, path)
        first = module.fit_binning(con, cfg)
        assert module.fit_binning(con, cfg) is first and len(fits) == 1
        assert first == fit(con, cfg) and first.edges  # the cached fit is the fit
        other = cfg.model_copy(update={"slices": cfg.slices.model_copy(update={"numeric_bins": 3})})
        assert module.fit_binning(con, other) != first and len(fits) == 2
        load_reference(con, cfg, path)  # a reload is a new reference version
        third = module.fit_binning(con, cfg)
        assert third == first and len(fits) == 3
        # a new process (empty cache) reads the fit back from beside the database
        module._FITTED.clear()
        again = module.fit_binning(con, cfg)
        assert again == third and again is not third and len(fits) == 3
        # one file per model: the latest fit replaced the earlier ones
        assert len(list(home.database.parent.glob("*.derived/binning-*.json"))) == 1
    finally:
        con.close()
