"""Sensor ticks and the schedule: late labels re-compute old days; new configs add models."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.ingestion.sensors import late_labels_sensor, model_config_sensor
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.defs.schedules import daily_monitoring_schedule
from monitoring_pipelines.runner import load_definitions, run_days
from monitoring_pipelines.store.connection import connect
from tests.conftest import TOY_CONFIG, toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(12)]


def _coverage(home, day):
    con = connect(home.database, read_only=True)
    try:
        return con.execute(
            "SELECT value FROM metrics WHERE family = 'labels' AND "
            "metric = 'label_coverage' AND day = ?",
            [day],
        ).fetchone()[0]
    finally:
        con.close()


def _ingest_only(home, days):
    from monitoring_pipelines.config import load_model_config
    from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
    from monitoring_pipelines.ingest.predictions import ingest_predictions

    cfg = load_model_config(home.config_dir / "toy.yaml")
    con = connect(home.database)
    try:
        for d in days:
            ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, d)
        sync_label_files(con, cfg, home.resolve(cfg.labels.path), home.quarantine_dir)
        for d in days:
            build_ground_truth(con, cfg, d)
    finally:
        con.close()


def test_labels_for_a_day_ten_days_back_recompute_that_day(home, toy):
    write_toy_reference(home)
    for i, d in enumerate(DAYS):
        write_day(home, d, toy_frame(d, n=80, seed=i))
    instance = dg.DagsterInstance.ephemeral()
    # the reference assets and the last day through Dagster; the other days only ingested
    # (the sensor and the refresh job read the store, whatever wrote it)
    _ingest_only(home, DAYS[:-1])
    assert run_days(home, ["toy"], DAYS[-1], DAYS[-1], instance=instance).exit_code == 0
    old = DAYS[-1] - timedelta(days=10)
    assert _coverage(home, old) == 0.0
    monitoring = MonitoringResource.from_paths(home)
    # first tick: the sensor learns what is there (nothing yet), launches nothing
    ctx = dg.build_sensor_context(instance=instance, resources={"monitoring": monitoring})
    first = late_labels_sensor(ctx)
    assert first.run_requests == []
    cursor = first.cursor
    # labels for 60 of that day's 80 predictions land late
    labels = home.home / "landing/toy/labels/arrived.parquet"
    labels.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "prediction_id": [f"toy-{old}-{i}" for i in range(60)],
            "label": 1,
            "label_timestamp": datetime(2026, 3, 12),
        }
    ).to_parquet(labels)
    t = json.loads(cursor).get("toy", 0) + 10
    os.utime(labels, (t, t))
    ctx = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"monitoring": monitoring}
    )
    result = late_labels_sensor(ctx)
    # the labelled day, and the days whose trailing performance window (7 days) contains it
    window = [old + timedelta(days=i) for i in range(7)]
    assert [r.partition_key for r in result.run_requests] == [
        model_day_key("toy", d) for d in window
    ]
    request = result.run_requests[0]
    assert "toy" in request.run_key and str(old) in request.run_key
    assert json.loads(result.cursor)["toy"] == t
    # the same tick again launches nothing new
    again = late_labels_sensor(
        dg.build_sensor_context(
            instance=instance, cursor=result.cursor, resources={"monitoring": monitoring}
        )
    )
    assert again.run_requests == []
    # run what the sensor asked for: the refresh job (ground truth and everything downstream)
    defs = load_definitions(home)
    job = defs.resolve_job_def(k.REFRESH_LABELS_JOB)
    before = instance.get_latest_materialization_event(dg.AssetKey(k.GROUND_TRUTH))
    run = job.execute_in_process(
        partition_key=request.partition_key, instance=instance, tags=request.tags
    )
    assert run.success
    assert _coverage(home, old) == 60 / 80
    later = result.run_requests[3]
    assert job.execute_in_process(
        partition_key=later.partition_key, instance=instance, tags=later.tags
    ).success
    con = connect(home.database, read_only=True)
    labelled = con.execute(
        "SELECT value FROM metrics WHERE family = 'performance_window' AND "
        "metric = 'labelled_rows' AND day = ?",
        [window[3]],
    ).fetchone()[0]
    con.close()
    assert labelled == 60  # the window ending 3 days later now holds the late labels
    selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert k.GROUND_TRUTH in selected and k.PREDICTIONS not in selected
    # every asset downstream of the labels (later: realized performance, ...) was recomputed
    mats = {e.asset_key.to_user_string() for e in run.get_asset_materialization_events()}
    assert mats == selected
    assert before is not None


def test_model_config_sensor_registers_new_models(home, toy):
    instance = dg.DagsterInstance.ephemeral()
    monitoring = MonitoringResource.from_paths(home)
    result = model_config_sensor(
        dg.build_sensor_context(instance=instance, resources={"monitoring": monitoring})
    )
    assert [r.partition_key for r in result.run_requests] == ["toy"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["toy"]
    instance.add_dynamic_partitions(k.MODEL_DIM, ["toy"])
    second = dict(TOY_CONFIG, name="toy_two")
    (home.config_dir / "toy_two.yaml").write_text(yaml.safe_dump(second))
    result = model_config_sensor(
        dg.build_sensor_context(instance=instance, resources={"monitoring": monitoring})
    )
    assert [r.partition_key for r in result.run_requests] == ["toy_two"]


def test_model_config_sensor_skips_on_an_invalid_file(home, toy):
    (home.config_dir / "broken.yaml").write_text("name: broken\ntask: binary\n")
    result = model_config_sensor(
        dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(),
            resources={"monitoring": MonitoringResource.from_paths(home)},
        )
    )
    assert isinstance(result, dg.SkipReason) and "broken.yaml" in result.skip_message


def test_schedule_requests_yesterday_for_every_model():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(k.MODEL_DIM, ["b", "a"])
        ctx = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 5, 10, 6)
        )
        requests = daily_monitoring_schedule(ctx)
    assert [r.partition_key for r in requests] == [
        model_day_key("a", "2026-05-09"),
        model_day_key("b", "2026-05-09"),
    ]
