"""Finding landing files, reading them with DuckDB, and setting bad ones aside."""

from __future__ import annotations

import glob
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from monitoring_pipelines.config.model_config import FileFormat
from monitoring_pipelines.store.sql import reader_sql

_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}


@dataclass
class IngestionError(Exception):
    """A file that cannot be ingested: names the file, the column (if any) and the reason."""

    file: str
    column: str | None
    reason: str
    kind: str = "predictions"

    def __str__(self) -> str:
        col = f", column '{self.column}'" if self.column else ""
        return f"{self.file}{col}: {self.reason}"


def file_format(path: Path, declared: FileFormat) -> str:
    """'parquet' | 'csv' | 'jsonl': the declared format, or the one the suffix names."""
    if declared is not FileFormat.auto:
        return declared.value
    fmt = _SUFFIXES.get(Path(path).suffix.lower())
    if fmt is None:
        raise IngestionError(
            str(path),
            None,
            f"cannot tell the format of '{path.suffix}' files; set 'format' in the model config",
        )
    return fmt


def day_files(pattern: Path, day: date) -> list[Path]:
    """Files for one day: the pattern with ``{day}`` filled in, globbed, sorted."""
    filled = str(pattern).replace("{day}", day.isoformat())
    return sorted(Path(p) for p in glob.glob(filled) if Path(p).is_file())


def read_into(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], fmt: str) -> None:
    """Create temp table ``name`` from ``files``; unreadable input raises IngestionError."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {reader_sql(fmt)}",
            {"files": [str(f) for f in files]},
        )
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise IngestionError(
            ", ".join(map(str, files)), None, f"unreadable {fmt}: {first}"
        ) from None


def quarantine(file: Path, quarantine_dir: Path, model: str, error: IngestionError) -> Path:
    """Move ``file`` under ``quarantine_dir/model/`` with a ``.error.json`` beside it.

    The file keeps its permissions and contents; an existing quarantined file of the same name
    is not overwritten. Returns the new path.
    """
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target_dir = quarantine_dir / model
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / file.name
    if target.exists():
        target = target_dir / f"{file.stem}.{stamp}{file.suffix}"
    shutil.move(str(file), str(target))
    meta = {
        "file": str(file),
        "column": error.column,
        "reason": error.reason,
        "kind": error.kind,
        "quarantined_at": stamp,
    }
    target.with_name(target.name + ".error.json").write_text(json.dumps(meta, indent=2))
    return target


def record_error(
    con: duckdb.DuckDBPyConnection,
    model: str,
    day: date | None,
    error: IngestionError,
    quarantined_to: Path | None,
) -> None:
    """Append the error to ``ingestion_errors`` (its own small transaction)."""
    con.execute(
        'INSERT INTO ingestion_errors (model, day, kind, file, "column", reason, quarantined_to, '
        "recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            model,
            day,
            error.kind,
            error.file,
            error.column,
            error.reason,
            str(quarantined_to) if quarantined_to else None,
            datetime.now(),
        ],
    )
