"""A demo store built without Dagster (ingest, labels, reference), for the estimators' tests."""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import joblib
import numpy as np

from monitoring_pipelines.config import ModelConfig, load_model_configs
from monitoring_pipelines.config.model_config import FileFormat
from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.demo.files import write_table
from monitoring_pipelines.demo.frames import reference_frame
from monitoring_pipelines.demo.generator import PROCESSES
from monitoring_pipelines.demo.model import score
from monitoring_pipelines.demo.model_demo import logged_columns
from monitoring_pipelines.demo.schedule import Window
from monitoring_pipelines.demo.simulate import REFERENCE_DAYS, simulate_rows
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import connect


def write_holdout_reference(paths: ProjectPaths, cfg: ModelConfig, manifest: dict, rows: int):
    """Replace the demo's reference (the model's own training rows, so its scores and errors
    are in-sample) by ``rows`` fresh rows of the same pre-window period, scored by the demo's
    saved model: a held-out reference, which is what CBPE and DLE are meant to be fitted on."""
    process = PROCESSES[cfg.name]()
    window = Window(date.fromisoformat(manifest["end_day"]), manifest["days"])
    rng = np.random.default_rng([99, zlib.crc32(cfg.name.encode())])
    counts = np.full(REFERENCE_DAYS, rows // REFERENCE_DAYS)
    ref = simulate_rows(process, window, -REFERENCE_DAYS, counts, [], rng)
    model = joblib.load(paths.home / manifest["models"][cfg.name]["model_path"])
    scored = score(model, cfg.task, ref.inputs[cfg.features.all], cfg.positive_class)
    frame = reference_frame(cfg, process, ref, scored, logged_columns(cfg, process))
    write_table(frame, paths.resolve(cfg.reference.path), FileFormat.parquet)


def demo_store(home: Path, models: list[str], rows_per_day: int = 400, holdout: int = 0):
    """(connection, configs, manifest, days) of a demo whose every day is ingested and
    joined with the labels that arrived; with ``holdout`` rows, a held-out reference."""
    paths, manifest = demo_home(home, models=models, rows_per_day=rows_per_day)
    cfgs = load_model_configs(paths.config_dir)
    con: duckdb.DuckDBPyConnection = connect(paths.database)
    con.execute("SET TimeZone = 'UTC'")
    first = date.fromisoformat(manifest["first_day"])
    days = [first + timedelta(days=i) for i in range(manifest["days"])]
    for m in models:
        cfg = cfgs[m]
        if holdout:
            write_holdout_reference(paths, cfg, manifest, holdout)
        load_reference(con, cfg, paths.resolve(cfg.reference.path))
        for d in days:
            ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, d)
        sync_label_files(con, cfg, paths.resolve(cfg.labels.path), paths.quarantine_dir)
        for d in days:
            build_ground_truth(con, cfg, d)
    return con, cfgs, manifest, days
