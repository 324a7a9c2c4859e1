"""Acceptance on the demo: eta's degraded segment (city=lyon, event lyon_roadworks) is the
worst slice on its onset day with labels, and among the top three without them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import load_model_configs
from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.performance.data import reference_rows
from monitoring_pipelines.performance.estimator import fit_estimator
from monitoring_pipelines.slices.baseline import reference_gaps
from monitoring_pipelines.slices.binning import fit_binning
from monitoring_pipelines.slices.loss import (
    ESTIMATED,
    REALIZED,
    DayRows,
    read_rows,
    realized_loss,
    row_loss,
)
from monitoring_pipelines.slices.search import search_slices
from monitoring_pipelines.slices.segments import segment_performance
from monitoring_pipelines.store.connection import connect


@pytest.fixture(scope="module")
def eta(tmp_path_factory):
    """The smallest demo holding the event (its quiet days, then 21 days to the end), with
    the onset day and the day before ingested and joined with their labels."""
    paths, manifest = demo_home(tmp_path_factory.mktemp("eta"), models=["eta"], days=32)
    cfg = load_model_configs(paths.config_dir)["eta"]
    event = next(e for e in manifest["events"] if e["kind"] == "degraded_segment")
    assert event["model"] == "eta" and event["segment"] == {"column": "city", "value": "lyon"}
    onset = date.fromisoformat(event["first_day"])
    con = connect(paths.database)
    load_reference(con, cfg, paths.resolve(cfg.reference.path))
    for day in (onset - timedelta(days=1), onset):
        ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, day)
    sync_label_files(con, cfg, paths.resolve(cfg.labels.path), paths.quarantine_dir)
    for day in (onset - timedelta(days=1), onset):
        build_ground_truth(con, cfg, day)
    state = fit_estimator(cfg, reference_rows(con, cfg))
    yield con, cfg, state, fit_binning(con, cfg), onset
    con.close()


def test_lyon_is_the_worst_slice_on_its_onset_day_with_labels(eta):
    con, cfg, state, binning, onset = eta
    data = read_rows(con, cfg, onset, onset)
    loss = row_loss(cfg, state, data)
    assert loss.source == REALIZED
    usual = reference_gaps(con, cfg, state, binning, REALIZED)
    result = search_slices(con, binning, loss, cfg.slices, usual)
    top = result.slices[0]
    assert top.slice_id == "city=lyon" and top.significant and top.status == "alert"
    print(f"labels: top {top.slice_id} gap {top.gap:+.2f} min, p_adj {top.p_adjusted:.2g}")


def test_lyon_is_in_the_top_three_without_labels(eta):
    con, cfg, state, binning, onset = eta
    data = read_rows(con, cfg, onset, onset)
    unlabelled = DayRows(data.rows, np.zeros(len(data), bool), data.y[:0])
    loss = row_loss(cfg, state, unlabelled)
    assert loss.source == ESTIMATED
    result = search_slices(con, binning, loss, cfg.slices)
    top3 = [x.slice_id for x in result.slices[:3]]
    print("estimated: top three", top3)
    assert "city=lyon" in top3


def test_lyon_segment_alerts_on_onset_not_before(eta):
    con, cfg, state, binning, onset = eta
    status = {}
    for day in (onset - timedelta(days=1), onset):
        data = read_rows(con, cfg, day, day)
        loss = row_loss(cfg, state, data)
        usual = reference_gaps(con, cfg, state, binning, loss.source)
        got = segment_performance(con, cfg, state, binning, data, loss, usual)
        by = {(m.metric, m.subject): m for m in got.metrics}
        status[day] = by[("gap", "city=lyon")].status
        if day == onset:
            assert got.worst.segment == "city=lyon"
            assert by[("mae", "city=lyon")].value > 2 * by[("mae", "city=paris")].value
            assert ("estimated_mae", "city=lyon") in by
    assert status == {onset - timedelta(days=1): "ok", onset: "alert"}


def test_reference_gaps_equal_a_pandas_groupby_and_calm_the_usual_hard_slices(eta):
    con, cfg, state, binning, onset = eta
    usual = reference_gaps(con, cfg, state, binning, REALIZED)
    ref = reference_rows(con, cfg)
    err = pd.Series(realized_loss(cfg, ref)).groupby(ref.frame["city"].to_numpy()).mean()
    whole = realized_loss(cfg, ref).mean()
    for city, mean in err.items():
        assert usual[f"city={city}"] == pytest.approx(mean / whole - 1)
    # the day before the road works, without labels: long distances are always harder for
    # the model (the top estimated slice), which is usual, so nothing is flagged
    day = onset - timedelta(days=1)
    data = read_rows(con, cfg, day, day)
    loss = row_loss(cfg, state, DayRows(data.rows, np.zeros(len(data), bool), data.y[:0]))
    baseline = reference_gaps(con, cfg, state, binning, ESTIMATED)
    plain = search_slices(con, binning, loss, cfg.slices)
    judged = search_slices(con, binning, loss, cfg.slices, baseline)
    top = judged.slices[0]
    print("quiet day, estimated:", top.slice_id, top.relative_gap, top.reference_relative_gap)
    assert plain.slices[0].slice_id == top.slice_id
    assert top.reference_relative_gap > 0.15  # hard on the reference already
    assert top.relative_gap - top.reference_relative_gap < cfg.slices.warn_gap
    assert {x.status for x in judged.slices} == {"ok"}
