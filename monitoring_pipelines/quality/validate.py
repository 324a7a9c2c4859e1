"""Validate one day's predictions against a GX 1.x suite (DQ-2), without Dagster.

One ephemeral GX context per process (created on first use, progress bars off) holds a pandas
data source with one dataframe asset; each call validates a batch built from the frame.
"""

from __future__ import annotations

import copy
import functools
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.quality.fastpath import screen
from monitoring_pipelines.quality.report import (
    SEVERITIES,
    ExpectationOutcome,
    QualityReport,
    expectation_id,
    jsonable,
    to_json,
)

if TYPE_CHECKING:
    import great_expectations as gx

RESULT_FORMATS = ("BOOLEAN_ONLY", "BASIC", "SUMMARY", "COMPLETE")
DEFAULT_RESULT_FORMAT = "BASIC"
"""The cheapest GX format that still reports unexpected_count and unexpected_percent."""
_LOCK = threading.Lock()


@functools.cache
def _batch_definition() -> Any:
    """The process-wide GX batch definition (whole dataframe) of an ephemeral context."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        analytics_enabled=False,
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    asset = context.data_sources.add_pandas("monitoring_pipelines").add_dataframe_asset("day")
    return asset.add_batch_definition_whole_dataframe("whole_day")


def warm_up() -> float:
    """Create the process's GX context now (not on the first validation); returns seconds."""
    start = time.perf_counter()
    _batch_definition()
    return time.perf_counter() - start


def _columns_used(expectations: list[dict[str, Any]]) -> set[str] | None:
    """Columns the expectations read; None (all of them) when an expectation may look at the
    whole table: a schema or custom one naming no column, or one with a ``row_condition``."""
    used: set[str] = set()
    for e in expectations:
        kw = e.get("kwargs") or {}
        cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
        cols += list(kw.get("column_list") or [])
        row_count = str(e.get("type", "")).startswith("expect_table_row_count")
        if kw.get("row_condition") or not (cols or row_count):
            return None
        used.update(str(c) for c in cols)
    return used


def _normalize(frame: pd.DataFrame, columns: set[str] | None) -> pd.DataFrame:
    """A consolidated copy of the ``columns`` of ``frame`` (all when None) in dtypes GX handles
    well: extension dtypes become numpy/object ones (nullable numbers -> float64, strings,
    booleans and categories -> object with None) and timestamps naive datetime64[ns] (tz-aware
    ones converted to UTC).

    Why: GX 1.24 compares only datetime64[ns] columns vectorised (DuckDB gives [us]: one Python
    call per row), and copies the whole frame for each column it filters, so unused columns go
    and the copy is one block per dtype.
    """
    keep = [c for c in frame.columns if columns is None or c in columns]
    out = frame[keep].copy()
    for col, dtype in out.dtypes.items():
        s = out[col]
        if isinstance(dtype, pd.DatetimeTZDtype):
            out[col] = s.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            if dtype != np.dtype("datetime64[ns]"):
                try:
                    out[col] = s.astype("datetime64[ns]")
                except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
                    pass  # outside the ns range (years 1677-2262): left as it is
        elif not isinstance(dtype, pd.api.extensions.ExtensionDtype) or isinstance(
            dtype, pd.PeriodDtype | pd.IntervalDtype
        ):
            continue
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            out[col] = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    return out


def _severity(raw: dict[str, Any]) -> str:
    """The GX ``severity`` field when present, else ``meta.severity``, else GX's default."""
    sev = raw.get("severity") or (raw.get("meta") or {}).get("severity") or "critical"
    sev = str(getattr(sev, "value", sev)).lower()
    return sev if sev in SEVERITIES else "critical"


def _exception_messages(info: dict[str, Any] | None) -> list[str]:
    """Messages of exceptions GX caught while computing an expectation (flat or per metric)."""
    if not info:
        return []
    entries = [info] if "raised_exception" in info else list(info.values())
    return [
        str(e.get("exception_message"))
        for e in entries
        if isinstance(e, dict) and e.get("raised_exception")
    ]


def _outcome(raw: dict[str, Any], severity: str, result: Any) -> ExpectationOutcome:
    """One report row from a suite expectation and its GX result (None: no result came back)."""
    kwargs = raw.get("kwargs") or {}
    r = dict(result.result or {}) if result is not None else {}
    errors = _exception_messages(result.exception_info) if result is not None else ["no result"]
    details = {
        "kwargs": kwargs,
        "reason": (raw.get("meta") or {}).get("reason"),
        "element_count": r.get("element_count"),
        "missing_count": r.get("missing_count"),
        "partial_unexpected_list": r.get("partial_unexpected_list"),
        "exceptions": errors,
    }
    count = r.get("unexpected_count")
    percent = r.get("unexpected_percent")
    return ExpectationOutcome(
        expectation_id=expectation_id(raw["type"], kwargs),
        expectation_type=raw["type"],
        column=kwargs.get("column"),
        severity=severity,
        success=bool(result is not None and result.success),
        observed_value=to_json(r.get("observed_value")),
        unexpected_count=None if count is None else int(count),
        unexpected_percent=None if percent is None else float(percent),
        details=jsonable({k: v for k, v in details.items() if v not in (None, [])}),
    )


class _Passed:
    """A clean pass found by the screen, shaped like the GX result it stands for."""

    success = True
    exception_info = None

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


def day_parameters(day: date) -> dict[str, datetime]:
    """Suite parameters of a partition day: ``day_start`` (00:00) and ``day_end`` (next 00:00)."""
    start = datetime(day.year, day.month, day.day)
    return {"day_start": start, "day_end": start + timedelta(days=1)}


def validate_day(
    frame: pd.DataFrame,
    suite: gx.ExpectationSuite | dict[str, Any],
    *,
    day: date,
    result_format: str = DEFAULT_RESULT_FORMAT,
    parameters: dict[str, Any] | None = None,
    screened: bool = True,
) -> QualityReport:
    """Validate one day's stored predictions ``frame`` against ``suite``.

    ``day`` supplies the suite parameters ``day_start``/``day_end``; ``parameters`` adds or
    overrides others. A column the suite expects but the frame lacks, or an empty frame, gives
    failed (or vacuously passed) expectations, never an exception. Severity per expectation is
    GX's ``severity`` field (``meta.severity`` when a hand-written suite omits the field).

    With ``screened`` (the default), expectations that certainly pass with no unexpected value
    are checked with vectorised pandas (:mod:`monitoring_pipelines.quality.fastpath`) and only
    the others go through GX: the same outcomes, at a fraction of the time. ``screened=False``
    sends every expectation through GX.

    Returns a :class:`QualityReport` with one outcome per suite expectation, in suite order.
    """
    return _validate(lambda _rest: frame, suite, day, result_format, parameters, screened)


def validate_stored_day(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    suite: gx.ExpectationSuite | dict[str, Any],
    *,
    day: date,
    result_format: str = DEFAULT_RESULT_FORMAT,
    parameters: dict[str, Any] | None = None,
) -> QualityReport:
    """:func:`validate_day` of the rows of ``relation`` (a table or view with a ``_day``
    column) on ``day``, screened where they are stored: one DuckDB query finds the clean passes
    (:mod:`~monitoring_pipelines.quality.sqlscreen`), and only when some expectation is left
    are rows read into pandas, and then only the columns the expectations left use, for the
    frame screen and GX. The same outcomes as ``validate_day`` of ``SELECT *`` of the day."""
    from monitoring_pipelines.quality.sqlscreen import sql_screen
    from monitoring_pipelines.store.sql import qi

    where = "_day = ?"
    found: dict[str, Any] = {}

    def prescreen(
        raws: list[dict[str, Any]], params: dict[str, Any]
    ) -> tuple[dict[int, dict[str, Any]], int]:
        passed, n, types = sql_screen(con, relation, where, [day], raws, params, result_format)
        found["types"] = types
        return passed, n

    def read(rest: list[dict[str, Any]]) -> pd.DataFrame:
        used = _columns_used(rest)
        cols = [qi(c) for c in found["types"] if used is None or c in used]
        select = ", ".join(cols) or 'NULL AS "_no_column"'  # the rows, for a row count
        return con.execute(f"SELECT {select} FROM {relation} WHERE {where}", [day]).df()

    return _validate(read, suite, day, result_format, parameters, True, prescreen)


def _validate(
    read: Callable[[list[dict[str, Any]]], pd.DataFrame],
    suite: gx.ExpectationSuite | dict[str, Any],
    day: date,
    result_format: str,
    parameters: dict[str, Any] | None,
    screened: bool,
    prescreen: Callable[
        [list[dict[str, Any]], dict[str, Any]], tuple[dict[int, dict[str, Any]], int]
    ]
    | None = None,
) -> QualityReport:
    """The validation of :func:`validate_day`. ``read(expectations)`` gives the frame those
    expectations need; ``prescreen(expectations, parameters)`` (optional; the suite parameters
    resolved) the clean passes found before any frame is read and the number of rows: the
    frame is read only when expectations are left after it."""
    if result_format not in RESULT_FORMATS:
        raise ValueError(f"result_format must be one of {RESULT_FORMATS}, not {result_format!r}")
    data = suite.to_json_dict() if hasattr(suite, "to_json_dict") else suite
    data = copy.deepcopy(dict(data))
    raws = list(data.get("expectations") or [])
    by_id: dict[str, int] = {}
    severities = []
    for i, raw in enumerate(raws):
        severities.append(_severity(raw))
        gx_id = str(uuid.uuid4())
        by_id[gx_id] = i
        data["expectations"][i] = {**raw, "id": gx_id, "severity": severities[-1]}
    params = {**day_parameters(day), **(parameters or {})}
    start = time.perf_counter()
    passed, row_count = prescreen(raws, params) if prescreen is not None else ({}, 0)
    rest = [i for i in range(len(raws)) if i not in passed]
    if rest or prescreen is None:
        left = [raws[i] for i in rest]
        frame = read(left)
        row_count = len(frame)
        df = _normalize(frame, _columns_used(left))
        if screened:
            found = screen(df, left, params, result_format)
            passed.update({rest[j]: result for j, result in found.items()})
    results: list[Any] = [_Passed(passed[i]) if i in passed else None for i in range(len(raws))]
    data["expectations"] = [e for i, e in enumerate(data["expectations"]) if i not in passed]
    if data["expectations"]:
        import great_expectations as gx  # only when the screen left expectations to GX

        gx_suite = gx.ExpectationSuite(**data)
        batch_definition = _batch_definition()
        with _LOCK:
            batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
            result = batch.validate(
                gx_suite, result_format=result_format, expectation_parameters=params
            )
        for r in result.results:
            idx = by_id.get(str(r.expectation_config.id))
            if idx is not None:
                results[idx] = r
    elapsed = time.perf_counter() - start
    outcomes = tuple(
        _outcome(raw, sev, res) for raw, sev, res in zip(raws, severities, results, strict=True)
    )
    return QualityReport(
        day=day,
        suite_name=str(data.get("name", "")),
        row_count=row_count,
        result_format=result_format,
        elapsed_seconds=elapsed,
        outcomes=outcomes,
    )
