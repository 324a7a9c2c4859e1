"""Load a model's reference (training) data into the store."""

from __future__ import annotations

from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import IngestionError, file_format, read_into
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.sql import reference_table


def load_reference(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, path: Path) -> int:
    """Replace ``reference__<model>`` with the reference file; returns its row count.

    Raises IngestionError naming the file and column when a declared feature is absent.
    """
    if not path.exists():
        raise IngestionError(str(path), None, "reference file does not exist")
    read_into(con, "_reference", [path], file_format(path, cfg.reference.format))
    cols = {r[0] for r in con.execute("DESCRIBE _reference").fetchall()}
    for col in cfg.features.all:
        if col not in cols:
            raise IngestionError(str(path), col, "declared feature missing from the reference")
    with transaction(con):
        con.execute(
            f"CREATE OR REPLACE TABLE {reference_table(cfg.name)} AS SELECT * FROM _reference"
        )
    (n,) = con.execute(f"SELECT count(*) FROM {reference_table(cfg.name)}").fetchone()
    con.execute("DROP TABLE _reference")
    return n
