"""Dagster's cost around the project's code, step by step and run by run.

``python -m bench.phases <home> [--days N] [--lean] [--dagster-home DIR] [--json OUT]`` runs the
last N days of a workload through Dagster in-process (as ``bench.tasks pipeline`` does) with
timers wrapped around the Dagster functions that do the bookkeeping, and prints per step,
in milliseconds per day:

- ``step``: the whole step (``core_dagster_event_sequence_for_step``);
- ``own``: the project's code in it (the ``compute_seconds`` the step recorded);
- ``versions``: reading the inputs' data versions for provenance
  (``DataVersionCache.fetch_external_input_asset_version_info``, once per asset step);
- ``events``: storing the step's events (``DagsterInstance.handle_new_event``): start,
  output, materialization, check evaluations, success;
- ``rest``: what remains (context set-up, input and output handling, check results).

and per run: creating it (``create_run_for_job``, which stores the planned materialization
and check events), and its wall time outside its steps. A profiler spreads its own cost over
all of these; these timers cost about a microsecond a call.

``--lean`` applies the benchmark's lean config (bench.run.LEAN) for the run and restores the
model's config after. ``--dagster-home`` runs on the instance configured there (the project's
pooled SQLite storage, as ``monitoring-pipelines run`` uses) instead of an ephemeral one.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

PHASES = ("step", "own", "versions", "events", "rest")
CREATE_RUN = "(create run)"  # what is timed while a run is created, kept apart from steps


class Timers:
    """Seconds by (step key or None, label); ``step`` is the step running now."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str | None, str], float] = defaultdict(float)
        self.step: str | None = None

    def add(self, label: str, seconds: float) -> None:
        self.seconds[(self.step, label)] += seconds

    def total(self, label: str, step: str | None = None) -> float:
        return sum(v for (s, lab), v in self.seconds.items() if lab == label and s == step)


def _timed(
    owner: Any, name: str, label: str, timers: Timers, as_step: str | None = None
) -> Callable[[], None]:
    """Wrap ``owner.name`` to add its seconds under ``label`` (and, with ``as_step``, count
    what is timed inside it under that name, as if it were a step); returns the undo."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        outer = timers.step
        if as_step:
            timers.step = as_step
        try:
            return original(*args, **kwargs)
        finally:
            timers.step = outer
            timers.add(label, time.perf_counter() - t0)

    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, original)


@contextmanager
def instrumented(timers: Timers) -> Iterator[None]:
    """Dagster's step, data-version, event and run-creation functions timed into
    ``timers`` while the block runs."""
    import dagster as dg
    from dagster._core.execution.context.data_version_cache import DataVersionCache
    from dagster._core.execution.plan import execute_plan

    core = execute_plan.core_dagster_event_sequence_for_step

    def step_sequence(step_context: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        timers.step = step_context.step.key
        t0 = time.perf_counter()
        try:
            yield from core(step_context, *args, **kwargs)
        finally:
            timers.add("step", time.perf_counter() - t0)
            timers.step = None

    undo = [
        _timed(DataVersionCache, "fetch_external_input_asset_version_info", "versions", timers),
        _timed(dg.DagsterInstance, "handle_new_event", "events", timers),
        _timed(dg.DagsterInstance, "create_run_for_job", "create_run", timers, CREATE_RUN),
        _timed(dg.JobDefinition, "execute_in_process", "run", timers),
    ]
    execute_plan.core_dagster_event_sequence_for_step = step_sequence
    try:
        yield
    finally:
        execute_plan.core_dagster_event_sequence_for_step = core
        for u in undo:
            u()


def own_seconds(instance: Any) -> dict[str, float]:
    """Per step key, the ``compute_seconds`` its materializations recorded, over every run of
    ``instance`` (see bench.tasks._compute_seconds)."""
    from bench.tasks import _compute_seconds

    run_ids = [rec.dagster_run.run_id for rec in instance.get_run_records()]
    return _compute_seconds(instance, run_ids, by_step=True)


def breakdown(timers: Timers, own: dict[str, float], days: int) -> dict[str, Any]:
    """Milliseconds per day: each step's phases (steps without own time, the reference
    job's, are left out) and the runs' costs outside the steps."""
    per_day = 1000 / days
    steps = {}
    keys = {s for s, _ in timers.seconds if s and s != CREATE_RUN}
    for key in sorted(keys, key=lambda s: -timers.total("step", s)):
        if key not in own:
            continue
        step, versions, events = (timers.total(x, key) for x in ("step", "versions", "events"))
        steps[key] = {
            "step": step * per_day,
            "own": own[key] * per_day,
            "versions": versions * per_day,
            "events": events * per_day,
            "rest": (step - own[key] - versions - events) * per_day,
        }
    run = timers.total("run")
    in_steps = sum(timers.total("step", s) for s in keys)
    runs = {
        "runs wall": run * per_day,
        "steps (all, reference job included)": in_steps * per_day,
        "create run": timers.total("create_run") * per_day,
        "  of which storing the planned events": timers.total("events", CREATE_RUN) * per_day,
        "other events outside steps": timers.total("events") * per_day,
    }
    runs["rest outside steps"] = (
        runs["runs wall"]
        - runs["steps (all, reference job included)"]
        - runs["create run"]
        - runs["other events outside steps"]
    )
    return {"days": days, "steps": steps, "runs": runs}


def table(result: dict[str, Any]) -> str:
    lines = [f"milliseconds per day, {result['days']} day(s)", ""]
    lines.append(f"{'step':32s}" + "".join(f"{p:>10s}" for p in PHASES))
    totals = dict.fromkeys(PHASES, 0.0)
    for key, row in result["steps"].items():
        lines.append(f"{key:32s}" + "".join(f"{row[p]:10.1f}" for p in PHASES))
        for p in PHASES:
            totals[p] += row[p]
    lines.append(f"{'daily steps':32s}" + "".join(f"{totals[p]:10.1f}" for p in PHASES))
    lines.append("")
    lines += [f"{name:40s}{ms:10.1f}" for name, ms in result["runs"].items()]
    return "\n".join(lines)


def measure(home: Path, days: int, dagster_home: Path | None = None) -> dict[str, Any]:
    """Run the workload's last ``days`` days instrumented; the :func:`breakdown`."""
    import dagster as dg

    from bench.workload import Workload
    from monitoring_pipelines.paths import ProjectPaths
    from monitoring_pipelines.runner import run_days

    w = Workload.load(home)
    paths = ProjectPaths.at(home)
    paths.database.unlink(missing_ok=True)
    first = w.last - timedelta(days=days - 1) if days else w.first
    instance = (
        dg.DagsterInstance.from_config(str(dagster_home))
        if dagster_home
        else dg.DagsterInstance.ephemeral()
    )
    timers = Timers()
    with instrumented(timers):
        summary = run_days(paths, [w.model], first, w.last, instance=instance)
    ran = sum(1 for o in summary.outcomes if o.day is not None)
    result = breakdown(timers, own_seconds(instance), ran)
    result["statuses"] = {s: summary.count(s) for s in ("ok", "blocked", "quarantined", "failed")}
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("home", type=Path, help="a workload's home (bench/out/w1-<rows>)")
    p.add_argument("--days", type=int, default=8, help="the last N days (0: all)")
    p.add_argument("--lean", action="store_true", help="the lean config (bench.run.LEAN)")
    p.add_argument("--dagster-home", type=Path, help="a DAGSTER_HOME with a dagster.yaml")
    p.add_argument("--json", type=Path, help="write the figures here too")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    from bench.run import model_yaml, set_lean
    from bench.workload import Workload

    before = set_lean(args.home, Workload.load(args.home).model) if args.lean else None
    try:
        result = measure(args.home, args.days, args.dagster_home)
    finally:
        if before is not None:
            model_yaml(args.home, Workload.load(args.home).model).write_text(before)
    print(table(result))
    print(f"\nstatuses {result['statuses']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
