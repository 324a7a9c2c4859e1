"""Child process of the parallel backfill test: materializes a slice of (day, model) partitions
of the daily assets against the shared DuckDB file, in one of two ways.

``multiprocess``: one Dagster run per partition (``execute_job`` on the persistent instance in
``DAGSTER_HOME``), each on Dagster's multiprocess executor: every step in its own process,
the ``duckdb`` pool of that instance deciding which steps may run at once.

``direct``: the same asset functions invoked directly, one after the other, with no Dagster
instance and so no pool: several such processes collide on DuckDB's file lock, and only
``store.connection.connect``'s wait keeps them apart.

Usage: python -m tests.reliability.backfill_child <out.jsonl> <assets,...> <mode> <day|model>...
Writes one JSON line per partition: partition, run id, mode, success, failure messages, and
how many times this process found the store locked when opening it (``lock_waits``).
"""

import importlib
import json
import multiprocessing
import multiprocessing.forkserver
import pkgutil
import sys
import traceback

import dagster as dg
import duckdb

import monitoring_pipelines.defs
from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.runner import load_definitions

# Step processes fork from a server that has imported this module, and with it every
# definitions module: the import is most of a step's cost, the step itself is milliseconds.
PRELOAD = ["tests.reliability.backfill_child"]
for _mod in pkgutil.walk_packages(monitoring_pipelines.defs.__path__, "monitoring_pipelines.defs."):
    importlib.import_module(_mod.name)

LOCK_WAITS = [0]
_connect = duckdb.connect


def _counting_connect(*args, **kwargs):
    """duckdb.connect, counting the "Could not set lock" refusals that connect() waits out."""
    try:
        return _connect(*args, **kwargs)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            LOCK_WAITS[0] += 1
        raise


duckdb.connect = _counting_connect


def monitor_job() -> dg.JobDefinition:
    """The project's daily job, bound to the paths in the environment (reconstructable)."""
    return load_definitions(ProjectPaths.from_env()).resolve_job_def(k.MONITOR_JOB)


def run_config(max_concurrent: int = 2) -> dict:
    return {
        "execution": {
            "config": {
                "multiprocess": {
                    "max_concurrent": max_concurrent,
                    "start_method": {"forkserver": {"preload_modules": PRELOAD}},
                }
            }
        },
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def run_multiprocess(instance, job, selection, key: str) -> dict:
    day, model = key.split("|")
    result = dg.execute_job(
        job,
        instance=instance,
        run_config=run_config(),
        tags={
            "dagster/partition": key,
            f"dagster/partition/{k.DAY_DIM}": day,
            f"dagster/partition/{k.MODEL_DIM}": model,
            "trigger": "reliability",
        },
        asset_selection=selection,
    )
    failures = [
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if e.is_step_failure and e.event_specific_data.error is not None
    ]
    return {"run_id": result.run_id, "success": result.success, "failures": failures}


def run_direct(defs: dg.Definitions, assets: list[str], key: str) -> dict:
    day, model = key.split("|")
    failures = []
    for asset in assets:
        context = dg.build_asset_context(partition_key=model_day_key(model, day))
        try:
            defs.resolve_assets_def(asset)(context)
        except Exception:
            failures.append(f"{asset}: {traceback.format_exc()}")
    return {"run_id": "", "success": not failures, "failures": failures}


def main() -> None:
    out, assets, mode = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
    partitions = sys.argv[4:]
    with open(out, "a") as fh:
        if mode == "multiprocess":
            # Boot the fork server before the first run: booting imports the project, and the
            # executor would otherwise do it while holding the run's first duckdb pool slot.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["dagster._core.executor.multiprocess", *PRELOAD])
            multiprocessing.forkserver.ensure_running()
            instance = dg.DagsterInstance.get()
            job, selection = dg.reconstructable(monitor_job), [dg.AssetKey(a) for a in assets]
            run = lambda key: run_multiprocess(instance, job, selection, key)  # noqa: E731
        else:
            defs = load_definitions(ProjectPaths.from_env())
            run = lambda key: run_direct(defs, assets, key)  # noqa: E731
        for key in partitions:
            record = {"partition": key, "mode": mode, **run(key), "lock_waits": LOCK_WAITS[0]}
            fh.write(json.dumps(record) + "\n")
            fh.flush()


if __name__ == "__main__":
    main()
