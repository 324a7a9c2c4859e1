"""Writing the demo's tables as Parquet, CSV or JSON lines, where a model's config says.

Paths come from the config: a log path has a ``{day}`` placeholder, a label path is a glob
whose ``*`` (or ``{day}``) becomes ``labels_<arrival day>``. Categorical columns are written
as plain strings and an all-null column (e.g. ``error`` on a day without failures) as a
string column, so every day's file has the same schema.
"""

from __future__ import annotations

import datetime as dt
import functools
import glob
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from monitoring_pipelines.config.model_config import FileFormat
from monitoring_pipelines.paths import ProjectPaths

ISO_MS = "%Y-%m-%d %H:%M:%S.%g"
"""Timestamps in JSON lines: ISO 8601 with a space and milliseconds (DuckDB detects it)."""

SUFFIX_FORMATS = {
    ".parquet": FileFormat.parquet,
    ".pq": FileFormat.parquet,
    ".csv": FileFormat.csv,
    ".jsonl": FileFormat.jsonl,
    ".ndjson": FileFormat.jsonl,
    ".json": FileFormat.jsonl,
}


def file_format(path: str, declared: FileFormat) -> FileFormat:
    """The declared format, or the one the path's extension implies when ``auto``."""
    if declared is not FileFormat.auto:
        return declared
    suffix = Path(path.replace("*", "x")).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise ValueError(f"{path}: cannot infer the file format; set 'format' in the config")
    return SUFFIX_FORMATS[suffix]


def log_file(paths: ProjectPaths, pattern: str, day: dt.date) -> Path:
    """Where the log of ``day`` goes (a folder-per-day pattern gets one ``part-000`` file)."""
    return paths.resolve(pattern.replace("{day}", day.isoformat()).replace("*", "part-000"))


def label_file(paths: ProjectPaths, pattern: str, arrival: dt.date) -> Path:
    """Where the labels arriving on ``arrival`` go: ``.../labels_<arrival>.<ext>``."""
    name = f"labels_{arrival.isoformat()}"
    if "{day}" in pattern:
        return paths.resolve(pattern.replace("{day}", arrival.isoformat()).replace("*", name))
    if "*" not in pattern:
        raise ValueError(f"{pattern}: a label path needs a '*' or '{{day}}' to name daily files")
    return paths.resolve(pattern.replace("*", name, 1).replace("*", "part-000"))


def remove_generated(paths: ProjectPaths, patterns: list[str]) -> int:
    """Delete every file matching the glob ``patterns`` (``{day}`` read as ``*``).

    Folders left empty by a folder-per-day pattern are removed too. Returns the file count.
    """
    removed = 0
    for pattern in patterns:
        per_day_folder = "{day}" in Path(pattern).parent.as_posix()
        for name in sorted(glob.glob(str(paths.resolve(pattern.replace("{day}", "*"))))):
            f = Path(name)
            if f.is_file():
                f.unlink()
                removed += 1
                if per_day_folder and not any(f.parent.iterdir()):
                    f.parent.rmdir()
    return removed


def write_table(frame: pd.DataFrame, path: Path, fmt: FileFormat) -> None:
    """Write ``frame`` to ``path`` (parents created) in ``fmt``, atomically.

    Floats keep their shortest round-trip form in CSV and JSON; timestamps always carry
    milliseconds (``YYYY-MM-DD HH:MM:SS.fff``), so readers infer one type for the column.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    table = _arrow(frame)
    if fmt is FileFormat.parquet:
        pq.write_table(table, tmp, compression="zstd")
    elif fmt is FileFormat.csv:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
    else:
        stamps = [
            f'strftime("{f.name}", {ISO_MS!r}) AS "{f.name}"'
            for f in table.schema
            if pa.types.is_timestamp(f.type)
        ]
        select = f"* REPLACE ({', '.join(stamps)})" if stamps else "*"
        with _duckdb().cursor() as con:
            con.register("frame", table)
            con.execute(f"COPY (SELECT {select} FROM frame) TO '{_sql_path(tmp)}' (FORMAT json)")
    tmp.replace(path)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table with dictionaries and all-null columns as strings."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        pa.field(f.name, pa.string())
        if pa.types.is_dictionary(f.type) or pa.types.is_null(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def _sql_path(path: Path) -> str:
    """``path`` as a single-quoted SQL string body."""
    return str(path).replace("'", "''")


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the process (opening one costs more than writing a file)."""
    return duckdb.connect()
