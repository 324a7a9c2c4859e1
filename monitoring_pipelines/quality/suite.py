"""Starter Great Expectations suites generated from a model's reference data (DQ-1).

A suite is a GX 1.x ExpectationSuite stored as JSON (``expectations/<model>.json``) and meant
to be edited by people. Every expectation carries GX's own ``severity`` field and the same value
in ``meta.severity`` with a ``meta.reason``. Critical means the day must stop (structure broken
or impossible values); warning means look at it (ranges, categories, volume, mild null growth).

Timestamps are checked against two suite parameters supplied at validation time:
``{"$PARAMETER": "day_start"}`` (the partition day at 00:00, inclusive) and
``{"$PARAMETER": "day_end"}`` (the next day at 00:00, exclusive).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.quality import profile as P
from monitoring_pipelines.store.columns import expected_columns

CRITICAL = "critical"
WARNING = "warning"
OUTPUT_NULL_CRITICAL = 0.5
"""Critical when more than this share of a day's predictions or scores is null."""
ALL_NULL_GUARD_MOSTLY = 0.01
"""Columns absent from the reference must still be at least this share non-null."""
TYPE_LISTS: dict[str, list[str]] = {
    "DOUBLE": ["float64", "float32", "int64", "int32", "int16", "int8"],
    "VARCHAR": ["str", "string"],
    "TIMESTAMP": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}


class SuiteError(ValueError):
    """A suite file is unreadable or not a valid GX 1.x suite; the message names the file."""


def _exp(kind: str, severity: str, reason: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation as GX 1.x JSON, with ``severity`` set in the field and in meta."""
    name = "expect_" + kind
    return {"type": name, "kwargs": kwargs, "meta": {"severity": severity, "reason": reason},
            "severity": severity}


def _null_checks(col: str, p0: float | None, *, day_rows: int | None, critical: bool,
                 warn_floor: float = 0.0, crit_floor: float = 0.0) -> list[dict]:
    """Not-null expectations for a column whose reference null rate is ``p0``: a warning
    ``mostly`` and, when ``critical``, a critical one far beyond it (``p0`` None: absent from
    the reference, only a guard against an (almost) entirely null column)."""
    sev = CRITICAL if critical else WARNING
    if p0 is None:
        return [_exp("column_values_to_not_be_null", sev,
                     "absent from the reference: must not be (almost) entirely null",
                     column=col, mostly=ALL_NULL_GUARD_MOSTLY)]
    if p0 >= 1.0:
        return []
    warn, crit = P.null_thresholds(p0, day_rows)
    crit = max(crit, crit_floor)
    warn = min(max(warn, p0 + warn_floor), crit)
    ref_txt = f"reference null rate {p0:.2%}"
    out = [_exp("column_values_to_not_be_null", WARNING, f"{ref_txt}; warning above {warn:.2%} "
                "null", column=col, mostly=P.mostly_for(warn))]
    if critical:
        out.append(_exp("column_values_to_not_be_null", CRITICAL, f"{ref_txt}; critical above "
                        f"{crit:.2%} null (column missing or broken upstream)", column=col,
                        mostly=P.mostly_for(crit)))
    return out


def _numeric_checks(col: str, prof: P.NumericProfile, *, critical: bool, what: str) -> list[dict]:
    """Warning range with margin; critical sign, percent and gross-scale bounds."""
    lo, hi = prof.warn_range()
    out = [_exp("column_values_to_be_between", WARNING,
                f"{what} range [{prof.minimum:g}, {prof.maximum:g}] widened by "
                f"{P.RANGE_MARGIN:.0%} of its width", column=col, min_value=lo, max_value=hi,
                mostly=P.RANGE_MOSTLY)]
    if not critical:
        return out
    if P.looks_like_percent(col, prof):
        out.append(_exp("column_values_to_be_between", CRITICAL,
                        "a percentage: values outside [0, 100] are impossible",
                        column=col, min_value=0, max_value=100))
    elif prof.non_negative:
        out.append(_exp("column_values_to_be_between", CRITICAL,
                        f"non-negative by nature ({what} min {prof.minimum:g} is near 0): "
                        "negative values are impossible", column=col, min_value=0))
    glo, ghi = prof.gross_range()
    bounds = {"max_value": ghi} if prof.non_negative else {"min_value": glo, "max_value": ghi}
    out.append(_exp("column_values_to_be_between", CRITICAL,
                    f"more than {1 - P.GROSS_MOSTLY:.0%} of values a full {what} width beyond "
                    "its range: a unit or scale break", column=col, mostly=P.GROSS_MOSTLY,
                    **bounds))
    return out


def _column_checks(cfg: ModelConfig, col: str, ref: pd.Series | None, label: pd.Series | None,
                   day_rows: int | None) -> list[dict]:
    """Content expectations of one declared column, by its role in the config."""
    c = cfg.columns
    roles = {v: k for k, v in cfg.role_columns().items()}
    role = "class_score" if col in c.class_scores.values() else roles.get(col)
    failed_rate = cfg.thresholds.health.max_failed_rate
    out: list[dict] = []
    if role == "prediction_id":
        return [_exp("column_values_to_not_be_null", CRITICAL, "every prediction has an id",
                     column=col),
                _exp("column_values_to_be_unique", CRITICAL, "prediction ids identify rows",
                     column=col)]
    if role == "timestamp":
        return [_exp("column_values_to_not_be_null", CRITICAL, "every prediction has a time",
                     column=col),
                _exp("column_values_to_be_between", CRITICAL,
                     "predictions belong to the partition day [day_start, day_end)", column=col,
                     min_value={"$PARAMETER": "day_start"}, max_value={"$PARAMETER": "day_end"},
                     strict_max=True)]
    if role in ("score", "class_score", "prediction"):
        p0 = P.null_rate(ref) if ref is not None else 0.0
        out += _null_checks(col, p0, day_rows=day_rows, critical=True, warn_floor=failed_rate,
                            crit_floor=OUTPUT_NULL_CRITICAL)
    if role in ("score", "class_score"):
        out.append(_exp("column_values_to_be_between", CRITICAL,
                        "scores are probabilities in [0, 1]", column=col, min_value=0, max_value=1))
    elif role == "prediction" and cfg.task is not Task.regression:
        out.append(_exp("column_values_to_be_in_set", CRITICAL,
                        "a classifier predicts one of its declared classes", column=col,
                        value_set=list(cfg.class_values)))
    elif role == "prediction":
        prof = P.numeric_profile(ref) if ref is not None else None
        if prof is not None:
            out += _numeric_checks(col, prof, critical=True, what="reference prediction")
        elif label is not None and (lab := P.numeric_profile(label)) is not None:
            out += _numeric_checks(col, lab, critical=False, what="reference label")
    elif role == "latency":
        out.append(_exp("column_values_to_be_between", CRITICAL,
                        "latency cannot be negative", column=col, min_value=0))
        if ref is not None and (prof := P.numeric_profile(ref)) is not None:
            out += _numeric_checks(col, prof, critical=False, what="reference")
    elif role is None:  # features, segments, sensitive attributes
        feature = col in cfg.features.all
        p0 = P.null_rate(ref) if ref is not None else None
        out += _null_checks(col, p0, day_rows=day_rows, critical=feature)
        if ref is not None and col in cfg.features.numeric:
            if (prof := P.numeric_profile(ref)) is not None:
                out += _numeric_checks(col, prof, critical=True, what="reference")
        elif ref is not None and (cats := P.categories(ref)) is not None:
            out.append(_exp("column_values_to_be_in_set", WARNING,
                            f"{len(cats)} reference categories; new ones are drift, not breakage",
                            column=col, value_set=cats, mostly=P.CATEGORY_MOSTLY))
    return out


def _volume(cfg: ModelConfig, reference: pd.DataFrame,
            reference_days: int | None) -> tuple[list[int] | None, str]:
    """Rows per day to expect and where that figure comes from."""
    if cfg.volume.expected_daily_rows:
        return [cfg.volume.expected_daily_rows], "config volume.expected_daily_rows"
    ts_col = cfg.columns.timestamp
    ts = reference[ts_col] if ts_col in reference.columns else None
    per_day = P.daily_rows(ts, len(reference), reference_days=reference_days)
    src = "reference rows / reference_days" if reference_days else "reference rows per day"
    return per_day, src


def suggest_suite(
    cfg: ModelConfig, reference: pd.DataFrame, *, reference_days: int | None = None
) -> dict[str, Any]:
    """A starter suite for ``cfg`` profiled from ``reference`` (training data, or the first
    production days). ``reference_days`` is how many days of traffic the reference holds when
    it has no timestamps (used for row-count bounds).

    Returns the suite as GX 1.x JSON: ``gx.ExpectationSuite(**suite)`` rebuilds it and
    ``.to_json_dict()`` gives it back.
    """
    per_day, vol_src = _volume(cfg, reference, reference_days)
    day_rows = int(pd.Series(per_day).median()) if per_day else None
    label_col = cfg.columns.label
    label = reference[label_col] if label_col and label_col in reference.columns else None
    exps = [_exp("table_row_count_to_be_between", CRITICAL, "a day without rows cannot be "
                 "monitored", min_value=1)]
    if per_day:
        tol = cfg.thresholds.health.volume_tolerance
        lo, hi = P.row_count_bounds(per_day, tol)
        exps.append(_exp("table_row_count_to_be_between", WARNING,
                         f"{vol_src} (median {day_rows}) +-{tol:.0%}", min_value=lo, max_value=hi))
    for col, db_type in expected_columns(cfg).items():
        exps.append(_exp("column_to_exist", CRITICAL, "declared in the model config", column=col))
        if db_type in TYPE_LISTS:
            exps.append(_exp("column_values_to_be_in_type_list", CRITICAL,
                             f"stored as {db_type}", column=col, type_list=TYPE_LISTS[db_type]))
        ref = reference[col] if col in reference.columns else None
        exps += _column_checks(cfg, col, ref, label, day_rows)
    suite = {
        "name": cfg.name,
        "expectations": exps,
        "meta": {
            "model": cfg.name,
            "task": cfg.task.value,
            "generated_by": "monitoring_pipelines.quality.suggest_suite",
            "reference_rows": len(reference),
            "expected_daily_rows": day_rows,
            "suite_parameters": {"day_start": "partition day 00:00, inclusive",
                                 "day_end": "next day 00:00, exclusive"},
            "severity": "the GX `severity` field decides; meta.severity mirrors it",
        },
    }
    return json.loads(json.dumps(gx.ExpectationSuite(**suite).to_json_dict()))


def write_suite(suite: dict[str, Any] | gx.ExpectationSuite, path: Path) -> Path:
    """Validate ``suite`` as a GX suite and write it atomically as indented JSON; returns path."""
    data = suite.to_json_dict() if isinstance(suite, gx.ExpectationSuite) else suite
    text = json.dumps(gx.ExpectationSuite(**data).to_json_dict(), indent=2) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_suite(path: Path) -> gx.ExpectationSuite:
    """The GX suite stored at ``path``; raises :class:`SuiteError` naming the file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read suite JSON: {exc}") from exc
    if not isinstance(data, dict) or "expectations" not in data:
        raise SuiteError(f"{path}: expected an object with 'name' and 'expectations'")
    try:
        return gx.ExpectationSuite(**data)
    except Exception as exc:  # GX raises pydantic, marshmallow or its own errors
        raise SuiteError(f"{path}: not a valid GX 1.x expectation suite: {exc}") from exc
