"""The quality screen where the day is stored: clean passes found by one DuckDB query, so a
clean day is validated without reading it into pandas.

:mod:`~monitoring_pipelines.quality.fastpath` screens a day already read into a frame. Reading
a W1 day (33,000 rows, 32 columns) into pandas takes as long as screening it (about 65 ms
each). Here the same decisions are taken from one aggregate query over the stored rows: the
row count, each used column's missing values, and per expectation the number of values that
break it. An expectation is taken here only when its column's DuckDB type fixes the pandas
dtype the frame would have (after ``validate._normalize``) and the comparison means the same in
SQL as in pandas; its result is the one the frame screen builds (GX's result of a clean pass).
Anything else (a break, a type or kwarg not handled here) is left to the frame screen and GX,
which then read only the columns those expectations use.

The types handled (:data:`HANDLED`): DOUBLE (float64; NaN counts as missing, as ``isna``
does), the integers (int8…uint64, or float64 when the day has a NULL: DuckDB gives a nullable
dtype that ``_normalize`` turns into float64), VARCHAR (object holding str), TIMESTAMP
(datetime64[ns] when every value fits nanoseconds) and, for missing values only, BOOLEAN
(bool, or object once a NULL is in). FLOAT is left to pandas (numpy compares float32 values
with a float32 bound, SQL with a double), as are DATE, DECIMAL and the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.quality.fastpath import ALLOWED, FORMATS, _clean, _number, _resolve
from monitoring_pipelines.store.sql import qi

INTEGERS = {
    "TINYINT": "int8",
    "SMALLINT": "int16",
    "INTEGER": "int32",
    "BIGINT": "int64",
    "UTINYINT": "uint8",
    "USMALLINT": "uint16",
    "UINTEGER": "uint32",
    "UBIGINT": "uint64",
}
_ANY = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_in_type_list",
    "expect_column_values_to_be_unique",
}
_NUMBERS = _ANY | {"expect_column_values_to_be_between", "expect_column_values_to_be_in_set"}
HANDLED: dict[str, set[str]] = {
    "DOUBLE": _NUMBERS,
    **dict.fromkeys(INTEGERS, _NUMBERS),
    "VARCHAR": _ANY | {"expect_column_values_to_be_in_set"},
    "TIMESTAMP": _ANY | {"expect_column_values_to_be_between"},
    # pandas holds BOOLEAN as bool, or as object with NULLs: only missing values decided here
    "BOOLEAN": {"expect_column_values_to_not_be_null", "expect_column_values_to_be_in_type_list"},
}
"""DuckDB type -> the expectation types screened here on a column of that type."""
# inside pandas' nanosecond range (1677-09-21 00:12:43 to 2262-04-11 23:47:16), with a margin
_NS_MIN, _NS_MAX = datetime(1677, 9, 22), datetime(2262, 4, 10)


@dataclass
class _Query:
    """The aggregate query being built: its expressions in order, with their parameters."""

    exprs: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, expr: str, *params: Any) -> int:
        """Add ``expr`` (its ``?`` bound to ``params``); returns its place in the row."""
        self.exprs.append(expr)
        self.params.extend(params)
        return len(self.exprs) - 1


def _present(col: str, typ: str) -> str:
    """SQL true for a value pandas would not call missing."""
    c = qi(col)
    return f"({c} IS NOT NULL AND NOT isnan({c}))" if typ == "DOUBLE" else f"{c} IS NOT NULL"


def _dtype(typ: str, missing: int) -> str | None:
    """The numpy dtype name the normalised frame would give a column of DuckDB type ``typ``."""
    if typ == "DOUBLE":
        return "float64"
    if typ in INTEGERS:
        return INTEGERS[typ] if missing == 0 else "float64"
    if typ == "TIMESTAMP":
        return "datetime64[ns]"
    return None


def _bound_ok(b: Any, typ: str) -> bool:
    if b is None:
        return True
    if typ == "TIMESTAMP":
        if not isinstance(b, datetime) or b.tzinfo is not None:
            return False
        return not (isinstance(b, pd.Timestamp) and b.nanosecond)
    return _number(b)


def _param(b: Any, typ: str) -> tuple[str, Any]:
    """A bound as a typed parameter: an untyped ``?`` compared with a column takes the
    column's type (0.5 against a BIGINT column would be cast to an integer); typed, the
    comparison widens as numpy's does (an integer column against a float in double)."""
    if typ == "TIMESTAMP":
        return "?::TIMESTAMP", b.to_pydatetime() if isinstance(b, pd.Timestamp) else b
    if isinstance(b, int | np.integer):
        return "?::HUGEINT", int(b)
    return "?::DOUBLE", float(b)


def _between(q: _Query, col: str, typ: str, kw: dict, params: dict) -> int | None:
    """Place of the count of present values outside the bounds; None when not handled."""
    ok_lo, lo = _resolve(kw.get("min_value"), params)
    ok_hi, hi = _resolve(kw.get("max_value"), params)
    if not (ok_lo and ok_hi) or (lo is None and hi is None) or typ == "VARCHAR":
        return None
    if not (_bound_ok(lo, typ) and _bound_ok(hi, typ)):
        return None
    c, inside, args = qi(col), [], []
    for bound, strict, op in ((lo, "strict_min", ">"), (hi, "strict_max", "<")):
        if bound is not None:
            placeholder, value = _param(bound, typ)
            inside.append(f"{c} {op if kw.get(strict) else op + '='} {placeholder}")
            args.append(value)
    outside = f"{_present(col, typ)} AND NOT ({' AND '.join(inside)})"
    return q.add(f"count(*) FILTER (WHERE {outside})", *args)


def _in_set(q: _Query, col: str, typ: str, values: Any) -> int | None:
    """Place of the count of present values outside the set; None when not handled."""
    if not isinstance(values, list) or not values:
        return None
    if typ == "VARCHAR":
        if not all(isinstance(x, str) for x in values):
            return None
        listed = "?::VARCHAR[]"
    elif typ == "DOUBLE" and all(_number(x) for x in values):
        listed = "?::DOUBLE[]"
    elif typ in INTEGERS and all(isinstance(x, int) and not isinstance(x, bool) for x in values):
        listed = "?::HUGEINT[]"
    else:
        return None
    outside = f"{_present(col, typ)} AND NOT list_contains({listed}, {qi(col)})"
    return q.add(f"count(*) FILTER (WHERE {outside})", [*values])


def _duplicates(q: _Query, col: str, typ: str) -> int:
    c = qi(col)
    return q.add(
        f"count(*) FILTER (WHERE {_present(col, typ)}) - "
        f"count(DISTINCT {c}) FILTER (WHERE {_present(col, typ)})"
    )


def _types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column -> DuckDB type name of ``relation``, in order."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def sql_screen(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    where: str,
    where_params: list[Any],
    expectations: list[dict[str, Any]],
    params: dict[str, Any],
    result_format: str,
) -> tuple[dict[int, dict[str, Any]], int, dict[str, str]]:
    """(index -> GX-shaped result of every expectation that certainly passes cleanly, the
    number of rows, column -> DuckDB type) of the rows of ``relation`` matching ``where``
    (with ``where_params``), by the rules of :func:`~.fastpath.screen` (see the module's
    docstring). ``params``: the suite parameters."""
    types = _types(con, relation)
    q = _Query()
    q.add("count(*)")  # place 0
    plans: list[tuple[int, str, str, int | None]] = []  # (index, kind, column, count's place)
    used: set[str] = set()
    for i, e in enumerate(expectations if result_format in FORMATS else []):
        kind = e.get("type")
        kw = e.get("kwargs") or {}
        if kind not in ALLOWED or not set(kw) <= ALLOWED[kind]:
            continue
        col = kw.get("column")
        if kind == "expect_table_row_count_to_be_between":
            plans.append((i, kind, "", None))
            continue
        if not isinstance(col, str) or col not in types:
            continue
        if kind == "expect_column_to_exist":
            plans.append((i, kind, col, None))
            continue
        typ = types[col]
        if kind not in HANDLED.get(typ, ()):
            continue
        place: int | None = -1  # -1: decided on the column's missing count and type alone
        if kind == "expect_column_values_to_be_between":
            place = _between(q, col, typ, kw, params)
        elif kind == "expect_column_values_to_be_in_set":
            place = _in_set(q, col, typ, kw.get("value_set"))
        elif kind == "expect_column_values_to_be_unique":
            place = _duplicates(q, col, typ)
        if place is None:
            continue
        used.add(col)
        plans.append((i, kind, col, place))
    missing_of, fits_of = {}, {}
    for col in sorted(used):
        missing_of[col] = q.add(f"count(*) FILTER (WHERE NOT ({_present(col, types[col])}))")
        if types[col] == "TIMESTAMP":  # every value inside pandas' nanosecond range
            fits_of[col] = q.add(
                f"coalesce(bool_and({qi(col)} BETWEEN ? AND ?), true)", _NS_MIN, _NS_MAX
            )
    got = con.execute(
        f"SELECT {', '.join(q.exprs)} FROM {relation} WHERE {where}", [*q.params, *where_params]
    ).fetchone()
    assert got is not None  # an aggregate without GROUP BY gives one row
    n = int(got[0])
    out: dict[int, dict[str, Any]] = {}
    for i, kind, col, place in plans:
        if kind == "expect_table_row_count_to_be_between":
            kw = expectations[i].get("kwargs") or {}
            lo, hi = kw.get("min_value"), kw.get("max_value")
            if any(b is not None and not _number(b) for b in (lo, hi)):
                continue
            if (lo is None or n >= lo) and (hi is None or n <= hi):
                out[i] = {"observed_value": n}
            continue
        if kind == "expect_column_to_exist":
            out[i] = {}
            continue
        if n == 0:
            continue
        typ, missing = types[col], int(got[missing_of[col]])
        if typ == "TIMESTAMP" and not got[fits_of[col]]:
            continue  # pandas keeps datetime64[us]: left to the frame screen
        if kind == "expect_column_values_to_not_be_null":
            if missing == 0:
                out[i] = _clean(n, None)
            continue
        if missing == n:  # all missing: only an object column's type check passes here
            if kind == "expect_column_values_to_be_in_type_list" and typ in ("VARCHAR", "BOOLEAN"):
                if isinstance((expectations[i].get("kwargs") or {}).get("type_list"), list):
                    out[i] = {
                        **_clean(n, missing),
                        "unexpected_percent": None,
                        "unexpected_percent_nonmissing": None,
                    }
            continue
        if kind == "expect_column_values_to_be_in_type_list":
            type_list = (expectations[i].get("kwargs") or {}).get("type_list")
            if not isinstance(type_list, list):
                continue
            if typ == "VARCHAR":
                if "str" in type_list:
                    out[i] = _clean(n, missing)
                continue
            dtype = _dtype(typ, missing)
            if dtype in type_list:
                out[i] = {"observed_value": np.dtype(dtype).type.__name__}
            continue
        if int(got[place]) == 0:
            out[i] = _clean(n, missing)
    if result_format == "BOOLEAN_ONLY":
        out = {i: {} for i in out}
    return out, n, types
