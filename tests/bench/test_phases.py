"""bench.phases: Dagster's cost around each step, timed by wrappers, checked against the
event log's own step durations and the steps' recorded own time."""

from __future__ import annotations

from collections import defaultdict

import dagster as dg
import pytest

from bench import phases
from bench.tasks import _compute_seconds, _step_seconds
from bench.workload import Workload, generate


@pytest.fixture(scope="module")
def workload(tmp_path_factory) -> Workload:
    home = tmp_path_factory.mktemp("w1")
    return generate(home, analysis_rows=3000, reference_rows=3000, days=3, drift_days=1)


def test_phases_add_up_to_the_steps_the_event_log_records(workload: Workload) -> None:
    from dagster._core.execution.plan import execute_plan

    from monitoring_pipelines.paths import ProjectPaths
    from monitoring_pipelines.runner import run_days

    original = execute_plan.core_dagster_event_sequence_for_step
    instance = dg.DagsterInstance.ephemeral()
    timers = phases.Timers()
    with phases.instrumented(timers):
        summary = run_days(
            ProjectPaths.at(workload.home), [workload.model], workload.first, workload.last,
            instance=instance,
        )  # fmt: skip
    assert execute_plan.core_dagster_event_sequence_for_step is original  # undone
    assert summary.count("ok") == 3

    logged: dict[str, float] = defaultdict(float)
    for rec in instance.get_run_records():
        for step, seconds in _step_seconds(instance, rec.dagster_run.run_id).items():
            logged[step] += seconds
    own = phases.own_seconds(instance)
    run_ids = [r.dagster_run.run_id for r in instance.get_run_records()]
    by_asset = _compute_seconds(instance, run_ids)
    assert own["feature_drift"] == pytest.approx(by_asset["feature_drift"])

    result = phases.breakdown(timers, own, days=3)
    steps = result["steps"]
    assert {"predictions", "feature_drift", "realized_performance", "daily_report"} <= set(steps)
    for key, row in steps.items():
        # the wrapper spans the event log's STEP_START..STEP_SUCCESS and a little more
        timed = row["step"] * 3 / 1000
        assert logged[key] <= timed + 1e-3, key
        assert timed - logged[key] < 0.05 + 0.2 * logged[key], key
        assert row["own"] < row["step"], key
        assert row["events"] > 0, key  # at least its start, output and success
        total = row["own"] + row["versions"] + row["events"] + row["rest"]
        assert total == pytest.approx(row["step"]), key
    # data versions are read for the inputs: an asset with more inputs reads more
    assert steps["model_health"]["versions"] > steps["predictions"]["versions"]
    runs = result["runs"]
    assert runs["create run"] > runs["  of which storing the planned events"] > 0
    assert runs["runs wall"] > runs["steps (all, reference job included)"] > 0
    text = phases.table(result)
    assert "feature_drift" in text and "daily steps" in text


def test_run_breakdown_adds_up_the_runs_of_each_job(workload: Workload) -> None:
    """bench.tasks.run_breakdown: runs per job, their wall and step seconds, and the time
    between them, against the run records themselves."""
    from bench.run import runs_note
    from bench.tasks import run_breakdown
    from monitoring_pipelines.paths import ProjectPaths
    from monitoring_pipelines.runner import run_days

    instance = dg.DagsterInstance.ephemeral()
    run_days(
        ProjectPaths.at(workload.home), [workload.model], workload.first, workload.last,
        instance=instance, refit_reference=True,
    )  # fmt: skip
    got = run_breakdown(instance)
    records = instance.get_run_records()
    jobs = got["by_job"]
    assert {name: j["runs"] for name, j in jobs.items()} == {
        "load_reference_job": 1,
        "monitor_job": 3,
    }
    walls = sum(r.end_time - r.start_time for r in records)
    assert sum(j["wall"] for j in jobs.values()) == pytest.approx(walls)
    for j in jobs.values():
        assert 0 < j["steps"] <= j["wall"]
    first = min(r.start_time for r in records)
    last = max(r.end_time for r in records)
    assert got["span"] == pytest.approx(last - first)
    assert got["between_runs"] == pytest.approx(got["span"] - walls, abs=1e-6)
    note = runs_note({"process_wall": got["span"] + 2.0, "runs": got})
    assert "3 monitor_job run(s)" in note and "outside the runs 2.0 s" in note
