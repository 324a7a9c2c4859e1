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


class DemoServing:
    """The serving step as a ``run_days(on_retrained=...)`` callback: a promoted champion
    scores the days after its promotion; :meth:`recoveries` compares it, on the days it
    served, with the champion it replaced."""

    def __init__(self, paths: ProjectPaths, configs: dict[str, ModelConfig], end: dt.date):
        self.paths, self.configs, self.end = paths, configs, end
        self.promotions: list[tuple] = []  # (retraining, first served day, old artifact)

    def on_retrained(self, r, next_day: dt.date) -> None:
        from monitoring_pipelines.retraining import registry
        from monitoring_pipelines.store.connection import connect

        if not r.promoted:
            return
        con = connect(self.paths.database, read_only=True)
        try:
            rows = {e["version"]: e for e in registry.entries(con, r.model)}
        finally:
            con.close()
        new = rows[r.version]
        old = rows.get(new["champion_version"], {}).get("artifact")
        n = serve_days(
            self.paths, self.configs[r.model], Path(new["artifact"]), r.version, next_day, self.end
        )
        print(f"  serving: {r.model} {r.version} now scores {n} day(s) from {next_day}")
        if old:
            self.promotions.append((r, next_day, Path(old)))

    def recoveries(self) -> list:
        from monitoring_pipelines.retraining.compare import recovery
        from monitoring_pipelines.store.connection import connect

        con = connect(self.paths.database, read_only=True)
        try:
            return [
                recovery(con, self.configs[r.model], old, r.version, first, self.end)
                for r, first, old in self.promotions
            ]
        finally:
            con.close()
