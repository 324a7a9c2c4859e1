"""Write a model's starter suite from its reference file (what `suggest-suite` runs)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import file_format
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.quality.suite import suggest_suite, write_suite
from monitoring_pipelines.store.sql import qi, reader_sql


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
        source = ReferenceColumns(
            con, reader_sql(file_format(ref_path, cfg.reference.format)), [str(ref_path)]
        )
        suite = suggest_suite(cfg, source)
    finally:
        con.close()
    return write_suite(suite, path)


class ReferenceColumns:
    """The reference file as :func:`suggest_suite` reads it (``len``, ``columns`` and one
    column at a time), each column read by DuckDB when asked for: with every column in pandas
    at once a million-row reference held about 0.5 GB (strings are a Python object per row),
    the largest allocation of a model's first run. A column is read exactly as it would be
    in the whole frame (same conversion per column)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table_sql: str, files: list[str]):
        self.con, self.table_sql, self.files = con, table_sql, files
        names = con.execute(f"DESCRIBE SELECT * FROM {table_sql}", {"files": files}).fetchall()
        self.columns = pd.Index([r[0] for r in names])
        (self.rows,) = con.execute(f"SELECT count(*) FROM {table_sql}", {"files": files}).fetchone()

    def __len__(self) -> int:
        return int(self.rows)

    def __getitem__(self, column: str) -> pd.Series:
        if column not in self.columns:
            raise KeyError(column)
        frame = self.con.execute(
            f"SELECT {qi(column)} FROM {self.table_sql}", {"files": self.files}
        ).df()
        return frame[column]
