"""Load a model's reference (training) data into the store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import IngestionError, file_format, read_into
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.sql import model_row, reference_table

STATE_TABLE = "reference_state"


def fingerprint(cfg: ModelConfig, path: Path) -> str:
    """What the reference fits depend on: the file (path, size, modification time) and the
    model's whole configuration. Equal fingerprints mean a refit would give the same state."""
    st = path.stat() if path.exists() else None
    parts = {
        "path": str(path.resolve()),
        "size": st.st_size if st else None,
        "mtime_ns": st.st_mtime_ns if st else None,
        "config": json.loads(cfg.model_dump_json()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def reference_source(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, configured: Path
) -> tuple[ModelConfig, Path, str | None]:
    """Where the model's reference comes from: the ``configured`` file, or once a retrained
    version is promoted, the reference that champion was trained on. Returns the config
    pointing at it, its path and the champion's version (None: as configured)."""
    from monitoring_pipelines.config.model_config import FileFormat
    from monitoring_pipelines.retraining import registry

    entry = registry.champion(con, cfg.name)
    if not entry or not entry.get("reference_path"):
        return cfg, configured, None
    path = Path(entry["reference_path"])
    source = cfg.reference.model_copy(update={"path": str(path), "format": FileFormat.auto})
    return cfg.model_copy(update={"reference": source}), path, entry["version"]


def reference_version(con: duckdb.DuckDBPyConnection, model: str) -> str | None:
    """Identifies the reference the store holds for ``model`` (fingerprint and load time),
    the key of the per-process caches built on it; None when unknown (older stores): then
    nothing is cached."""
    row = model_row(con, STATE_TABLE, model, "fingerprint || '@' || CAST(loaded_at AS VARCHAR)")
    return row[0] if row else None


def stored_fingerprint(con: duckdb.DuckDBPyConnection, model: str) -> str | None:
    """The fingerprint of the reference now in the store (None before the first load)."""
    row = model_row(con, STATE_TABLE, model, "fingerprint")
    return row[0] if row else None


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
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (model VARCHAR PRIMARY KEY, "
            "fingerprint VARCHAR, path VARCHAR, loaded_at TIMESTAMP)"
        )
        con.execute(f"DELETE FROM {STATE_TABLE} WHERE model = ?", [cfg.name])
        con.execute(
            f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, now())",
            [cfg.name, fingerprint(cfg, path), str(path)],
        )
    (n,) = con.execute(f"SELECT count(*) FROM {reference_table(cfg.name)}").fetchone()
    con.execute("DROP TABLE _reference")
    return n
