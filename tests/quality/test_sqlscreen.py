"""The quality screen in DuckDB takes exactly the clean passes the frame screen takes, with the
same results, so a stored day validates to the same outcomes as the day read into pandas."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.quality import validate_day, validate_stored_day
from monitoring_pipelines.quality.fastpath import screen
from monitoring_pipelines.quality.sqlscreen import sql_screen
from monitoring_pipelines.quality.validate import _normalize, day_parameters
from tests.bench.test_quality_screen import _days
from tests.quality.conftest import DAY, store_table

FORMATS = ("BOOLEAN_ONLY", "BASIC", "SUMMARY")


class Spy:
    """A connection that records the statements it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.statements = con, []

    def execute(self, sql: str, params=None):
        self.statements.append(sql)
        return self.con.execute(sql, params or [])


def _both(con, table: str, suite: dict, day: date, result_format: str):
    """(outcomes validated where stored, outcomes of the day read whole into pandas)."""
    stored = validate_stored_day(con, table, suite, day=day, result_format=result_format)
    read = con.execute(f"SELECT * FROM {table} WHERE _day = ?", [day]).df()
    whole = validate_day(read, suite, day=day, result_format=result_format)
    return stored, whole


@pytest.mark.parametrize("name", ["good", "bad", "empty"])
def test_sql_screen_takes_what_the_frame_screen_takes(name, churn_cfg, churn_suite) -> None:
    con = duckdb.connect()
    table = store_table(con, _days(churn_cfg)[name], churn_cfg)
    raws, params = churn_suite["expectations"], day_parameters(DAY)
    read = con.execute(f"SELECT * FROM {table}").df()
    for result_format in FORMATS:
        by_sql, n, _ = sql_screen(con, table, "_day = ?", [DAY], raws, params, result_format)
        by_frame = screen(_normalize(read, None), raws, params, result_format)
        assert n == len(read)
        assert by_sql == by_frame, (name, result_format, set(by_sql) ^ set(by_frame))
        stored, whole = _both(con, table, churn_suite, DAY, result_format)
        assert stored.outcomes == whole.outcomes
        assert stored.row_count == whole.row_count == len(read)
    if name == "good":
        assert len(by_sql) >= 0.8 * len(raws)


def _typed_table(con) -> str:
    """Ten rows of one day in the types a store may hold, with NULLs, a NaN and odd values."""
    con.execute(
        """
        CREATE TABLE typed AS SELECT * FROM (VALUES
          (1, 1::BIGINT, 0.5::FLOAT, 1.0::DOUBLE, 'a', TIMESTAMP '2024-03-15 01:00', true, 7),
          (2, 2, 1.5, 'nan'::DOUBLE, 'b', TIMESTAMP '2024-03-15 02:00', false, 7),
          (3, 3, 2.5, NULL, NULL, TIMESTAMP '2024-03-15 03:00', NULL, 7),
          (NULL, 4, 0.1, 2.0, 'a', TIMESTAMP '2024-03-15 04:00', true, 7),
          (2, 5, 0.2, 3.0, 'c', TIMESTAMP '2024-03-15 05:00', true, 7),
          (1, 6, 0.3, 4.0, 'a', TIMESTAMP '2024-03-15 06:00', true, 7),
          (3, 7, 0.4, 5.0, 'b', TIMESTAMP '2024-03-15 07:00', true, 7),
          (2, 8, 0.6, 6.0, 'a', TIMESTAMP '2024-03-15 08:00', true, 7),
          (1, 9, 0.7, 7.0, 'b', TIMESTAMP '2024-03-15 09:00', true, 7),
          (3, 10, 0.8, 8.0, 'a', TIMESTAMP '2300-01-01 00:00', true, 7)
        ) t(i32, i64, f32, dbl, txt, ts, flag, seven)
        """
    )
    con.execute(
        "ALTER TABLE typed ALTER i32 TYPE INTEGER; ALTER TABLE typed ADD COLUMN _day DATE "
        "DEFAULT DATE '2024-03-15'; ALTER TABLE typed ADD COLUMN nothing VARCHAR; "
        "ALTER TABLE typed ADD COLUMN empty_dbl DOUBLE; "
        "ALTER TABLE typed ADD COLUMN ts_ok TIMESTAMP DEFAULT TIMESTAMP '2024-03-15 12:00'"
    )
    return "typed"


def _e(kind: str, **kw) -> dict:
    return {"type": f"expect_{kind}", "kwargs": kw, "severity": "critical"}


def _in_day(column: str) -> dict:
    """The starter suite's check that timestamps fall inside the partition day."""
    day = {"min_value": {"$PARAMETER": "day_start"}, "max_value": {"$PARAMETER": "day_end"}}
    return _e("column_values_to_be_between", column=column, **day, strict_max=True)


TYPED_SUITE = {
    "name": "typed",
    "expectations": [
        _e("column_values_to_be_between", column="i32", min_value=0.5, max_value=2.5),
        _e("column_values_to_be_between", column="i32", min_value=1, max_value=3),
        _e("column_values_to_be_between", column="i32", min_value=1, max_value=3, strict_max=True),
        _e("column_values_to_be_in_set", column="i32", value_set=[1, 2, 3]),
        _e("column_values_to_be_in_set", column="i32", value_set=[1, 2]),
        _e("column_values_to_be_in_set", column="i32", value_set=[1.0, 2.0, 3.0]),
        _e("column_values_to_be_in_type_list", column="i32", type_list=["float64"]),
        _e("column_values_to_be_in_type_list", column="i32", type_list=["int32"]),
        _e("column_values_to_be_in_type_list", column="i64", type_list=["int64"]),
        _e("column_values_to_be_unique", column="i64"),
        _e("column_values_to_be_unique", column="i32"),
        _e("column_values_to_be_between", column="i64", min_value=1, max_value=10),
        _e("column_values_to_be_in_set", column="seven", value_set=[7]),
        _e("column_values_to_be_between", column="f32", min_value=0.1, max_value=2.5),
        _e("column_values_to_be_in_type_list", column="f32", type_list=["float32"]),
        _e("column_values_to_not_be_null", column="dbl"),
        _e("column_values_to_not_be_null", column="dbl", mostly=0.5),
        _e("column_values_to_be_between", column="dbl", min_value=1.0, max_value=8.0),
        _e("column_values_to_be_between", column="dbl", min_value=1.5),
        _e("column_values_to_be_unique", column="dbl"),
        _e("column_values_to_be_in_set", column="dbl", value_set=[1, 2, 3, 4, 5, 6, 7, 8]),
        _e("column_values_to_be_in_type_list", column="dbl", type_list=["float64"]),
        _e("column_values_to_be_in_set", column="txt", value_set=["a", "b", "c"]),
        _e("column_values_to_be_in_set", column="txt", value_set=["a", "b"]),
        _e("column_values_to_be_unique", column="txt"),
        _e("column_values_to_be_in_type_list", column="txt", type_list=["str"]),
        _e("column_values_to_not_be_null", column="txt"),
        _in_day("ts"),
        _e("column_values_to_be_in_type_list", column="ts", type_list=["datetime64[ns]"]),
        _in_day("ts_ok"),
        _e("column_values_to_be_between", column="ts_ok", min_value=datetime(2024, 3, 15, 12)),
        _e("column_values_to_be_between", column="ts_ok", min_value=datetime(2024, 3, 15, 13)),
        _e("column_values_to_be_in_type_list", column="ts_ok", type_list=["datetime64[ns]"]),
        _e("column_values_to_not_be_null", column="flag"),
        _e("column_values_to_be_in_type_list", column="nothing", type_list=["str", "string"]),
        _e("column_values_to_be_in_set", column="nothing", value_set=["x"]),
        _e("column_values_to_be_in_type_list", column="empty_dbl", type_list=["float64"]),
        _e("column_to_exist", column="i32"),
        _e("column_to_exist", column="absent"),
        _e("column_values_to_not_be_null", column="absent"),
        _e("table_row_count_to_be_between", min_value=5, max_value=20),
        _e("table_row_count_to_be_between", min_value=11),
        _e("column_values_to_be_between", column="i64", min_value=0.5, max_value=10.0),
        _e("column_values_to_be_between", column="seven", min_value=7, max_value=7),
        _e("column_values_to_be_between", column="seven", min_value=7, strict_min=True),
    ],
}


def test_every_type_validates_as_the_day_read_into_pandas() -> None:
    """Bounds of another type than the column (a float against INTEGER), NULL and NaN, a
    timestamp pandas cannot hold in nanoseconds, FLOAT and BOOLEAN (left to pandas), an
    all-NULL column, a missing column: the stored path's outcomes equal the frame's, which the
    frame screen's tests hold equal to GX's; and equal GX's here too."""
    con = duckdb.connect()
    table = _typed_table(con)
    day = date(2024, 3, 15)
    raws = TYPED_SUITE["expectations"]
    for result_format in FORMATS:
        stored, whole = _both(con, table, TYPED_SUITE, day, result_format)
        assert stored.outcomes == whole.outcomes, result_format
        read = con.execute(f"SELECT * FROM {table}").df()
        gx_only = validate_day(read, TYPED_SUITE, day=day, result_format=result_format,
                               screened=False)  # fmt: skip
        assert stored.outcomes == gx_only.outcomes, result_format
    passed, n, _ = sql_screen(con, table, "_day = ?", [day], raws, day_parameters(day), "BASIC")
    assert n == 10
    took = set(passed)
    # taken: the clean checks of integer, double, text and in-range timestamp columns
    assert took == {1, 3, 6, 8, 9, 11, 12, 17, 19, 20, 21, 22, 25, 29, 30, 32, 34, 37, 40, 42, 43}
    # not taken, among others: FLOAT (13, 14), BOOLEAN (33), the timestamp column pandas keeps
    # in microseconds (27, 28), float values against an INTEGER set (5), an INTEGER column
    # holding a NULL is float64 to pandas (7), breaks (0, 2, 4, 10, 15, 18, 23, 24, 26, 31, 41,
    # 44)
    by_index = list(stored.outcomes)
    assert len(by_index) == len(raws)
    assert not by_index[0].success and by_index[0].unexpected_count == 3  # 3 > 2.5, thrice
    assert not by_index[15].success  # a NaN is missing, as pandas counts it
    assert by_index[6].success and not by_index[7].success  # INTEGER with a NULL: float64
    assert by_index[27].success is False  # the year-2300 timestamp is outside the day


def test_a_clean_day_is_validated_without_reading_it() -> None:
    con = duckdb.connect()
    table = _typed_table(con)
    clean = {
        "name": "clean",
        "expectations": [
            _e("column_values_to_be_between", column="i64", min_value=1, max_value=10),
            _e("column_values_to_be_unique", column="i64"),
            _e("column_values_to_be_in_set", column="txt", value_set=["a", "b", "c"]),
            _e("column_values_to_be_in_type_list", column="txt", type_list=["str"]),
            _e("table_row_count_to_be_between", min_value=5),
        ],
    }
    spy = Spy(con)
    report = validate_stored_day(spy, table, clean, day=date(2024, 3, 15))
    assert report.success and report.row_count == 10
    assert len(spy.statements) == 2  # DESCRIBE and the one aggregate: no frame read
    assert spy.statements[0].startswith("DESCRIBE")


def test_a_day_with_breaks_reads_only_the_columns_left(churn_cfg, churn_suite) -> None:
    con = duckdb.connect()
    table = store_table(con, _days(churn_cfg)["bad"], churn_cfg)
    spy = Spy(con)
    report = validate_stored_day(spy, table, churn_suite, day=DAY)
    assert report.critical_failures
    reads = [s for s in spy.statements if s.startswith("SELECT") and "count(*)" not in s]
    assert len(reads) == 1
    raws = churn_suite["expectations"]
    passed, _, types = sql_screen(con, table, "_day = ?", [DAY], raws, day_parameters(DAY), "BASIC")
    left = {raws[i]["kwargs"].get("column") for i in range(len(raws)) if i not in passed}
    read_cols = {c for c in types if f'"{c}"' in reads[0].split(" FROM ")[0]}
    assert read_cols == left & set(types)
    assert len(read_cols) < len(types) / 2


def test_rows_of_other_days_are_not_screened() -> None:
    con = duckdb.connect()
    frame = pd.DataFrame(
        {
            "x": np.r_[np.arange(5.0), [99.0] * 3],
            "_day": [DAY] * 5 + [DAY + timedelta(days=1)] * 3,
        }
    )
    con.register("frame", frame)
    con.execute("CREATE TABLE t AS SELECT x, CAST(_day AS DATE) AS _day FROM frame")
    suite = {"name": "s", "expectations": [
        _e("column_values_to_be_between", column="x", min_value=0, max_value=4),
        _e("table_row_count_to_be_between", min_value=5, max_value=5),
    ]}  # fmt: skip
    report = validate_stored_day(con, "t", suite, day=DAY)
    assert report.success and report.row_count == 5
    other = validate_stored_day(con, "t", suite, day=DAY + timedelta(days=1))
    assert not other.success and other.row_count == 3
