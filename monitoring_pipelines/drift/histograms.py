"""Bin and category counts computed in DuckDB, and raw numeric values for the KS test."""

from __future__ import annotations

import duckdb
import numpy as np

from monitoring_pipelines.drift.columns import ColumnSpec


def quantile_edges(
    con: duckdb.DuckDBPyConnection, relation: str, expr: str, bins: int
) -> list[float]:
    """Inner bin edges: the distinct reference quantiles at 1/bins, ..., (bins-1)/bins."""
    qs = [i / bins for i in range(1, bins)]
    (edges,) = con.execute(f"SELECT quantile_cont({expr}, ?) FROM {relation}", [qs]).fetchone()
    return sorted({float(e) for e in edges or [] if e is not None})


def bin_counts(
    con: duckdb.DuckDBPyConnection, relation: str, expr: str, edges: list[float]
) -> np.ndarray:
    """Rows per bin (len(edges) + 1 bins, bin i holds edges[i-1] <= x < edges[i]); nulls out."""
    case = " ".join(f"WHEN x < ? THEN {i}" for i in range(len(edges)))
    bin_expr = f"CASE {case} ELSE {len(edges)} END" if edges else "0"
    rows = con.execute(
        f"SELECT {bin_expr} AS b, count(*) FROM (SELECT {expr} AS x FROM {relation}) "
        "WHERE x IS NOT NULL GROUP BY b",
        edges,
    ).fetchall()
    counts = np.zeros(len(edges) + 1, dtype=np.int64)
    for b, n in rows:
        counts[b] = n
    return counts


def counts_of(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """:func:`bin_counts` of values already read: bin i holds edges[i-1] <= x < edges[i]
    (NaN, which DuckDB orders above every number, in the last bin as there)."""
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.int64)


def values_of(
    con: duckdb.DuckDBPyConnection, relation: str, exprs: list[str]
) -> dict[str, np.ndarray]:
    """:func:`values` of several numeric expressions over ``relation`` in one query."""
    if not exprs:
        return {}
    select = ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
    got = con.execute(f"SELECT {select} FROM {relation}").fetchnumpy()
    out = {}
    for i, e in enumerate(exprs):
        col = got[f"c{i}"]
        if isinstance(col, np.ma.MaskedArray):
            col = col.compressed()  # the NULLs
        out[e] = np.asarray(col, dtype=np.float64)
    return out


def category_counts(con: duckdb.DuckDBPyConnection, relation: str, expr: str) -> dict[str, int]:
    """Rows per (non-null) category."""
    rows = con.execute(
        f"SELECT {expr} AS c, count(*) FROM {relation} WHERE c IS NOT NULL GROUP BY c"
    ).fetchall()
    return {str(c): int(n) for c, n in rows}


def category_counts_of(
    con: duckdb.DuckDBPyConnection, relation: str, exprs: list[str]
) -> dict[str, dict[str, int]]:
    """:func:`category_counts` of several expressions over ``relation`` in one scan (one
    grouping set per expression)."""
    exprs = list(dict.fromkeys(exprs))
    if not exprs:
        return {}
    cols = [f"c{i}" for i in range(len(exprs))]
    select = ", ".join(f"{e} AS {c}" for e, c in zip(exprs, cols, strict=True))
    sets = ", ".join(f"({c})" for c in cols)
    flags = ", ".join(f"GROUPING({c})" for c in cols)
    rows = con.execute(
        f"SELECT {', '.join(cols)}, {flags}, count(*) FROM (SELECT {select} FROM {relation}) "
        f"GROUP BY GROUPING SETS ({sets})"
    ).fetchall()
    out: dict[str, dict[str, int]] = {e: {} for e in exprs}
    k = len(exprs)
    for row in rows:
        i = row[k : 2 * k].index(0)  # the one expression this row is grouped by
        if row[i] is not None:
            out[exprs[i]][str(row[i])] = int(row[-1])
    return out


def values(con: duckdb.DuckDBPyConnection, relation: str, expr: str) -> np.ndarray:
    """The non-null values of one numeric column as float64 (8 bytes a row, one column)."""
    out = con.execute(
        f"SELECT x FROM (SELECT {expr} AS x FROM {relation}) WHERE x IS NOT NULL"
    ).fetchnumpy()["x"]
    return np.asarray(out, dtype=np.float64)


def column_stats(spec: ColumnSpec, con, relation: str, column: str) -> dict[str, float]:
    """Rows, mean, standard deviation (sample) and mean absolute deviation from the mean
    (``mad``) of a numeric column."""
    expr = spec.expr(column)
    n, mean, std = con.execute(
        f"SELECT count(x), avg(x), stddev_samp(x) FROM (SELECT {expr} AS x FROM {relation})"
    ).fetchone()
    mean = float(mean or 0.0)
    return {
        "n": int(n),
        "mean": mean,
        "std": float(std or 0.0),
        "mad": mean_abs_deviation(con, relation, expr, mean),
    }


def mean_abs_deviation(con, relation: str, expr: str, centre: float) -> float:
    """avg(|x - centre|) over the non-null values of ``expr`` (0.0 when there are none)."""
    (mad,) = con.execute(
        f"SELECT avg(abs(x - ?)) FROM (SELECT {expr} AS x FROM {relation})", [centre]
    ).fetchone()
    return float(mad or 0.0)
