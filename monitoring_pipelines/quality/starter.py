"""Write a model's starter suite from its reference file (what `suggest-suite` runs)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import file_format
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.quality.suite import suggest_suite, write_suite
from monitoring_pipelines.store.sql import reader_sql


def suite_path(paths: ProjectPaths, cfg: ModelConfig) -> Path:
    """Where the model's suite lives: ``suite`` from the config, else expectations/<model>.json."""
    return paths.resolve(cfg.suite) if cfg.suite else paths.expectations_dir / f"{cfg.name}.json"


def write_starter_suite(paths: ProjectPaths, cfg: ModelConfig, *, overwrite: bool) -> Path:
    """Profile the reference file and write the suite; an existing one is kept unless
    ``overwrite``. Returns the suite's path."""
    path = suite_path(paths, cfg)
    if path.exists() and not overwrite:
        return path
    ref_path = paths.resolve(cfg.reference.path)
    con = duckdb.connect()
    try:
        reference = con.execute(
            f"SELECT * FROM {reader_sql(file_format(ref_path, cfg.reference.format))}",
            {"files": [str(ref_path)]},
        ).df()
    finally:
        con.close()
    return write_suite(suggest_suite(cfg, reference), path)
