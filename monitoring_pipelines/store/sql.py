"""SQL building blocks. Identifiers are always quoted; values are always parameters."""

from __future__ import annotations

import itertools
from pathlib import Path


def qi(name: str) -> str:
    """Quote an identifier for DuckDB: ``a"b`` -> ``"a""b"``."""
    return '"' + str(name).replace('"', '""') + '"'


def predictions_table(model: str) -> str:
    """Quoted name of a model's stored prediction log table."""
    return qi(f"predictions__{model}")


def labels_table(model: str) -> str:
    """Quoted name of a model's raw label table (every label file row ever ingested)."""
    return qi(f"labels__{model}")


def ground_truth_table(model: str) -> str:
    """Quoted name of a model's per-day joined labels (one row per labelled prediction)."""
    return qi(f"ground_truth__{model}")


def reference_table(model: str) -> str:
    """Quoted name of a model's reference (training) data table."""
    return qi(f"reference__{model}")


def reader_sql(fmt: str) -> str:
    """A DuckDB table function reading a list of files given as parameter ``$files``.

    CSV is read as text: a CSV file has no types, so guessing them would report type changes
    that are not there; values are cast (and checked) against the declared types instead.
    """
    if fmt == "parquet":
        return "read_parquet($files, union_by_name = true)"
    if fmt == "csv":
        return "read_csv($files, union_by_name = true, header = true, all_varchar = true)"
    if fmt == "jsonl":
        return "read_json($files, format = 'newline_delimited', union_by_name = true)"
    raise ValueError(f"unknown file format {fmt!r}")


_insert_names = itertools.count()


def insert_rows(con, table: str, rows, columns: list[str]) -> None:
    """INSERT the ``columns`` of ``rows`` (a pandas DataFrame or an Arrow table) into
    ``table`` in one statement, matched by name (a statement per row costs ~2 ms each)."""
    cols = ", ".join(qi(c) for c in columns)
    name = f"_insert_rows_{next(_insert_names)}"  # never another call's, on any connection
    con.register(name, rows)
    try:
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
    finally:
        con.unregister(name)


def table_exists(con, table: str) -> bool:
    """Whether the store has a table named ``table`` (unquoted name)."""
    ((n,),) = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchall()
    return n > 0


def model_row(con, table: str, model: str, columns: str) -> tuple | None:
    """``columns`` of a per-model state table's row for ``model``; None when the table or
    the row does not exist yet (``table`` and ``columns`` are internal names, not input)."""
    if not table_exists(con, table):
        return None
    rows = con.execute(f"SELECT {columns} FROM {table} WHERE model = ?", [model]).fetchall()
    return rows[0] if rows else None


def derived_folder(con) -> Path | None:
    """The folder beside ``con``'s database file for figures derived from the store that
    new processes read back (sorted reference columns, bin edges); None in memory."""
    return folder_beside(database_path(con))


def folder_beside(database: str) -> Path | None:
    """:func:`derived_folder` of the database at ``database`` (a :func:`database_path`)."""
    path = Path(database)
    return path.with_name(path.name + ".derived") if path.is_file() else None


def database_path(con) -> str:
    """The file of ``con``'s current database (its name when in memory): a key for caches
    kept per process across connections."""
    ((path,),) = con.execute(
        "SELECT coalesce(path, database_name) FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchall()
    return path
