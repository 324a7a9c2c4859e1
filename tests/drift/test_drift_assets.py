"""The drift assets through Dagster on the demo: the reference profile, then days whose
``drift`` family, metadata and checks follow the injected drift."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pytest

from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.demo.suites import write_demo_suites
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    paths, manifest = demo_home(tmp_path_factory.mktemp("demo"), models=["churn"])
    write_demo_suites(paths, manifest)
    return paths, manifest


def test_drift_assets_write_the_drift_family(demo):
    paths, manifest = demo
    event = next(
        e for e in manifest["events"] if e["kind"] == "covariate_drift" and e["model"] == "churn"
    )
    onset = date.fromisoformat(event["first_day"])
    instance = dg.DagsterInstance.ephemeral()
    summary = run_days(paths, ["churn"], onset - timedelta(days=1), onset, instance=instance)
    assert [o.status for o in summary.outcomes] == ["ok", "ok"], summary.outcomes
    con = connect(paths.database, read_only=True)
    (profiles,) = con.execute(
        "SELECT count(*) FROM drift_reference_profile WHERE model = 'churn'"
    ).fetchone()
    assert profiles == 1
    rows = dict(
        con.execute(
            "SELECT day, count(*) FROM metrics WHERE family = 'drift' GROUP BY day"
        ).fetchall()
    )
    assert set(rows) == {onset - timedelta(days=1), onset}
    alerts = {
        r[0]
        for r in con.execute(
            "SELECT subject FROM metrics WHERE family = 'drift' AND day = ? "
            "AND metric = 'drift_effect' AND status = 'alert' AND subject NOT LIKE '%:%'",
            [onset],
        ).fetchall()
    }
    assert alerts == set(event["features"])
    before = con.execute(
        "SELECT status FROM metrics WHERE family = 'drift' AND day = ? AND "
        "metric = 'drifted_share' AND subject = ''",
        [onset - timedelta(days=1)],
    ).fetchone()
    assert before == ("ok",)
    con.close()
    mat = instance.get_latest_materialization_event(dg.AssetKey("feature_drift"))
    meta = mat.asset_materialization.metadata
    assert meta["drifted_share"].value == pytest.approx(2 / 9)
    assert "monthly_charges" in meta["most_drifted"].value
    assert meta["domain_auroc"].value > 0.65
    # the asset's own computation is recorded beside the figures, inside its step's time
    own = meta["compute_seconds"].value
    record = instance.get_records_for_run(
        mat.run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    ).records
    span = {
        r.event_log_entry.dagster_event.event_type: r.event_log_entry.timestamp
        for r in record
        if r.event_log_entry.dagster_event.step_key == "feature_drift"
    }
    step = span[dg.DagsterEventType.STEP_SUCCESS] - span[dg.DagsterEventType.STEP_START]
    assert 0 < own < step
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("feature_drift"), "check_feature_drift")]
    )
    assert checks  # the check results pass through the timing unchanged
