"""The code location of the PostgreSQL integration test: the project's definitions, plus a job
of the day's ingestion, quality, health and profile assets on the multiprocess executor."""

import importlib
import multiprocessing
import multiprocessing.forkserver
import pkgutil
import threading
from pathlib import Path

import dagster as dg

import monitoring_pipelines.defs
from monitoring_pipelines.defs.partitions import MODEL_DAYS
from tests.reliability.homes import DAY_ASSETS

JOB = "integration_job"
# Step processes fork from a server that imported this module and every definitions module.
PRELOAD = ["dagster._core.executor.multiprocess", "tests.integration.pg_location"]
for _mod in pkgutil.walk_packages(monitoring_pipelines.defs.__path__, "monitoring_pipelines.defs."):
    importlib.import_module(_mod.name)

# A run worker (spawned by the code server) boots its fork server now, in the background:
# booting it imports the project (seconds), and the executor would otherwise do that while
# holding the duckdb pool slot of the run's first step, stalling every other run.
if multiprocessing.current_process().name.startswith("SpawnProcess"):
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    threading.Thread(target=multiprocessing.forkserver.ensure_running, daemon=True).start()

integration_job = dg.define_asset_job(
    JOB,
    selection=dg.AssetSelection.assets(*DAY_ASSETS),
    partitions_def=MODEL_DAYS,
    executor_def=dg.multiprocess_executor.configured(
        {
            "max_concurrent": 2,
            "start_method": {"forkserver": {"preload_modules": PRELOAD[1:]}},
        }
    ),
)


@dg.definitions
def defs() -> dg.Definitions:
    project = dg.load_from_defs_folder(
        path_within_project=Path(monitoring_pipelines.defs.__file__).parents[1]
    )
    return dg.Definitions.merge(project, dg.Definitions(jobs=[integration_job]))
