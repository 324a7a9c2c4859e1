"""Parallel backfills against one DuckDB file: 15 days x 3 models materialized by five OS
processes at once. Two of them execute Dagster runs on the multiprocess executor (every step
a process of its own) through an instance configured as the project's dagster.yaml, the
``duckdb`` pool at limit 1; three call the same asset functions directly, outside any pool,
so they collide on DuckDB's single-writer file lock. Every partition succeeds, nothing fails
with "Could not set lock on file", every (model, day) is stored once, and no metric row is
duplicated."""

import json
import os
import random
import subprocess
import sys
import time
from datetime import date

import dagster as dg
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.store.connection import connect
from tests.conftest import REPO
from tests.reliability.homes import (
    WRITE_ASSETS,
    day_range,
    monitoring_env,
    project_instance_yaml,
    store_report,
    toy_models_home,
)

MODELS = ["alpha", "beta", "gamma"]
DAYS = day_range(date(2026, 2, 1), 15)
ROWS = 40
ASSETS = WRITE_ASSETS
DAGSTER_RUNS = [[f"{DAYS[7]}|alpha"], [f"{DAYS[8]}|beta"]]  # one run per process
DIRECT_PROCESSES = 3
LOCK_ERROR = "could not set lock"


def _child(out, mode, keys, env):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.backfill_child", str(out), ",".join(ASSETS)]
        + [mode, *keys],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_parallel_backfills_share_one_duckdb_file(tmp_path):
    t0 = time.perf_counter()
    paths = toy_models_home(tmp_path / "home", MODELS, DAYS, ROWS)
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(yaml.safe_dump(project_instance_yaml()))
    env = dict(os.environ, **monitoring_env(paths), DAGSTER_HOME=str(dagster_home))
    env["PYTHONPATH"] = str(REPO)
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    instance.add_dynamic_partitions(k.MODEL_DIM, MODELS)

    keys = [f"{d}|{m}" for d in DAYS for m in MODELS]
    via_dagster = [key for run in DAGSTER_RUNS for key in run]
    rest = [key for key in keys if key not in via_dagster]
    random.Random(0).shuffle(rest)  # each direct process gets every model, days out of order
    jobs = [("multiprocess", run) for run in DAGSTER_RUNS]
    jobs += [("direct", rest[i::DIRECT_PROCESSES]) for i in range(DIRECT_PROCESSES)]
    outs = [tmp_path / f"out-{i}.jsonl" for i in range(len(jobs))]
    children = [_child(out, mode, part, env) for out, (mode, part) in zip(outs, jobs, strict=True)]
    try:
        logs = [c.communicate(timeout=600)[0] for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                os.killpg(c.pid, 9)
    for c, log in zip(children, logs, strict=True):
        assert c.returncode == 0, log[-3000:]
    records = [json.loads(line) for out in outs for line in out.read_text().splitlines()]
    elapsed = time.perf_counter() - t0

    assert sorted(r["partition"] for r in records) == sorted(keys)  # each key done once
    failures = [f for r in records for f in r["failures"]]
    assert not [f for f in failures if LOCK_ERROR in f.lower()], failures[:1]
    assert not failures, failures[:2]
    assert all(r["success"] for r in records)
    runs = [r for r in records if r["mode"] == "multiprocess"]
    for r in runs:
        assert instance.get_run_by_id(r["run_id"]).status == dg.DagsterRunStatus.SUCCESS
        for rec in instance.all_logs(r["run_id"]):
            assert LOCK_ERROR not in (rec.user_message or "").lower(), rec.user_message
        engine = [rec.user_message for rec in instance.all_logs(r["run_id"])]
        assert any("multiprocess executor" in (m or "") for m in engine)
    for asset in ASSETS:  # the Dagster runs materialized their partitions once each
        mats = instance.fetch_materializations(dg.AssetKey(asset), limit=1000).records
        assert sorted(m.partition_key for m in mats) == sorted(via_dagster), asset
    instance.dispose()

    con = connect(paths.database, read_only=True)
    try:
        report = store_report(con, MODELS)
    finally:
        con.close()
    assert report["duplicate_metrics"] == []
    for m in MODELS:
        assert report[m]["days"] == [(d, ROWS, ROWS) for d in DAYS]
        assert report[m]["log"] == [(d, 1) for d in DAYS]
        fams = dict(report[m]["families"])
        assert sorted(fams) == DAYS
        lacking = {d: f for d, f in fams.items() if not {"ingestion", "labels", "health"} <= set(f)}
        assert not lacking, (m, lacking)
    lock_waits = sum(
        max(json.loads(line)["lock_waits"] for line in out.read_text().splitlines())
        for out, (mode, _) in zip(outs, jobs, strict=True)
        if mode == "direct"
    )
    print(
        f"parallel backfill: {len(keys)} model-days, {len(runs)} Dagster multiprocess runs + "
        f"{DIRECT_PROCESSES} direct processes, {lock_waits} lock waits absorbed, {elapsed:.1f} s"
    )
