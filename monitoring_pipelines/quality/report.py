"""The outcome of validating one day against a suite: one row per expectation."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

SEVERITIES = ("critical", "warning", "info")


def json_default(obj: Any) -> Any:
    """``json.dumps`` fallback: numpy scalars as Python numbers, anything else as ``str``."""
    if hasattr(obj, "item") and callable(obj.item):
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def to_json(value: Any) -> str:
    """``value`` as a JSON string (NaN and infinities become null)."""
    return json.dumps(_finite(json.loads(json.dumps(value, default=json_default))))


def jsonable(value: Any) -> Any:
    """``value`` converted to plain JSON types (dict, list, str, float, int, bool, None)."""
    return json.loads(to_json(value))


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


def expectation_id(expectation_type: str, kwargs: dict[str, Any]) -> str:
    """Stable id of an expectation: ``<type>:<column or _table>:<8 hex of the other kwargs>``.

    The same expectation with the same arguments has the same id in every run and every suite;
    editing an argument (``mostly``, a bound) gives a new id.
    """
    rest = {k: v for k, v in kwargs.items() if k not in ("column", "batch_id")}
    digest = hashlib.sha256(
        json.dumps(rest, sort_keys=True, default=json_default).encode()
    ).hexdigest()[:8]
    return f"{expectation_type}:{kwargs.get('column') or '_table'}:{digest}"


@dataclass(frozen=True)
class ExpectationOutcome:
    """How one expectation fared on one day.

    ``unexpected_percent`` is a percentage (0-100) as GX reports it: of the non-null values for
    most column expectations, of all rows for not-null expectations; None when the expectation
    does not count rows (table, type, existence) or the day is empty. ``observed_value`` is a
    JSON string (``"null"`` when GX reports none). ``details`` is JSON-able: the expectation's
    kwargs, ``reason``, element and missing counts, a sample of unexpected values, and any
    exception messages (e.g. a missing column).
    """

    expectation_id: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    observed_value: str
    unexpected_count: int | None
    unexpected_percent: float | None
    details: dict[str, Any]


@dataclass(frozen=True)
class QualityReport:
    """Every expectation outcome of one day, in suite order, plus how the run went.

    ``row_count`` is the number of rows validated; ``elapsed_seconds`` is wall time of the
    validation (the screens, the read of the rows they leave to GX, and GX; the GX context's
    creation excluded); ``result_format`` the GX result format used.
    """

    day: date
    suite_name: str
    row_count: int
    result_format: str
    elapsed_seconds: float
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def failures(self) -> list[ExpectationOutcome]:
        """Failed expectations of any severity."""
        return [o for o in self.outcomes if not o.success]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        """Failed critical expectations: the day must not flow downstream."""
        return [o for o in self.failures if o.severity == "critical"]

    @property
    def warning_failures(self) -> list[ExpectationOutcome]:
        """Failed warning expectations: shown, never blocking."""
        return [o for o in self.failures if o.severity == "warning"]

    @property
    def success(self) -> bool:
        """True when every expectation passed (any severity), as GX defines suite success."""
        return not self.failures

    def blocks(self, max_critical_failures: int = 0) -> bool:
        """True when more critical expectations failed than ``max_critical_failures`` allows
        (the config's ``thresholds.quality.max_critical_failures``)."""
        return len(self.critical_failures) > max_critical_failures

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per expectation (``details`` as a JSON string) for a table or DataFrame."""
        rows = []
        for o in self.outcomes:
            row = asdict(o)
            row["details"] = to_json(o.details)
            rows.append({"day": self.day, "suite_name": self.suite_name, **row})
        return rows

    def summary(self) -> dict[str, Any]:
        """Headline figures: counts of expectations, failures by severity, rows, seconds."""
        return {
            "expectations": len(self.outcomes),
            "failed": len(self.failures),
            "critical_failures": len(self.critical_failures),
            "warning_failures": len(self.warning_failures),
            "rows": self.row_count,
            "elapsed_seconds": round(self.elapsed_seconds, 4),
        }
