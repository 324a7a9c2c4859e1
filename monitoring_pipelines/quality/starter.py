"""Write a model's starter suite from its reference file (what `suggest-suite` runs)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.files import file_format
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.quality.stats import (
    MAX_CATEGORIES,
    MIN_SUPPORT,
    ColumnStats,
    NumericProfile,
)
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
    """The reference file as :func:`suggest_suite` reads it (``len``, ``columns``, one column
    at a time, and each column's statistics): with every column in pandas at once a
    million-row reference held about 0.5 GB (strings are a Python object per row), the
    largest allocation of a model's first run. A column is read exactly as it would be in the
    whole frame (same conversion per column). Its statistics (:meth:`stats`) are computed by
    DuckDB where the column's type makes them the same as pandas would find (about 2 s less
    of a W1 model's first day than reading 25 columns of a million rows into pandas); other
    columns are read."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table_sql: str, files: list[str]):
        self.con, self.table_sql, self.files = con, table_sql, files
        names = con.execute(f"DESCRIBE SELECT * FROM {table_sql}", {"files": files}).fetchall()
        self.columns = pd.Index([r[0] for r in names])
        self.types = {r[0]: str(r[1]) for r in names}
        (self.rows,) = con.execute(f"SELECT count(*) FROM {table_sql}", {"files": files}).fetchone()

    def stats(self, column: str) -> ColumnStats:
        """``column``'s statistics for a starter suite (see :class:`SqlColumnStats`)."""
        if column not in self.columns:
            raise KeyError(column)
        return SqlColumnStats(self, column)

    def query(self, sql: str) -> list[tuple]:
        """Rows of ``sql`` over :attr:`table_sql` (its file list bound)."""
        return self.con.execute(sql, {"files": self.files}).fetchall()

    def __len__(self) -> int:
        return int(self.rows)

    def __getitem__(self, column: str) -> pd.Series:
        if column not in self.columns:
            raise KeyError(column)
        frame = self.con.execute(
            f"SELECT {qi(column)} FROM {self.table_sql}", {"files": self.files}
        ).df()
        return frame[column]


INTEGERS = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
FLOATS = {"FLOAT", "DOUBLE"}
DAYS = {"DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


class SqlColumnStats(ColumnStats):
    """A reference column's statistics computed by DuckDB, each the figure pandas gives on
    the column read into a frame (tested), where its type allows: the null rate of any type
    (NaN counts as null in floating columns, as pandas counts it); the numeric range of
    integer, floating and decimal columns; the categories of text columns; the rows per
    calendar day of dates and timezone-naive timestamps. Other figures read the column into
    pandas (booleans and numbers as categories, numbers kept as text, zoned timestamps),
    where pandas' conversions decide."""

    def __init__(self, source: ReferenceColumns, column: str):
        super().__init__(lambda: source[column])
        self.source, self.column, self.type = source, qi(column), source.types[column]

    def _numeric(self) -> bool:
        return self.type in INTEGERS | FLOATS or self.type.startswith("DECIMAL")

    def null_rate(self) -> float:
        if not self.source.rows:
            return 0.0
        c, t = self.column, self.source.table_sql
        missing = f"{c} IS NULL OR isnan({c})" if self.type in FLOATS else f"{c} IS NULL"
        ((nulls,),) = self.source.query(f"SELECT count(*) FILTER (WHERE {missing}) FROM {t}")
        return nulls / self.source.rows

    def numeric_profile(self) -> NumericProfile | None:
        if not self._numeric():
            return super().numeric_profile()
        x, t = f"CAST({self.column} AS DOUBLE)", self.source.table_sql
        ((n, lo, hi),) = self.source.query(
            f"SELECT count(*), min(x), max(x) FROM (SELECT {x} AS x FROM {t}) WHERE isfinite(x)"
        )
        if n < MIN_SUPPORT:
            return None
        return NumericProfile(n=int(n), minimum=float(lo), maximum=float(hi))

    def categories(self) -> list[str] | None:
        if self.type != "VARCHAR":
            return super().categories()
        c, t = self.column, self.source.table_sql
        ((n, distinct),) = self.source.query(f"SELECT count({c}), count(DISTINCT {c}) FROM {t}")
        if n < MIN_SUPPORT or distinct > MAX_CATEGORIES or (n > 50 and distinct > 0.5 * n):
            return None
        values = self.source.query(f"SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL")
        return sorted(str(v) for (v,) in values)

    def day_counts(self) -> list[int]:
        if self.type not in DAYS:
            return super().day_counts()
        c, t = self.column, self.source.table_sql
        rows = self.source.query(
            f"SELECT CAST({c} AS DATE) AS d, count(*) FROM {t} WHERE {c} IS NOT NULL "
            "GROUP BY d ORDER BY d"
        )
        return [int(k) for _, k in rows]
