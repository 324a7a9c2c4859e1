"""Estimated against realized performance on the demo, day by day.

The demo's own reference is the rows its model was trained on, so scores and errors there are
in-sample (optimistic); CBPE and DLE assume a held-out reference. These tests give the demo
one (fresh rows of the same period, scored by the demo's model) and hold the estimates to the
acceptance figures on days whose labels follow the reference's concept.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from monitoring_pipelines.performance.data import (
    day_rows,
    labelled_rows,
    reference_rows,
    served_count,
)
from monitoring_pipelines.performance.estimated import estimated_performance, estimation_error
from monitoring_pipelines.performance.estimator import fit_estimator
from monitoring_pipelines.performance.realized import realized_performance
from tests.performance.conftest import demo_store

LABEL_EVENTS = ("concept_drift", "fairness_gap", "degraded_segment", "broken_day")


def _days_by_kind(manifest, model, days):
    """(days without label-changing events, days of the concept-drift-like episode)."""
    affected: dict[str, set[date]] = {}
    for e in manifest["events"]:
        if e["model"] == model and e["kind"] in LABEL_EVENTS:
            first, last = date.fromisoformat(e["first_day"]), date.fromisoformat(e["last_day"])
            affected.setdefault(e["kind"], set()).update(d for d in days if first <= d <= last)
    drifted = set().union(*affected.values())
    return [d for d in days if d not in drifted], affected


def _compare(con, cfg, state, days):
    """Per day: (estimated, realized, estimation error) metric dicts, labelled days only."""
    out = {}
    for d in days:
        est = estimated_performance(cfg, state, day_rows(con, cfg, d))
        rows = labelled_rows(con, cfg, d, d)
        real = realized_performance(
            cfg, rows, served=served_count(con, cfg, d, d), bands=state.bands
        )
        if len(real) > 2:
            gaps = estimation_error(cfg, est, real)
            out[d] = tuple({m.metric: m for m in ms} for ms in (est, real, gaps))
    return out


@pytest.fixture(scope="module")
def churn(tmp_path_factory):
    # the demo's own reference: held out from training, scored by the demo's model
    con, cfgs, manifest, days = demo_store(tmp_path_factory.mktemp("churn"), ["churn"])
    cfg = cfgs["churn"]
    state = fit_estimator(cfg, reference_rows(con, cfg))
    yield cfg, manifest, days, _compare(con, cfg, state, days)
    con.close()


@pytest.fixture(scope="module")
def eta(tmp_path_factory):
    con, cfgs, manifest, days = demo_store(tmp_path_factory.mktemp("eta"), ["eta"])
    cfg = cfgs["eta"]
    state = fit_estimator(cfg, reference_rows(con, cfg))
    yield cfg, manifest, days, _compare(con, cfg, state, days)
    con.close()


def test_cbpe_tracks_realized_roc_auc_and_accuracy_on_quiet_days(churn):
    cfg, manifest, days, by_day = churn
    quiet, _ = _days_by_kind(manifest, "churn", days)
    quiet = [d for d in quiet if d in by_day]
    assert len(quiet) >= 10
    for metric in ("roc_auc", "accuracy"):
        gaps = [by_day[d][2][metric].value for d in quiet]
        covered = [by_day[d][2][metric].lower <= 0 <= by_day[d][2][metric].upper for d in quiet]
        assert abs(np.mean(gaps)) <= 0.01, (metric, np.mean(gaps))
        assert np.mean(covered) >= 0.9, (metric, np.mean(covered))


def test_cbpe_gap_is_reported_during_the_label_shift(churn):
    cfg, manifest, days, by_day = churn
    quiet, affected = _days_by_kind(manifest, "churn", days)
    episode = [d for d in affected["fairness_gap"] if d in by_day]
    assert episode
    quiet_gap = np.mean([by_day[d][2]["accuracy"].value for d in quiet if d in by_day])
    episode_gap = np.mean([by_day[d][2]["accuracy"].value for d in episode])
    assert episode_gap > quiet_gap + 0.015  # the estimate misses what the labels changed


def test_dle_mae_within_five_percent_on_days_without_concept_drift(eta):
    cfg, manifest, days, by_day = eta
    quiet, affected = _days_by_kind(manifest, "eta", days)
    quiet = [d for d in quiet if d in by_day]
    assert len(quiet) >= 10
    est = np.mean([by_day[d][0]["mae"].value for d in quiet])
    real = np.mean([by_day[d][1]["mae"].value for d in quiet])
    assert abs(est - real) / real <= 0.05, (est, real)
    # concept drift: realized MAE alerts, the estimate cannot see it, the gap says so
    drift = [d for d in affected["concept_drift"] if d in by_day]
    assert all(by_day[d][1]["mae"].status == "alert" for d in drift)
    assert all(by_day[d][2]["mae"].status == "warn" for d in drift)


def test_multiclass_cbpe_tracks_realized_accuracy(tmp_path):
    con, cfgs, manifest, days = demo_store(tmp_path, ["intent"])
    cfg = cfgs["intent"]
    state = fit_estimator(cfg, reference_rows(con, cfg))
    by_day = _compare(con, cfg, state, days)
    con.close()
    assert len(by_day) >= 30
    for metric in ("accuracy", "macro_roc_auc"):
        gaps = [g[metric] for _, _, g in by_day.values()]
        assert abs(np.mean([m.value for m in gaps])) <= 0.01, metric
        assert np.mean([m.lower <= 0 <= m.upper for m in gaps]) >= 0.9, metric
