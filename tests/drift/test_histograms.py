"""Bin counts of values already read equal DuckDB's; several columns read in one query equal
one query each (NULLs, NaN, infinities and values on the edges included)."""

from __future__ import annotations

import duckdb
import numpy as np

from monitoring_pipelines.drift import histograms as h


def _table(con):
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=2000), 1)  # many values exactly on the edges below
    y = rng.uniform(size=2000)
    con.execute("CREATE TABLE t (x DOUBLE, y DOUBLE, s VARCHAR)")
    con.executemany(
        "INSERT INTO t VALUES (?, ?, ?)",
        [[float(a), float(b), str(b)] for a, b in zip(x, y, strict=True)]
        + [[None, 0.5, "n/a"], [float("nan"), None, "1e9"], [float("inf"), 0.1, None]]
        + [[float("-inf"), float("nan"), "x"]],
    )


def test_counts_of_read_values_equal_duckdb_bin_counts():
    con = duckdb.connect()
    _table(con)
    for expr, edges in (
        ("x", [-1.0, -0.5, 0.0, 0.5, 1.0]),
        ("y", [0.25, 0.5, 0.75]),
        ("TRY_CAST(s AS DOUBLE)", [0.1, 0.9]),
        ("x", []),
    ):
        values = h.values(con, "t", expr)
        np.testing.assert_array_equal(
            h.counts_of(values, edges), h.bin_counts(con, "t", expr, edges), err_msg=expr
        )


def test_values_of_several_columns_equal_one_query_each():
    con = duckdb.connect()
    _table(con)
    exprs = ["x", "y", "TRY_CAST(s AS DOUBLE)"]
    together = h.values_of(con, "(SELECT * FROM t WHERE y IS NULL OR y < 0.9)", exprs)
    for e in exprs:
        alone = h.values(con, "(SELECT * FROM t WHERE y IS NULL OR y < 0.9)", e)
        np.testing.assert_array_equal(np.sort(together[e]), np.sort(alone), err_msg=e)
        assert together[e].dtype == np.float64
    assert h.values_of(con, "t", []) == {}


def test_category_counts_of_several_columns_equal_one_query_each():
    con = duckdb.connect()
    _table(con)
    rel = "(SELECT * FROM t WHERE y IS NULL OR y < 0.9)"
    exprs = ["CAST(round(x) AS VARCHAR)", "s", "CAST(y > 0.5 AS VARCHAR)", "s"]
    together = h.category_counts_of(con, rel, exprs)
    assert set(together) == set(exprs)
    for e in exprs:
        assert together[e] == h.category_counts(con, rel, e), e
    assert (
        sum(together["s"].values()) == con.execute(f"SELECT count(s) FROM {rel}").fetchone()[0]
    )  # the NULL category is left out, as one query each leaves it
    assert h.category_counts_of(con, "t", []) == {}
