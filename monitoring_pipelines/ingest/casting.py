"""Type checks and casts from whatever a file holds to the type the store expects."""

from __future__ import annotations

import duckdb

from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.store.sql import qi

_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)


def type_family(duck_type: str) -> str:
    """'numeric' | 'string' | 'time' | 'boolean' | 'null' | 'other' for a DuckDB type name."""
    t = duck_type.upper()
    if t.startswith(_NUMERIC):
        return "numeric"
    if t.startswith("VARCHAR"):
        return "string"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "time"
    if t == "BOOLEAN":
        return "boolean"
    if t in ('"NULL"', "NULL"):
        return "null"  # an all-null column: compatible with any type
    return "other"


def cast_expr(column: str, raw_type: str, target: str) -> str:
    """SQL casting ``column`` from ``raw_type`` to ``target``.

    Class labels arriving as numbers are written without a trailing '.0' and booleans as
    '0'/'1', so that 1, 1.0 and true all mean the class '1'.
    """
    col = qi(column)
    fam = type_family(raw_type)
    if target == "VARCHAR" and fam == "numeric":
        if not raw_type.upper().startswith(("FLOAT", "DOUBLE", "REAL", "DECIMAL")):
            return f"CAST({col} AS VARCHAR)"  # integers print without a fraction already
        # whole floats within the exactly representable range print as integers
        return (
            f"CASE WHEN isfinite({col}) AND abs({col}) < 9e15 AND {col} = round({col}) "
            f"THEN CAST(CAST({col} AS BIGINT) AS VARCHAR) ELSE CAST({col} AS VARCHAR) END"
        )
    if target == "VARCHAR" and fam == "boolean":
        return f"CAST(CAST({col} AS INTEGER) AS VARCHAR)"
    if target == "TIMESTAMP" and raw_type.upper().startswith("TIMESTAMP WITH TIME ZONE"):
        return f"CAST(timezone('UTC', {col}) AS TIMESTAMP)"
    return f"TRY_CAST({col} AS {target})"


def check_castable(
    con: duckdb.DuckDBPyConnection, table: str, column: str, raw_type: str, target: str, file: str
) -> None:
    """Raise IngestionError naming ``column`` when some non-null values cannot become ``target``."""
    expr = cast_expr(column, raw_type, target)
    n_bad, total, example = con.execute(
        f"SELECT count(*) FILTER (WHERE {qi(column)} IS NOT NULL AND ({expr}) IS NULL), "
        f"count(*), any_value(CAST({qi(column)} AS VARCHAR)) FILTER "
        f"(WHERE {qi(column)} IS NOT NULL AND ({expr}) IS NULL) FROM {table}"
    ).fetchone()
    if n_bad:
        raise IngestionError(
            file,
            column,
            f"wrong type: {n_bad} of {total} values cannot be read as {target} "
            f"(file has {raw_type}, e.g. {str(example)[:60]!r})",
        )


def check_castable_columns(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[tuple[str, str, str]],
    file: str,
) -> None:
    """:func:`check_castable` of every ``(column, raw_type, target)`` in one scan of ``table``
    (one query instead of one a column: about 65 → 9 ms for a 33,000-row, 29-column day). The
    error is the one :func:`check_castable` raises for the first column, in the given order,
    holding a value that cannot be cast."""
    if not columns:
        return
    counts = ", ".join(
        f"count(*) FILTER (WHERE {qi(c)} IS NOT NULL AND ({cast_expr(c, raw, t)}) IS NULL)"
        for c, raw, t in columns
    )
    bad = con.execute(f"SELECT {counts} FROM {table}").fetchone()
    for (column, raw_type, target), n_bad in zip(columns, bad, strict=True):
        if n_bad:
            check_castable(con, table, column, raw_type, target, file)  # raises, with an example
