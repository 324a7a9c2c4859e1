"""The fairness asset through Dagster: it writes the family, its metadata and its check."""

from __future__ import annotations

from datetime import date

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.fairness.assets import fairness
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.store.connection import connect
from tests.fairness.conftest import grouped_day, noisy_labels, store_day, toy_config

DAY = date(2026, 3, 2)


def _materialize(home, instance):
    return dg.materialize(
        [fairness],
        partition_key=model_day_key("toy", DAY),
        resources={"monitoring": MonitoringResource.from_paths(home)},
        instance=instance,
    )


def test_fairness_asset_writes_the_family_and_checks_the_gaps(home):
    cfg = toy_config(home, window_days=2)
    frame = grouped_day(DAY, {"a": 300, "b": 300, "tiny": 5})
    b = frame["group"] == "b"
    frame.loc[b, "prediction"] = (frame.loc[b, "score"] > 0.2).astype(int)  # b chosen far more
    con = connect(home.database)
    store_day(home, con, cfg, frame, DAY, noisy_labels(frame, 0.8))
    con.close()
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(k.MODEL_DIM, ["toy"])
    for _ in range(2):  # a re-run replaces the day's rows
        result = _materialize(home, instance)
        assert result.success
    con = connect(home.database, read_only=True)
    rows = con.execute(
        "SELECT metric, subject, value, status FROM metrics WHERE model = 'toy' AND day = ? "
        "AND family = 'fairness'",
        [DAY],
    ).fetchall()
    con.close()
    got = {(m, s): (v, st) for m, s, v, st in rows}
    assert len(got) == len(rows)  # no duplicates after the re-run
    rates = frame.groupby("group")["prediction"].mean()
    gap = rates["b"] - rates["a"]
    assert abs(got[("dp_difference", "group")][0] - gap) < 1e-12
    assert got[("dp_difference", "group")][1] == "alert"
    assert got[("insufficient", "group=tiny")] == (1.0, "ok")
    assert ("window_dp_difference", "group") in got
    mat = result.asset_materializations_for_node("fairness")[0]
    assert abs(mat.metadata["dp_difference_group"].value - gap) < 1e-12
    assert "group=tiny" in mat.metadata["groups"].value
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR
    meta = check.metadata
    assert meta["attribute"].value == "group"
    assert got[(meta["metric"].value, "group")][1] == "alert"  # the worst of the alerts
    assert meta["high_group"].value == "group=b" and meta["low_group"].value == "group=a"
    assert abs(meta["excess"].value - (meta["value"].value - meta["threshold"].value)) < 1e-12
