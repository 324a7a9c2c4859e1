"""The demo's serving step: after a retrained model is promoted, the days that follow are
scored by the new champion (their log files rewritten before they are ingested), as a real
serving system would after a deployment. Failed predictions stay failed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import joblib
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.demo.files import file_format, log_file, write_table
from monitoring_pipelines.demo.frames import outputs
from monitoring_pipelines.demo.model import score
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.retraining.dataset import model_inputs


def _read(path: Path, fmt) -> pd.DataFrame:
    reader = {"parquet": "read_parquet", "csv": "read_csv_auto", "jsonl": "read_json_auto"}[
        fmt.value
    ]
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM {reader}(?)", [str(path)]).df()


def serve_days(
    paths: ProjectPaths,
    cfg: ModelConfig,
    artifact: Path,
    version: str,
    first: dt.date,
    last: dt.date,
) -> int:
    """Re-score the log files of days ``first``..``last`` with the model in ``artifact``,
    logged as ``version``. Returns how many day files were rewritten."""
    model = joblib.load(artifact)
    fmt = file_format(cfg.logs.path, cfg.logs.format)
    c = cfg.columns
    done = 0
    day = first
    while day <= last:
        path = log_file(paths, cfg.logs.path, day)
        day += dt.timedelta(days=1)
        if not path.exists():
            continue
        frame = _read(path, fmt)
        failed = frame[c.prediction].isna().to_numpy()
        scored = score(model, cfg.task, model_inputs(cfg, frame), cfg.positive_class)
        for col, values in outputs(cfg, scored, failed).items():
            frame[col] = values
        if c.model_version and c.model_version in frame:
            frame[c.model_version] = np.full(len(frame), version, dtype=object)
        write_table(frame, path, fmt)
        done += 1
    return done
