"""The expectations a starter suite holds for each declared column, by the column's role.

Critical: structure broken or values impossible (the day must stop). Warning: unusual but
possible (ranges with margin, categories, volume, mild null growth).
"""

from __future__ import annotations

from typing import Any

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.quality import stats as P

CRITICAL = "critical"
WARNING = "warning"
EXIST = "expect_column_to_exist"
TYPES = "expect_column_values_to_be_in_type_list"
NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"
ROWS = "expect_table_row_count_to_be_between"
OUTPUT_NULL_CRITICAL = 0.5
"""Critical when more than this share of a day's predictions or scores is null."""
ALL_NULL_GUARD_MOSTLY = 0.01
"""Columns absent from the reference must still be at least this share non-null."""
TYPE_LISTS: dict[str, list[str]] = {
    "DOUBLE": ["float64", "float32", "int64", "int32", "int16", "int8", "float", "int"],
    "VARCHAR": ["str", "string"],
    "TIMESTAMP": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
    "BOOLEAN": ["bool", "boolean"],
}


def expectation(type_: str, severity: str, reason: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation as GX 1.x JSON, ``severity`` set both in GX's field and in meta."""
    meta = {"severity": severity, "reason": reason}
    return {"type": type_, "kwargs": kwargs, "meta": meta, "severity": severity}


def crit(type_: str, reason: str, **kwargs: Any) -> dict[str, Any]:
    """A critical expectation (see :func:`expectation`)."""
    return expectation(type_, CRITICAL, reason, **kwargs)


def warn(type_: str, reason: str, **kwargs: Any) -> dict[str, Any]:
    """A warning expectation (see :func:`expectation`)."""
    return expectation(type_, WARNING, reason, **kwargs)


def schema_checks(col: str, db_type: str) -> list[dict]:
    """The column exists and holds values of its stored DuckDB type (both critical)."""
    out = [crit(EXIST, "declared in the model config", column=col)]
    if db_type in TYPE_LISTS:
        out.append(crit(TYPES, f"stored as {db_type}", column=col, type_list=TYPE_LISTS[db_type]))
    return out


def null_checks(
    col: str,
    p0: float | None,
    *,
    day_rows: int | None,
    critical: bool,
    warn_floor: float = 0.0,
    crit_floor: float = 0.0,
) -> list[dict]:
    """Not-null expectations for a column whose reference null rate is ``p0``: a warning
    ``mostly`` and, when ``critical``, a critical one far beyond it (``p0`` None: absent from
    the reference, only a guard against an (almost) entirely null column)."""
    if p0 is None:
        reason = "absent from the reference: must not be (almost) entirely null"
        sev = CRITICAL if critical else WARNING
        return [expectation(NOT_NULL, sev, reason, column=col, mostly=ALL_NULL_GUARD_MOSTLY)]
    if p0 >= 1.0:
        return []
    w, c = P.null_thresholds(p0, day_rows)
    c = max(c, crit_floor)
    w = min(max(w, p0 + warn_floor), c)
    ref = f"reference null rate {p0:.2%}"
    out = [warn(NOT_NULL, f"{ref}; warning above {w:.2%} null", column=col, mostly=P.mostly_for(w))]
    if critical:
        reason = f"{ref}; critical above {c:.2%} null (column missing or broken upstream)"
        out.append(crit(NOT_NULL, reason, column=col, mostly=P.mostly_for(c)))
    return out


def numeric_checks(col: str, prof: P.NumericProfile, *, critical: bool, what: str) -> list[dict]:
    """Warning range with margin; with ``critical``, the impossible: a percentage outside
    [0, 100], a negative value of a non-negative column, or a unit/scale break (many values
    a whole reference width beyond the range)."""
    lo, hi = prof.warn_range()
    span = f"{what} range [{prof.minimum:g}, {prof.maximum:g}]"
    reason = f"{span} widened by {P.RANGE_MARGIN:.0%} of its width"
    out = [warn(BETWEEN, reason, column=col, min_value=lo, max_value=hi, mostly=P.RANGE_MOSTLY)]
    if not critical:
        return out
    if P.looks_like_percent(col, prof):
        reason = "a percentage: values outside [0, 100] are impossible"
        out.append(crit(BETWEEN, reason, column=col, min_value=0, max_value=100))
    elif prof.non_negative:
        reason = f"non-negative by nature ({what} min {prof.minimum:g} is near 0)"
        out.append(
            crit(BETWEEN, reason + ": negative values are impossible", column=col, min_value=0)
        )
    glo, ghi = prof.gross_range()
    bounds = {"max_value": ghi} if prof.non_negative else {"min_value": glo, "max_value": ghi}
    reason = (
        f"more than {1 - P.GROSS_MOSTLY:.0%} of values a full {what} width beyond its range: "
        "a unit or scale break"
    )
    out.append(crit(BETWEEN, reason, column=col, mostly=P.GROSS_MOSTLY, **bounds))
    return out


def _output_checks(
    cfg: ModelConfig,
    col: str,
    role: str,
    ref: P.ColumnStats | None,
    label: P.ColumnStats | None,
    day_rows: int | None,
) -> list[dict]:
    """Predictions and scores: rarely null (failed predictions), scores in [0, 1],
    classes among the declared ones, regression outputs within the reference's range."""
    p0 = ref.null_rate() if ref is not None else 0.0
    failed = cfg.thresholds.health.max_failed_rate
    out = null_checks(
        col,
        p0,
        day_rows=day_rows,
        critical=True,
        warn_floor=failed,
        crit_floor=OUTPUT_NULL_CRITICAL,
    )
    if role in ("score", "class_score"):
        reason = "scores are probabilities in [0, 1]"
        out.append(crit(BETWEEN, reason, column=col, min_value=0, max_value=1))
    elif cfg.task is not Task.regression:
        reason = "a classifier predicts one of its declared classes"
        out.append(crit(IN_SET, reason, column=col, value_set=list(cfg.class_values)))
    elif ref is not None and (prof := ref.numeric_profile()) is not None:
        out += numeric_checks(col, prof, critical=True, what="reference prediction")
    elif label is not None and (lab := label.numeric_profile()) is not None:
        out += numeric_checks(col, lab, critical=False, what="reference label")
    return out


def column_checks(
    cfg: ModelConfig,
    col: str,
    ref: P.ColumnStats | None,
    label: P.ColumnStats | None,
    day_rows: int | None,
) -> list[dict]:
    """Content expectations of one declared column (beyond :func:`schema_checks`), by its
    role in the config; ``ref`` is the column in the reference (None when absent) and
    ``label`` the reference's label column (regression ranges when predictions are absent),
    each as its statistics."""
    c = cfg.columns
    roles = {v: k for k, v in cfg.role_columns().items()}
    role = "class_score" if col in c.class_scores.values() else roles.get(col)
    if role == "prediction_id":
        return [
            crit(NOT_NULL, "every prediction has an id", column=col),
            crit(UNIQUE, "prediction ids identify rows", column=col),
        ]
    if role == "timestamp":
        day = {"min_value": {"$PARAMETER": "day_start"}, "max_value": {"$PARAMETER": "day_end"}}
        reason = "predictions belong to the partition day [day_start, day_end)"
        return [
            crit(NOT_NULL, "every prediction has a time", column=col),
            crit(BETWEEN, reason, column=col, strict_max=True, **day),
        ]
    if role in ("score", "class_score", "prediction"):
        return _output_checks(cfg, col, role, ref, label, day_rows)
    if role == "latency":
        out = [crit(BETWEEN, "latency cannot be negative", column=col, min_value=0)]
        if ref is not None and (prof := ref.numeric_profile()) is not None:
            out += numeric_checks(col, prof, critical=False, what="reference")
        return out
    if role is not None or col == cfg.review.control_column:
        return []  # model version, error, the review control flag: schema only
    # features, segments, sensitive attributes: only features can stop the day
    feature = col in cfg.features.all
    out = null_checks(
        col, None if ref is None else ref.null_rate(), day_rows=day_rows, critical=feature
    )
    if ref is None:
        return out
    if col in cfg.features.numeric:
        if (prof := ref.numeric_profile()) is not None:
            out += numeric_checks(col, prof, critical=True, what="reference")
    elif (cats := ref.categories()) is not None:
        reason = f"{len(cats)} reference categories; new ones are drift, not breakage"
        out.append(warn(IN_SET, reason, column=col, value_set=cats, mostly=P.CATEGORY_MOSTLY))
    return out
