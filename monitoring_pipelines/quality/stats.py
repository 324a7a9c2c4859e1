"""Reference statistics behind a starter suite: null rates, ranges, categories, rows per day.

The heuristics that turn these statistics into bounds live here as named constants; the
generated suite (a user-editable JSON file) is where the resulting thresholds are kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

RANGE_MARGIN = 0.10
"""Warning range: the reference [min, max] widened by this share of its width on each side."""
RANGE_MOSTLY = 0.99
"""Share of non-null values that must fall inside the warning range."""
GROSS_MARGIN = 1.0
"""Critical range: the reference [min, max] widened by this many widths (unit/scale breaks)."""
GROSS_MOSTLY = 0.99
CATEGORY_MOSTLY = 0.99
"""Share of non-null values that must be a reference category (new ones are drift)."""
MAX_CATEGORIES = 500
"""No category-set expectation for columns with more distinct reference values."""
MIN_SUPPORT = 20
"""Non-null reference values needed before a range, sign or category set is inferred."""
NULL_CRITICAL_SHARE = 0.25
"""Critical when this share of the values present in the reference went missing."""
NULL_WARN_MIN_SLACK = 0.02
NULL_WARN_REL_SLACK = 0.10
NULL_NOISE_SDS = 4.0
"""Slack for null rates, in binomial standard deviations at the expected daily row count."""
DEFAULT_DAY_ROWS = 1000
NEAR_ZERO_SHARE = 0.10
"""Non-negativity is inferred when the reference minimum is >= 0 and within this share of
the reference width from zero (counts, amounts, durations), not for data far from zero."""
PERCENT_NAME = re.compile(r"(^|_)(pct|percent|percentage)($|_)")


@dataclass(frozen=True)
class NumericProfile:
    """Range statistics of a numeric reference column (``n`` non-null values)."""

    n: int
    minimum: float
    maximum: float

    @property
    def width(self) -> float:
        """Reference width, or a unit-free scale for a constant column."""
        w = self.maximum - self.minimum
        return w if w > 0 else max(abs(self.maximum), 1.0)

    def warn_range(self) -> tuple[float, float]:
        """(min, max) of the warning range, clamped at 0 for non-negative columns."""
        lo = self.minimum - RANGE_MARGIN * self.width
        if self.non_negative:
            lo = max(lo, 0.0)
        return round_out(lo, up=False), round_out(self.maximum + RANGE_MARGIN * self.width, up=True)

    def gross_range(self) -> tuple[float, float]:
        """(min, max) beyond which values signal a unit or scale break."""
        lo = self.minimum - GROSS_MARGIN * self.width
        hi = self.maximum + GROSS_MARGIN * self.width
        return round_out(lo, up=False), round_out(hi, up=True)

    @property
    def non_negative(self) -> bool:
        """True when the reference says the column is non-negative by nature."""
        return self.minimum >= 0 and self.minimum <= NEAR_ZERO_SHARE * self.width


class ColumnStats:
    """What a starter suite takes from one reference column, from its values in pandas
    (``values``: the column, or a function reading it when first needed). Subclasses may
    compute some figures where the data lives (see
    :class:`~monitoring_pipelines.quality.starter.ReferenceColumns`); each must equal what
    these give on the column read into pandas."""

    def __init__(self, values: pd.Series | Callable[[], pd.Series]):
        self._values = values

    @property
    def values(self) -> pd.Series:
        if callable(self._values):
            self._values = self._values()
        return self._values

    def null_rate(self) -> float:
        return null_rate(self.values)

    def numeric_profile(self) -> NumericProfile | None:
        return numeric_profile(self.values)

    def categories(self) -> list[str] | None:
        return categories(self.values)

    def day_counts(self) -> list[int]:
        return day_counts(self.values)


def numeric_profile(values: pd.Series) -> NumericProfile | None:
    """Range statistics of a column coerced to numbers; None with too little support."""
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    x = x[np.isfinite(x)]
    if len(x) < MIN_SUPPORT:
        return None
    return NumericProfile(n=int(len(x)), minimum=float(x.min()), maximum=float(x.max()))


def categories(values: pd.Series) -> list[str] | None:
    """Sorted reference categories as stored (VARCHAR); None when too few or too many."""
    v = values.dropna()
    if len(v) < MIN_SUPPORT:
        return None
    if pd.api.types.is_bool_dtype(v):
        v = v.map(lambda b: "true" if b else "false")  # DuckDB's CAST(BOOLEAN AS VARCHAR)
    distinct = pd.unique(v.astype(str))
    if len(distinct) > MAX_CATEGORIES or (len(v) > 50 and len(distinct) > 0.5 * len(v)):
        return None
    return sorted(str(c) for c in distinct)


def null_rate(values: pd.Series) -> float:
    """Share of nulls in a reference column, in [0, 1] (0 for an empty column)."""
    return float(values.isna().mean()) if len(values) else 0.0


def null_thresholds(p0: float, day_rows: int | None) -> tuple[float, float]:
    """(warning, critical) null-rate ceilings for a column with reference null rate ``p0``.

    Critical: a quarter of the values present in the reference went missing (or five binomial
    standard deviations, whichever is wider). Warning: at most half-way there, at least the
    sampling noise of a day of ``day_rows`` rows.
    """
    n = day_rows or DEFAULT_DAY_ROWS
    sd = math.sqrt(max(p0 * (1 - p0), 1e-12) / n)
    critical = min(p0 + max(NULL_CRITICAL_SHARE * (1 - p0), 5 * sd), 1.0)
    slack = max(NULL_WARN_MIN_SLACK, NULL_WARN_REL_SLACK * p0, NULL_NOISE_SDS * sd)
    warning = p0 + min(slack, 0.5 * (critical - p0))
    return warning, critical


def mostly_for(max_null_rate: float) -> float:
    """GX ``mostly`` (required non-null share) for a null-rate ceiling, rounded down."""
    return max(math.floor((1.0 - max_null_rate) * 10_000) / 10_000, 0.0)


def day_counts(timestamps: pd.Series) -> list[int]:
    """Rows per calendar day of ``timestamps`` (unparseable and missing ones left out), in
    day order."""
    ts = pd.to_datetime(timestamps, errors="coerce").dropna()
    return [int(c) for c in ts.dt.normalize().value_counts().sort_index()]


def daily_rows(
    per_day: list[int] | None, n_rows: int, *, reference_days: int | None
) -> list[int] | None:
    """Rows per day in the reference: ``n_rows / reference_days`` when the span is given,
    else the counts per calendar day of its timestamps (:meth:`ColumnStats.day_counts`) when
    they span two days or more (the first and last day dropped as likely partial when there
    are four or more), else None (``per_day`` None: no timestamp column)."""
    if reference_days:
        return [max(round(n_rows / reference_days), 1)]
    if not per_day or len(per_day) < 2:
        return None
    return per_day[1:-1] if len(per_day) >= 4 else list(per_day)


def row_count_bounds(per_day: list[int], tolerance: float) -> tuple[int, int]:
    """(min, max) rows a day: the 5th and 95th percentile of ``per_day`` widened by
    ``tolerance`` (a share, e.g. 0.5 for +-50%)."""
    lo, hi = np.quantile(np.asarray(per_day, dtype=float), [0.05, 0.95])
    return max(int(math.floor(lo * (1 - tolerance))), 1), int(math.ceil(hi * (1 + tolerance)))


def looks_like_percent(name: str, profile: NumericProfile) -> bool:
    """True for a column named like a percentage whose reference values lie in [0, 100]."""
    in_range = 0 <= profile.minimum <= profile.maximum <= 100
    return in_range and bool(PERCENT_NAME.search(name.lower()))


def round_out(x: float, *, up: bool, digits: int = 6) -> float:
    """``x`` rounded to ``digits`` significant digits away from the inside of a range."""
    if x == 0 or not math.isfinite(x):
        return float(x)
    scale = 10 ** (digits - math.ceil(math.log10(abs(x))))
    return (math.ceil(x * scale) if up else math.floor(x * scale)) / scale
