"""Clean passes without Great Expectations: the expectations a starter suite holds, checked
with vectorised pandas, so GX validates only what may fail.

GX on pandas spends most of its time per expectation (metric resolution, copies), not per
row: a day of 33,000 rows and ~150 expectations took seconds. Most expectations pass on most
days, and a pass needs no detail beyond its counts, which are all zero. So each expectation
this module understands is screened here; when it certainly passes with no unexpected value,
its GX result is built here (the same fields and values GX reports for such a pass); anything
else (a failure, a pass *with* unexpected values under ``mostly``, an unknown type or kwarg,
an odd dtype, an empty day) goes to GX unchanged, which reports it in full. The tests compare
both paths outcome by outcome.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

ALLOWED: dict[str, set[str]] = {
    "expect_table_row_count_to_be_between": {"min_value", "max_value"},
    "expect_column_to_exist": {"column"},
    "expect_column_values_to_be_in_type_list": {"column", "type_list", "mostly"},
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_unique": {"column", "mostly"},
    "expect_column_values_to_be_between": {
        "column", "min_value", "max_value", "strict_min", "strict_max", "mostly",
    },
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
}  # fmt: skip
"""Expectation types screened here, with the kwargs whose meaning is handled."""

FORMATS = ("BOOLEAN_ONLY", "BASIC", "SUMMARY")
"""Result formats whose clean-pass result is built here (COMPLETE always goes to GX)."""


def _clean(n: int, missing: int | None) -> dict[str, Any]:
    """GX's result of a column-map expectation with no unexpected value (BASIC fields)."""
    out: dict[str, Any] = {
        "element_count": n,
        "unexpected_count": 0,
        "unexpected_percent": 0.0,
        "partial_unexpected_list": [],
    }
    if missing is not None:
        out.update(
            missing_count=missing,
            missing_percent=100.0 * missing / n,
            unexpected_percent_total=0.0,
            unexpected_percent_nonmissing=0.0,
        )
    return out


def all_missing_result(n: int) -> dict[str, Any]:
    """GX's result of a type check on an object column with no value: it passes, the
    percentages of non-null values undefined (None)."""
    return {**_clean(n, n), "unexpected_percent": None, "unexpected_percent_nonmissing": None}


def row_count_result(kw: dict[str, Any], n: int) -> dict[str, Any] | None:
    """GX's result of ``expect_table_row_count_to_be_between`` when ``n`` rows pass it; None
    when they do not, or the bounds are not numbers."""
    lo, hi = kw.get("min_value"), kw.get("max_value")
    if any(b is not None and not _number(b) for b in (lo, hi)):
        return None
    if (lo is None or n >= lo) and (hi is None or n <= hi):
        return {"observed_value": n}
    return None


def _number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _resolve(v: Any, params: dict[str, Any]) -> tuple[bool, Any]:
    """(ok, value) of a kwarg that may be a ``{"$PARAMETER": name}`` reference."""
    if isinstance(v, dict):
        name = v.get("$PARAMETER")
        if len(v) != 1 or name not in params:
            return False, None
        return True, params[name]
    return True, v


def _between(s: pd.Series, kw: dict[str, Any], params: dict[str, Any]) -> bool | None:
    """True when every non-null value is within the bounds; None when not handled here."""
    ok_lo, lo = _resolve(kw.get("min_value"), params)
    ok_hi, hi = _resolve(kw.get("max_value"), params)
    if not (ok_lo and ok_hi) or (lo is None and hi is None):
        return None
    if pd.api.types.is_datetime64_dtype(s.dtype) and s.dtype == np.dtype("datetime64[ns]"):
        if any(b is not None and not isinstance(b, datetime) for b in (lo, hi)):
            return None
        if any(b is not None and getattr(b, "tzinfo", None) is not None for b in (lo, hi)):
            return None
    elif s.dtype.kind in "fiu":
        if any(b is not None and not _number(b) for b in (lo, hi)):
            return None
    else:
        return None
    v = s.dropna()
    inside = np.ones(len(v), dtype=bool)
    if lo is not None:
        inside &= (v > lo).to_numpy() if kw.get("strict_min") else (v >= lo).to_numpy()
    if hi is not None:
        inside &= (v < hi).to_numpy() if kw.get("strict_max") else (v <= hi).to_numpy()
    return bool(inside.all())


def _in_set(s: pd.Series, values: Any) -> bool | None:
    if not isinstance(values, list) or not values:
        return None
    v = s.dropna()
    if s.dtype == object:
        if not all(isinstance(x, str) for x in values):
            return None
        if pd.api.types.infer_dtype(v, skipna=True) != "string":
            return None
    elif s.dtype.kind in "fiu":
        if not all(_number(x) for x in values):
            return None
    else:
        return None
    return bool(v.isin(values).all())


def _type_result(s: pd.Series, type_list: Any, n: int, missing: int) -> dict | None:
    if not isinstance(type_list, list):
        return None
    if s.dtype == object:
        if "str" not in type_list or pd.api.types.infer_dtype(s.dropna(), skipna=True) != (
            "string"
        ):
            return None
        return _clean(n, missing)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiuM" and str(s.dtype) in type_list:
        return {"observed_value": s.dtype.type.__name__}
    return None


def screen(
    frame: pd.DataFrame,
    expectations: list[dict[str, Any]],
    params: dict[str, Any],
    result_format: str,
) -> dict[int, dict[str, Any]]:
    """Index -> GX-shaped result dict of every expectation that certainly passes cleanly.

    ``frame`` is the normalised frame GX would see; ``params`` the suite parameters."""
    if result_format not in FORMATS:
        return {}
    n = len(frame)
    out: dict[int, dict[str, Any]] = {}
    nulls: dict[str, int] = {}
    for i, e in enumerate(expectations):
        kind = e.get("type")
        kw = e.get("kwargs") or {}
        if kind not in ALLOWED or not set(kw) <= ALLOWED[kind]:
            continue
        if kind == "expect_table_row_count_to_be_between":
            if (result := row_count_result(kw, n)) is not None:
                out[i] = result
            continue
        col = kw.get("column")
        if not isinstance(col, str) or col not in frame.columns:
            continue
        if kind == "expect_column_to_exist":
            out[i] = {}
            continue
        if n == 0 or frame.columns.tolist().count(col) != 1:
            continue
        s = frame[col]
        if col not in nulls:
            nulls[col] = int(s.isna().sum())
        missing = nulls[col]
        if kind == "expect_column_values_to_not_be_null":
            if missing == 0:
                out[i] = _clean(n, None)
            continue
        if missing == n:
            # all null: GX's percentages of non-null values are undefined (None); a text
            # column's type is checked per non-null value, so it passes with none
            if kind == "expect_column_values_to_be_in_type_list" and s.dtype == object:
                if isinstance(kw.get("type_list"), list):
                    out[i] = all_missing_result(n)
            continue
        result: dict | None = None
        if kind == "expect_column_values_to_be_in_type_list":
            result = _type_result(s, kw.get("type_list"), n, missing)
        elif kind == "expect_column_values_to_be_unique":
            v = s.dropna()
            if s.dtype == object and pd.api.types.infer_dtype(v, skipna=True) != "string":
                continue
            if not v.duplicated().any():
                result = _clean(n, missing)
        elif kind == "expect_column_values_to_be_between":
            if _between(s, kw, params):
                result = _clean(n, missing)
        elif kind == "expect_column_values_to_be_in_set":
            if _in_set(s, kw.get("value_set")):
                result = _clean(n, missing)
        if result is not None:
            out[i] = result
    if result_format == "BOOLEAN_ONLY":
        return {i: {} for i in out}
    return out
