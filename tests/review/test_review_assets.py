"""Outliers and the review queue through Dagster on a tiny home: both materialize, write their
families and tables, and the capacity check says by how much the queue overflowed."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.review.backlog import backlog_path
from monitoring_pipelines.review.store import audit_file
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect
from tests.conftest import TOY_CONFIG, toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(2)]
N = 200
CAPACITY = 40


def _check(instance, name):
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey(name[0]), name[1]), limit=1
    )
    return history[0].event.dagster_event.event_specific_data


def test_outliers_and_review_queue_materialize(home, toy):
    cfg = {
        **TOY_CONFIG,
        "actions": {"hard": 0.8, "soft": 0.5},
        "review": {"capacity_per_day": CAPACITY, "audit_budget_per_day": 20},
        "outliers": {"backend": "sklearn"},
    }
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(cfg))
    write_toy_reference(home)
    frames = [toy_frame(d, n=N, seed=i) for i, d in enumerate(DAYS)]
    frames[1].loc[:9, ["x1", "x2"]] = [3.0, 11.0]  # 10 rows 3 sd out in two features at once
    for d, f in zip(DAYS, frames, strict=True):
        write_day(home, d, f)
    labels = frames[0].assign(
        label=(np.random.default_rng(3).uniform(size=N) < frames[0]["score"]).astype(int),
        label_timestamp=pd.Timestamp(DAYS[1]),
    )[["prediction_id", "label", "label_timestamp"]]
    (home.home / "landing/toy/labels").mkdir(parents=True)
    labels.to_parquet(home.home / "landing/toy/labels/batch.parquet")

    instance = dg.DagsterInstance.ephemeral()
    assert run_days(home, ["toy"], DAYS[0], DAYS[-1], instance=instance).exit_code == 0

    con = connect(home.database, read_only=True)
    try:
        flagged = con.execute(
            "SELECT day, prediction_id FROM outlier_rows WHERE model = 'toy'"
        ).df()
        fam = con.execute(
            "SELECT day, family, metric, value FROM metrics WHERE model = 'toy' "
            "AND family IN ('outliers', 'review') AND subject = ''"
        ).df()
        audit = con.execute("SELECT * FROM review_audits WHERE day = ?", [DAYS[0]]).df()
    finally:
        con.close()
    value = {(pd.Timestamp(r.day).date(), r.family, r.metric): r.value for r in fam.itertuples()}
    far = {f"toy-{DAYS[1].isoformat()}-{i}" for i in range(10)}
    assert far <= set(flagged.prediction_id[pd.to_datetime(flagged.day).dt.date == DAYS[1]])
    inflow = []
    for d, f in zip(DAYS, frames, strict=True):
        soft = set(f.prediction_id[(f.score >= 0.5) & (f.score < 0.8)])
        out = set(flagged.prediction_id[pd.to_datetime(flagged.day).dt.date == d])
        inflow.append(len(soft | out))
        assert value[(d, "review", "queue_rows")] == len(soft | out)
        assert value[(d, "outliers", "outlier_rate")] == len(out) / N
    assert value[(DAYS[1], "review", "backlog")] == backlog_path(inflow, CAPACITY)[-1]
    assert value[(DAYS[0], "review", "audit_sample_size")] == len(audit)
    assert value[(DAYS[0], "review", "audit_labels_returned")] == len(audit)
    assert 0 <= value[(DAYS[0], "review", "recall_ht")] <= 1
    listed = pd.read_csv(audit_file(home.home, "toy", DAYS[0]))
    assert sorted(listed.prediction_id) == sorted(audit.prediction_id)

    capacity = _check(instance, (k.REVIEW_QUEUE, "check_review_capacity"))
    assert capacity.passed is False
    assert capacity.metadata["exceeded_by"].value == inflow[1] - CAPACITY
    rate = _check(instance, (k.OUTLIERS, "check_outlier_rate"))
    assert {"rate", "expected_rate", "limit"} <= set(rate.metadata)
