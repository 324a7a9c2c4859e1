"""Run the asset graph headless, in-process, through Dagster: what `monitoring-pipelines run`
and the tests call. One run per model day, so each day's blocking checks stop only that day."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
from dagster._core.definitions.partitions.context import partition_loading_context
from dagster._core.storage.defs_state.base import set_defs_state_storage

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import kept_open
from monitoring_pipelines.store.derived import release_caches

PACKAGE_DIR = Path(__file__).parent
LOG_LEVEL = "CRITICAL"  # console log of each run; the full event log is in the instance
RETRAINING_SENSOR = "retraining_sensor"
QUIET = {"loggers": {"console": {"config": {"log_level": LOG_LEVEL}}}}


@contextmanager
def monitoring_env(paths: ProjectPaths) -> Iterator[None]:
    """Point the code location at ``paths`` for the duration (restores the environment)."""
    values = {
        "MONITORING_HOME": paths.home,
        "MONITORING_CONFIG_DIR": paths.config_dir,
        "MONITORING_EXPECTATIONS_DIR": paths.expectations_dir,
        "MONITORING_DB": paths.database,
        "MONITORING_QUARANTINE_DIR": paths.quarantine_dir,
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update({name: str(v) for name, v in values.items()})
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def load_definitions(paths: ProjectPaths) -> dg.Definitions:
    """The code location's definitions, bound to ``paths``."""
    # No state-backed components here: load without the defs-state storage of whichever
    # DagsterInstance was last entered in this process (it may be gone: a dead weakref).
    with monitoring_env(paths), set_defs_state_storage(None):
        defs = dg.load_from_defs_folder(path_within_project=PACKAGE_DIR)
        defs.get_repository_def()  # resolve resources while the environment is set
    return defs


@dataclass
class DayOutcome:
    model: str
    day: date
    status: str  # ok | blocked | quarantined | failed
    message: str = ""
    seconds: float = 0.0
    run_id: str = ""


@dataclass
class Retraining:
    """A retraining the run launched (by ticking the retraining sensor, as the daemon would)."""

    model: str
    day: date
    breach: str
    status: str  # ok | failed
    version: str = ""
    promoted: bool = False
    reason: str = ""
    run_id: str = ""


@dataclass
class RunSummary:
    outcomes: list[DayOutcome] = field(default_factory=list)
    retrainings: list[Retraining] = field(default_factory=list)
    reference_skipped: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        """0 all ran clean; 1 a run failed; 3 only data findings (blocked or quarantined days)."""
        if self.count("failed"):
            return 1
        return 3 if self.count("blocked") or self.count("quarantined") else 0


def classify(result: dg.ExecuteInProcessResult) -> tuple[str, str]:
    """(status, message) of a finished run."""
    errors = [e.event_specific_data.error for e in result.get_step_failure_events()]
    errors = [e for e in errors if e is not None]
    if result.success and not errors:
        return "ok", ""
    if errors and all(e.cls_name == "DagsterAssetCheckFailedError" for e in errors):
        return "blocked", _blocking_reasons(result) or errors[0].message.strip()
    text = "; ".join(e.message.strip().splitlines()[0] for e in errors) or "run failed"
    if errors and all("quarantined" in e.message for e in errors):
        return "quarantined", text
    return "failed", text


def _blocking_reasons(result: dg.ExecuteInProcessResult) -> str:
    """What failed in the blocking checks of a run, from their metadata."""
    reasons = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        failed = evaluation.metadata.get("failed_expectations")
        if not evaluation.passed and failed is not None:
            reasons.append(f"{evaluation.check_name}: {failed.value}")
    return "; ".join(reasons)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def run_days(
    paths: ProjectPaths,
    models: list[str],
    start: date,
    end: date,
    *,
    instance: dg.DagsterInstance,
    job: str = k.MONITOR_JOB,
    progress: Callable[[DayOutcome, int, int], None] | None = None,
    retrain: bool = False,
    on_retrained: Callable[[Retraining, date], None] | None = None,
    refit_reference: bool = False,
    defs: dg.Definitions | None = None,
    ticker: SensorTicker | None = None,
) -> RunSummary:
    """Load references, then run ``job`` for every (day, model) in order of days.

    With ``retrain``, after each day the retraining sensor is ticked (as the daemon would) and
    the retraining runs it requests are executed in-process before the next day;
    ``on_retrained(retraining, next_day)`` is called after each (the demo's serving step uses
    it to score the following days with a newly promoted champion).

    A model's reference job is skipped when every reference asset is materialized from the
    reference now configured (same file, size, modification time and model config): a day
    then costs only its own work. ``refit_reference`` forces the refit.

    A long-lived caller (``watch``) passes the ``defs`` it loaded once and its ``ticker``,
    whose cursor then carries from one call to the next."""
    defs = defs if defs is not None else load_definitions(paths)
    known = set(instance.get_dynamic_partitions(k.MODEL_DIM))
    missing = [m for m in models if m not in known]
    if missing:
        instance.add_dynamic_partitions(k.MODEL_DIM, missing)
    summary = RunSummary()
    ref_job = defs.resolve_job_def(k.REFERENCE_JOB)
    day_job = defs.resolve_job_def(job)
    plan = [(d, m) for d in days_between(start, end) for m in models]
    total = len(plan) + len(models)
    for i, m in enumerate(models):
        if not refit_reference and reference_current(defs, instance, paths, m):
            summary.reference_skipped.append(m)
            if progress:
                note = "reference unchanged: not refitted"
                progress(DayOutcome(m, None, "ok", note), i + 1, total)
            continue
        _run_one(ref_job, m, m, None, instance, summary, progress, i + 1, total, paths.database)
    ticker = (ticker or SensorTicker(defs, instance, RETRAINING_SENSOR)) if retrain else None
    for i, (d, m) in enumerate(plan):
        _run_one(
            day_job,
            model_day_key(m, d),
            m,
            d,
            instance,
            summary,
            progress,
            len(models) + i + 1,
            total,
            paths.database,
        )
        last_of_day = i + 1 == len(plan) or plan[i + 1][0] != d
        if ticker and last_of_day:
            for r in ticker.tick_and_run(paths, k.RETRAIN_JOB):
                summary.retrainings.append(r)
                if on_retrained:
                    on_retrained(r, d + timedelta(days=1))
    return summary


def reference_current(
    defs: dg.Definitions, instance: dg.DagsterInstance, paths: ProjectPaths, model: str
) -> bool:
    """Whether ``model``'s reference assets are all materialized from the reference the store
    holds now, and that reference is the one configured (same fingerprint)."""
    from monitoring_pipelines.defs.resources import MonitoringResource
    from monitoring_pipelines.ingest.reference import (
        fingerprint,
        reference_source,
        stored_fingerprint,
    )
    from monitoring_pipelines.store.connection import connect

    if not Path(paths.database).exists():
        return False
    try:
        cfg = MonitoringResource.from_paths(paths).model(model)
    except dg.Failure:
        return False
    con = connect(paths.database, read_only=True)
    try:
        cfg, path, _ = reference_source(con, cfg, paths.resolve(cfg.reference.path))
        stored = stored_fingerprint(con, model)
    finally:
        con.close()
    now = fingerprint(cfg, path)
    if stored != now:
        return False
    keys = dg.AssetSelection.groups(k.GROUP_REFERENCE).resolve(defs.resolve_asset_graph())

    def latest(key: dg.AssetKey):
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[model]), limit=1
        ).records
        return records[0] if records else None

    loaded = latest(dg.AssetKey(k.REFERENCE_DATA))
    if loaded is None:
        return False
    meta = loaded.asset_materialization.metadata if loaded.asset_materialization else {}
    if getattr(meta.get("fingerprint"), "value", None) != now:
        return False
    for key in keys:
        record = latest(key)
        if record is None or record.timestamp < loaded.timestamp:
            return False
    return True


class SensorTicker:
    """Evaluate a sensor headless and execute its run requests in-process, skipping run keys
    already used (what the daemon does)."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, name: str):
        self.defs, self.instance = defs, instance
        self.sensor = defs.resolve_sensor_def(name)  # resources bound (get_sensor_def warns)
        self.cursor: str | None = None

    def tick_and_run(self, paths: ProjectPaths, job_name: str) -> list[Retraining]:
        from monitoring_pipelines.retraining import registry
        from monitoring_pipelines.store.connection import connect

        with monitoring_env(paths), set_defs_state_storage(None):
            context = dg.build_sensor_context(
                instance=self.instance, cursor=self.cursor, definitions=self.defs,
                sensor_name=self.sensor.name, resources=dict(self.defs.resources or {}),
            )  # fmt: skip
            with partition_loading_context(dynamic_partitions_store=self.instance):
                data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor if data.cursor is not None else self.cursor
        job = self.defs.resolve_job_def(job_name)
        done = []
        for req in data.run_requests or []:
            used = self.instance.get_runs(
                filters=dg.RunsFilter(tags={"dagster/run_key": req.run_key}), limit=1
            )
            if used:
                continue
            tags = {
                **req.tags,
                "dagster/run_key": req.run_key,
                "dagster/sensor_name": self.sensor.name,
            }
            release_caches()  # a retraining needs none of the days' cached figures
            with kept_open(paths.database):
                result = job.execute_in_process(
                    partition_key=req.partition_key,
                    run_config={**req.run_config, **QUIET},
                    instance=self.instance,
                    raise_on_error=False,
                    tags=tags,
                )
            model, day = (
                req.tags["monitoring/model"],
                date.fromisoformat(req.tags["monitoring/day"]),
            )
            r = Retraining(
                model, day, req.tags["monitoring/breach"], "ok" if result.success else "failed",
                run_id=result.run_id,
            )  # fmt: skip
            con = connect(paths.database, read_only=True)
            try:
                entry = [e for e in registry.entries(con, model) if e["run_id"] == result.run_id]
            finally:
                con.close()
            if entry:  # registered (and maybe promoted) even if a later step failed
                r.version, r.promoted, r.reason = (
                    entry[-1]["version"],
                    bool(entry[-1]["promoted"]),
                    entry[-1]["reason"],
                )
            if not result.success:
                r.reason = f"{r.reason}; run failed: {_failure_message(result)}".lstrip("; ")
            done.append(r)
        return done


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The first failed step's error (its root cause where there is one)."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            while error is not None and error.cause is not None:
                error = error.cause
            text = error.message.strip() if error is not None else (event.message or "")
            return f"{event.step_key}: {text}"[:300]
    return "run failed"


def _run_one(job, key, model, day, instance, summary, progress, i, total, database) -> None:
    t0 = time.perf_counter()
    with kept_open(database):  # one open of the store for the run's steps
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            tags={"model": model, "trigger": "cli"},
            run_config=QUIET,
        )
    status, message = classify(result)
    outcome = DayOutcome(model, day, status, message, time.perf_counter() - t0, result.run_id)
    if day is not None:
        summary.outcomes.append(outcome)
    elif status != "ok":
        outcome.status = "failed"
        summary.outcomes.append(outcome)
    if progress:
        progress(outcome, i, total)
