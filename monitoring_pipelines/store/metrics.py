"""The evaluation store: one long table ``metrics`` that every vital sign writes to.

Columns: model, day, family, metric, subject ('' when none), value, lower, upper,
status (ok | warn | alert), computed_at, run_id. A family's rows for one model and day are
replaced as a whole, inside the caller's transaction, so a re-run never leaves stale figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.store.sql import insert_rows

STATUSES = ("ok", "warn", "alert")


@dataclass(frozen=True)
class Metric:
    """One figure. ``value`` may be None (not computable); bounds are optional."""

    metric: str
    value: float | None
    subject: str = ""
    lower: float | None = None
    upper: float | None = None
    status: str = "ok"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")


def _clean(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def replace_metrics(
    con: duckdb.DuckDBPyConnection,
    *,
    model: str,
    day: date,
    family: str,
    metrics: list[Metric],
    run_id: str | None = None,
) -> int:
    """Replace the (model, day, family) rows with ``metrics``; returns the rows written.

    Call inside :func:`~monitoring_pipelines.store.connection.transaction` together with the
    data the figures describe, so both change together or not at all.
    """
    return replace_families(con, model=model, day=day, families={family: metrics}, run_id=run_id)


def replace_families(
    con: duckdb.DuckDBPyConnection,
    *,
    model: str,
    day: date,
    families: dict[str, list[Metric]],
    run_id: str | None = None,
) -> int:
    """:func:`replace_metrics` of several families of one model's day in one DELETE and one
    INSERT (each statement costs a few ms whatever its size); returns the rows written."""
    names = list(families)
    if not names:
        return 0
    con.execute(
        f"DELETE FROM metrics WHERE model = ? AND day = ? AND family IN "
        f"({', '.join('?' for _ in names)})",
        [model, day, *names],
    )
    rows = [(family, m) for family, metrics in families.items() for m in metrics]
    if not rows:
        return 0
    now = datetime.now()
    frame = pd.DataFrame(
        {
            "model": model,
            "day": pd.Timestamp(day),
            "family": [family for family, _ in rows],
            "metric": [m.metric for _, m in rows],
            "subject": [m.subject for _, m in rows],
            "value": [_clean(m.value) for _, m in rows],
            "lower": [_clean(m.lower) for _, m in rows],
            "upper": [_clean(m.upper) for _, m in rows],
            "status": [m.status for _, m in rows],
            "computed_at": now,
            "run_id": run_id,
        }
    )
    frame["day"] = frame["day"].dt.date
    insert_rows(con, "metrics", frame, list(frame.columns))
    return len(rows)


def as_dates(days: pd.Series) -> pd.Series:
    """``days`` (datetime64 or dates, as DuckDB returns a DATE column) as ``datetime.date``
    objects: each distinct day converted once, so a long history costs as much as its days
    (``.dt.date`` builds one object per row: a 30-day report spent 80 ms a day on it)."""
    codes, uniques = pd.factorize(days, sort=False)
    dates = np.array([pd.Timestamp(u).date() for u in uniques] + [None], dtype=object)
    return pd.Series(dates[codes], index=days.index, name=days.name)
