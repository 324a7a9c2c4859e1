"""The asset graph run through Dagster on a throwaway home: idempotent, gated by quality,
open to new models by config alone."""

from __future__ import annotations

import os
from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect
from tests.conftest import toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]


@pytest.fixture
def toy_home(home, toy):
    write_toy_reference(home)
    for i, d in enumerate(DAYS):
        write_day(home, d, toy_frame(d, n=100, seed=i))
    return home


def _materialized(instance, asset: str, model: str, day: date) -> list[str]:
    """Run ids of the asset's materializations for the partition, oldest first."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(
            asset_key=dg.AssetKey(asset), asset_partitions=[model_day_key(model, day)]
        ),
        limit=100,
    )
    return [r.run_id for r in reversed(records.records)]


def test_days_run_end_to_end_and_rerun_is_idempotent(toy_home):
    instance = dg.DagsterInstance.ephemeral()
    summary = run_days(toy_home, ["toy"], DAYS[0], DAYS[-1], instance=instance)
    assert [o.status for o in summary.outcomes] == ["ok"] * 3, summary.outcomes
    con = connect(toy_home.database, read_only=True)
    families = {r[0] for r in con.execute("SELECT DISTINCT family FROM metrics").fetchall()}
    assert {"ingestion", "labels", "quality", "health", "profile"} <= families
    cols = [r[0] for r in con.execute("DESCRIBE metrics").fetchall()]
    assert cols[:10] == [
        "model",
        "day",
        "family",
        "metric",
        "subject",
        "value",
        "lower",
        "upper",
        "status",
        "computed_at",
    ]
    before = con.execute("SELECT count(*) FROM metrics").fetchone()[0]
    rows = con.execute("SELECT count(*) FROM predictions__toy").fetchone()[0]
    con.close()
    again = run_days(toy_home, ["toy"], DAYS[1], DAYS[1], instance=instance)
    assert again.exit_code == 0
    assert again.reference_skipped == ["toy"]  # nothing changed: no refit
    con = connect(toy_home.database, read_only=True)
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == before
    assert con.execute("SELECT count(*) FROM predictions__toy").fetchone()[0] == rows == 300
    qr = con.execute(
        "SELECT count(*), count(DISTINCT expectation_id) FROM quality_results WHERE day = ?",
        [DAYS[1]],
    ).fetchone()
    assert qr[0] == qr[1] > 10
    con.close()
    for asset in (k.PREDICTIONS, k.DATA_QUALITY, k.SERVICE_HEALTH, k.FEATURE_PROFILE):
        assert len(_materialized(instance, asset, "toy", DAYS[1])) == 2


def test_reference_refit_only_when_file_or_config_changes(toy_home):
    instance = dg.DagsterInstance.ephemeral()
    day = DAYS[:1] * 2

    def run(**kw):
        return run_days(toy_home, ["toy"], *day, instance=instance, **kw).reference_skipped

    assert run() == []  # nothing fitted yet
    fitted = _materialized_ref(instance)
    assert run() == ["toy"] and _materialized_ref(instance) == fitted
    assert run(refit_reference=True) == []
    ref = toy_home.home / "reference" / "toy.parquet"
    st = ref.stat()
    os.utime(ref, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the file was rewritten
    assert run() == []
    assert run() == ["toy"]
    cfg_file = toy_home.config_dir / "toy.yaml"
    cfg = yaml.safe_load(cfg_file.read_text())
    cfg.setdefault("drift", {})["p_value"] = 0.01  # a setting the reference fits depend on
    cfg_file.write_text(yaml.safe_dump(cfg))
    assert run() == []
    con = connect(toy_home.database, read_only=True)
    assert con.execute("SELECT count(*) FROM reference_state").fetchone()[0] == 1
    con.close()
    assert run() == ["toy"]


def _materialized_ref(instance) -> int:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(k.REFERENCE_DATA), asset_partitions=["toy"]),
        limit=100,
    )
    return len(records.records)


def test_critical_failure_blocks_that_days_downstream_only(toy_home):
    broken = toy_frame(DAYS[1], n=100, seed=1)
    broken["score"] = broken["score"] * 3  # scores far outside [0, 1]
    write_day(toy_home, DAYS[1], broken)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_days(toy_home, ["toy"], DAYS[0], DAYS[-1], instance=instance)
    assert [o.status for o in summary.outcomes] == ["ok", "blocked", "ok"]
    assert "check_critical_expectations" in summary.outcomes[1].message
    assert "(score)" in summary.outcomes[1].message
    assert summary.exit_code == 3
    assert _materialized(instance, k.FEATURE_PROFILE, "toy", DAYS[1]) == []
    assert len(_materialized(instance, k.FEATURE_PROFILE, "toy", DAYS[2])) == 1
    # service health is not gated by quality: a broken day is still a day served
    assert len(_materialized(instance, k.SERVICE_HEALTH, "toy", DAYS[1])) == 1
    con = connect(toy_home.database, read_only=True)
    failed = con.execute(
        'SELECT "column", severity FROM quality_results WHERE day = ? AND NOT success', [DAYS[1]]
    ).fetchall()
    assert ("score", "critical") in failed
    con.close()


def test_warning_failure_does_not_block(toy_home):
    small = toy_frame(DAYS[1], n=25, seed=1)  # a volume drop: row-count bound is a warning
    write_day(toy_home, DAYS[1], small)
    instance = dg.DagsterInstance.ephemeral()
    summary = run_days(toy_home, ["toy"], DAYS[1], DAYS[1], instance=instance)
    assert summary.outcomes[0].status == "ok"
    history = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey(k.DATA_QUALITY), "check_warning_expectations"), limit=5
    )
    evaluation = history[0].event.dagster_event.event_specific_data
    assert evaluation.passed is False and evaluation.severity == dg.AssetCheckSeverity.WARN
    con = connect(toy_home.database, read_only=True)
    warn = con.execute(
        "SELECT value, status FROM metrics WHERE family = 'quality' AND metric = 'warning_failures'"
    ).fetchone()
    assert warn[0] >= 1 and warn[1] == "warn"
    con.close()
    assert len(_materialized(instance, k.FEATURE_PROFILE, "toy", DAYS[1])) == 1


def test_quarantined_day_fails_with_a_clear_error_and_others_go_on(toy_home):
    bad = toy_frame(DAYS[1], n=100, seed=1).drop(columns=["prediction_id"])
    write_day(toy_home, DAYS[1], bad)
    summary = run_days(
        toy_home, ["toy"], DAYS[0], DAYS[-1], instance=dg.DagsterInstance.ephemeral()
    )
    assert [o.status for o in summary.outcomes] == ["ok", "quarantined", "ok"]
    msg = summary.outcomes[1].message
    assert f"{DAYS[1]}.parquet" in msg and "'prediction_id'" in msg and "required" in msg


def test_a_new_model_with_another_schema_runs_from_a_config_file_alone(home):
    """A regression model with CSV logs and its own column names: no code, just YAML."""
    cfg = {
        "name": "basket_value",
        "task": "regression",
        "logs": {"path": "drop/basket/{day}/*.csv"},
        "labels": {
            "path": "drop/basket_labels/*.jsonl",
            "prediction_id": "req",
            "label": "actual_value",
            "timestamp": None,
        },
        "reference": {"path": "drop/basket_reference.parquet"},
        "columns": {
            "prediction_id": "req",
            "timestamp": "event_time",
            "prediction": "predicted_value",
            "score": None,
            "model_version": None,
            "latency": "ms",
            "error": None,
        },
        "features": {"numeric": ["n_items", "avg price (eur)"], "categorical": ["store"]},
        "segments": ["store"],
    }
    (home.config_dir / "basket_value.yaml").write_text(yaml.safe_dump(cfg))
    rng = np.random.default_rng(0)

    def frame(day, n, prefix):
        t0 = pd.Timestamp(day)
        items = rng.integers(1, 20, n)
        price = rng.gamma(2, 5, n)
        return pd.DataFrame(
            {
                "req": [f"{prefix}{i}" for i in range(n)],
                "event_time": t0 + pd.to_timedelta(rng.integers(0, 86399, n), unit="s"),
                "predicted_value": items * price + rng.normal(0, 3, n),
                "ms": rng.gamma(3, 10, n),
                "n_items": items,
                "avg price (eur)": price,
                "store": rng.choice(["north", "south"], n),
            }
        )

    ref = pd.concat([frame(date(2026, 1, 1) + timedelta(days=i), 100, f"r{i}-") for i in range(20)])
    (home.home / "drop").mkdir()
    ref.to_parquet(home.home / "drop/basket_reference.parquet")
    for d in DAYS[:2]:
        (home.home / f"drop/basket/{d}").mkdir(parents=True)
        frame(d, 100, f"{d}-").to_csv(home.home / f"drop/basket/{d}/part-0.csv", index=False)
    (home.home / "drop/basket_labels").mkdir()
    pd.DataFrame({"req": [f"{DAYS[0]}-{i}" for i in range(30)], "actual_value": 10.0}).to_json(
        home.home / "drop/basket_labels/l1.jsonl", orient="records", lines=True
    )
    summary = run_days(
        home, ["basket_value"], DAYS[0], DAYS[1], instance=dg.DagsterInstance.ephemeral()
    )
    assert [o.status for o in summary.outcomes] == ["ok", "ok"], summary.outcomes
    assert (home.expectations_dir / "basket_value.json").exists()  # starter suite written
    con = connect(home.database, read_only=True)
    cov = con.execute(
        "SELECT value FROM metrics WHERE model = 'basket_value' AND "
        "metric = 'label_coverage' ORDER BY day"
    ).fetchall()
    assert [c[0] for c in cov] == [pytest.approx(0.3), 0.0]
    prof = con.execute(
        "SELECT value FROM metrics WHERE family = 'profile' AND metric = 'mean' "
        "AND subject = 'avg price (eur)' AND day = ?",
        [DAYS[0]],
    ).fetchone()
    assert prof[0] > 0
    con.close()
