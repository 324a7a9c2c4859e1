"""What the runner measures, each in its own process: ``python -m bench.tasks <task> <home>
<out.json> [options]``. Each task writes its figures (and its own peak RSS) as JSON."""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def task_floor(home: Path, args: argparse.Namespace) -> dict:
    import pandas as pd

    from bench.floor import run_floor
    from bench.workload import Workload

    w = Workload.load(home)
    r = run_floor(str(w.reference_file), w.log_glob, w.labels_glob, w.numeric, w.categorical)
    drifted = r.drift[r.drift["day"] >= pd.Timestamp(w.drift_from)]
    top = drifted.groupby("feature")["psi"].mean().sort_values(ascending=False).head(4)
    return {
        "seconds": r.seconds,
        "drift_rows": len(r.drift),
        "confusion_days": len(r.confusion),
        "top_psi_in_drift_window": {k: round(float(v), 4) for k, v in top.items()},
    }


def _step_groups(defs) -> dict[str, tuple[str, str]]:
    """op name -> (asset key, group) for every executable asset of the definitions."""
    graph = defs.get_repository_def().asset_graph
    out = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.assets_def.is_executable:
            out[node.assets_def.node_def.name] = (key.to_user_string(), node.group_name)
    return out


class RssTimeline:
    """This process's resident memory every 0.1 s, to tell which step holds the peak."""

    def __init__(self) -> None:
        import threading

        self.samples: list[tuple[float, float]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss_mb() -> float:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._done.wait(0.1):
            self.samples.append((time.time(), self.rss_mb()))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _step_spans(instance, run_id: str) -> list[tuple[str, float, float]]:
    """(step, start, end) wall-clock spans of one run's steps."""
    import dagster as dg

    types = {
        dg.DagsterEventType.STEP_START,
        dg.DagsterEventType.STEP_SUCCESS,
        dg.DagsterEventType.STEP_FAILURE,
    }
    start: dict[str, float] = {}
    out = []
    for rec in instance.all_logs(run_id, of_type=types):
        ev = rec.dagster_event
        if ev is None or ev.step_key is None:
            continue
        if ev.event_type == dg.DagsterEventType.STEP_START:
            start[ev.step_key] = rec.timestamp
        elif ev.step_key in start:
            out.append((ev.step_key, start[ev.step_key], rec.timestamp))
    return out


def _step_seconds(instance, run_id: str) -> dict[str, float]:
    """Seconds from STEP_START to STEP_SUCCESS/FAILURE of each step of one run."""
    return {step: end - start for step, start, end in _step_spans(instance, run_id)}


def _compute_seconds(instance, run_ids: list[str], by_step: bool = False) -> dict[str, float]:
    """Per asset (or, ``by_step``, per step key), the sum of ``compute_seconds`` its
    materializations recorded: the time in the project's own code, without Dagster's
    bookkeeping around each step (the day × model assets record it, see
    :func:`monitoring_pipelines.defs.common.timed`)."""
    import dagster as dg

    from monitoring_pipelines.defs.common import COMPUTE_SECONDS

    out: dict[str, float] = defaultdict(float)
    for run_id in run_ids:
        for rec in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            mat = rec.dagster_event.event_specific_data.materialization
            value = mat.metadata.get(COMPUTE_SECONDS)
            key = rec.step_key if by_step else mat.asset_key.to_user_string()
            if value is not None and key:
                out[key] += float(value.value)
    return dict(out)


def task_pipeline(home: Path, args: argparse.Namespace) -> dict:
    """The project's own computation: every daily asset for the days, through Dagster
    in-process on an ephemeral instance (in-memory event log), per step from the event log."""
    warnings.filterwarnings("ignore")
    t_import = time.perf_counter()
    import dagster as dg

    from bench.workload import Workload
    from monitoring_pipelines.paths import ProjectPaths
    from monitoring_pipelines.runner import load_definitions, run_days

    w = Workload.load(home)
    paths = ProjectPaths.at(home)
    paths.database.unlink(missing_ok=True)
    last = w.last
    first = w.first if not args.days else last - timedelta(days=args.days - 1)
    import_s = time.perf_counter() - t_import
    instance = dg.DagsterInstance.ephemeral()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    timeline = RssTimeline()
    t0 = time.perf_counter()
    summary = run_days(paths, [w.model], first, last, instance=instance)
    wall = time.perf_counter() - t0
    timeline.stop()
    if profiler is not None:
        profiler.stop()
        if args.profile.endswith(".pyisession"):  # the whole session, for scripts to read
            profiler.last_session.save(args.profile)
        else:
            Path(args.profile).write_text(profiler.output_text(show_all=False, color=False))
    groups = _step_groups(load_definitions(paths))
    by_group: dict[str, float] = defaultdict(float)
    by_asset: dict[str, float] = defaultdict(float)
    runs = instance.get_run_records()
    for rec in runs:
        for step, sec in _step_seconds(instance, rec.dagster_run.run_id).items():
            key, group = groups.get(step, (step, "?"))
            by_group[group] += sec
            by_asset[key] += sec
    compute = _compute_seconds(instance, [rec.dagster_run.run_id for rec in runs])
    days = [o for o in summary.outcomes if o.day is not None]
    # which step each of the highest memory samples fell in (the peak's owner)
    spans = [sp for rec in runs for sp in _step_spans(instance, rec.dagster_run.run_id)]
    top = sorted(timeline.samples, key=lambda x: -x[1])[:1]
    at_peak = [
        {"rss_mb": round(mb, 1), "step": next((n for n, a, b in spans if a <= t <= b), "between")}
        for t, mb in top
    ]
    rss_by_step: dict[str, float] = defaultdict(float)
    for t, mb in timeline.samples:
        step = next((n for n, a, b in spans if a <= t <= b), "between steps")
        key = groups.get(step, (step, "?"))[0]
        rss_by_step[key] = max(rss_by_step[key], mb)
    return {
        "rss_at_peak": at_peak,
        "peak_rss_by_step_mb": dict(sorted(rss_by_step.items(), key=lambda x: -x[1])[:8]),
        "wall_seconds": wall,
        "import_seconds": import_s,
        "days": len(days),
        "day_seconds": [round(o.seconds, 3) for o in days],
        "statuses": {s: summary.count(s) for s in ("ok", "blocked", "quarantined", "failed")},
        "messages": sorted({o.message[:200] for o in days if o.status != "ok"}),
        "by_group": dict(by_group),
        "by_asset": dict(by_asset),
        "compute_by_asset": compute,
        "peak_rss_mb": peak_rss_mb(),
    }


def task_quality(home: Path, args: argparse.Namespace) -> dict:
    """GX validation of one clean and one drifted day of the workload, BASIC results, wall and
    CPU seconds: every expectation through GX (``gx_only``); the day read into pandas, screened
    there and the rest sent to GX (``screened``, as before the store screen); screened in
    DuckDB where the day is stored, pandas only for what is left (``stored``, as the
    data_quality asset does). The read of the day is timed with the last two."""
    warnings.filterwarnings("ignore")
    import duckdb

    from bench.workload import Workload
    from monitoring_pipelines.config import load_model_config
    from monitoring_pipelines.quality import (
        suggest_suite,
        validate_day,
        validate_stored_day,
        warm_up,
    )

    w = Workload.load(home)
    cfg = load_model_config(Path(home) / "config" / "models" / f"{w.model}.yaml")
    con = duckdb.connect()
    ref = con.execute("SELECT * FROM read_parquet($f)", {"f": str(w.reference_file)}).df()
    ref["prediction"] = ref["prediction"].astype(str)
    suite = suggest_suite(cfg, ref)
    warm_up()
    out: dict = {"expectations": len(suite["expectations"])}
    read = "SELECT * FROM day_rows WHERE _day = ?"
    ways = {
        "gx_only": lambda d: validate_day(con.execute(read, [d]).df(), suite, day=d,
                                          screened=False),
        "screened": lambda d: validate_day(con.execute(read, [d]).df(), suite, day=d),
        "stored": lambda d: validate_stored_day(con, "day_rows", suite, day=d),
    }  # fmt: skip
    for name, day in (("clean_day", w.first), ("drifted_day", w.last)):
        con.execute(
            "CREATE OR REPLACE TABLE day_rows AS SELECT * REPLACE (CAST(prediction AS VARCHAR) "
            "AS prediction), CAST($d AS DATE) AS _day FROM read_parquet($f)",
            {"f": str(w.day_file(day)), "d": day},
        )
        reports = {}
        for way, run in ways.items():
            t, c = time.perf_counter(), time.process_time()
            reports[way] = rep = run(day)
            out[f"{name}_{way}"] = {
                "rows": rep.row_count,
                "wall": time.perf_counter() - t,
                "cpu": time.process_time() - c,
                "failed": len(rep.failures),
            }
        out[f"{name}_same_outcomes"] = all(
            reports[way].outcomes == reports["gx_only"].outcomes for way in ways
        )
    return out


def run_breakdown(instance) -> dict:
    """Where a CLI invocation's runs spent their time, from the Dagster instance it wrote: per
    job the runs, the seconds from each run's start to its end and the seconds of its steps;
    the span from the first run's start to the last run's end and, of it, the seconds between
    runs (creating each run, closing and reopening the store, the retraining sensor's
    ticks)."""
    spans = []
    by_job: dict[str, dict[str, float]] = {}
    for rec in instance.get_run_records():
        if rec.start_time is None or rec.end_time is None:
            continue
        job = by_job.setdefault(rec.dagster_run.job_name, {"runs": 0, "wall": 0.0, "steps": 0.0})
        job["runs"] += 1
        job["wall"] += rec.end_time - rec.start_time
        job["steps"] += sum(_step_seconds(instance, rec.dagster_run.run_id).values())
        spans.append((rec.start_time, rec.end_time))
    if not spans:
        return {"by_job": {}, "span": 0.0, "between_runs": 0.0}
    spans.sort()
    between = sum(max(0.0, b[0] - a[1]) for a, b in pairwise(spans))
    return {
        "by_job": by_job,
        "span": spans[-1][1] - spans[0][0],
        "between_runs": between,
    }


def task_runs(home: Path, args: argparse.Namespace) -> dict:
    """:func:`run_breakdown` of the Dagster instance in ``home``/.dagster (a CLI run's)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / ".dagster")) as instance:
        return run_breakdown(instance)


TASKS = {"floor": task_floor, "pipeline": task_pipeline, "quality": task_quality,
         "runs": task_runs}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("task", choices=sorted(TASKS))
    p.add_argument("home", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--days", type=int, default=0, help="pipeline: only the last N days")
    p.add_argument(
        "--profile",
        help="pipeline: write a pyinstrument profile here (text, or a session as *.pyisession)",
    )
    args = p.parse_args(argv)
    result = TASKS[args.task](args.home, args)
    result.setdefault("peak_rss_mb", peak_rss_mb())
    args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
