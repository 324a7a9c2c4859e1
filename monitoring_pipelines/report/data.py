"""Reading the evaluation store for reports: every family generically, so a report shows
whatever vital signs exist and never fails on a missing one."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.store.metrics import as_dates

COLUMNS = ["day", "family", "metric", "subject", "value", "lower", "upper", "status"]
SEVERITY = {"ok": 0, "warn": 1, "alert": 2}


def load_metrics(
    con: duckdb.DuckDBPyConnection,
    model: str,
    first: date,
    last: date,
    families: list[str] | None = None,
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """The model's metric rows with ``first <= day <= last`` (all families, or ``families``;
    all metrics, or ``metrics``), sorted by day; ``day`` as ``datetime.date``. Empty frame
    with :data:`COLUMNS` if none."""
    sql = (
        "SELECT day, family, metric, subject, value, lower, upper, status FROM metrics "
        "WHERE model = ? AND day BETWEEN ? AND ?"
    )
    params: list = [model, first, last]
    for column, wanted in (("family", families), ("metric", metrics)):
        if wanted is None:
            continue
        if not wanted:
            return pd.DataFrame(columns=COLUMNS)
        sql += f" AND {column} IN ({', '.join('?' for _ in wanted)})"
        params += list(wanted)
    frame = con.execute(sql + " ORDER BY day, family, metric, subject", params).df()
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame["day"] = as_dates(frame["day"])
    return frame


def headline_series(frame: pd.DataFrame, family: str, metric: str) -> pd.DataFrame:
    """day, value, lower, upper of a subject-less metric of ``family`` (one row a day)."""
    # numpy comparisons of the object columns, each narrowing the rows the next compares:
    # a report asks for dozens of series from a history of tens of thousands of rows
    at = np.flatnonzero(frame["family"].to_numpy() == family)
    at = at[frame["metric"].to_numpy()[at] == metric]
    at = at[frame["subject"].to_numpy()[at] == ""]
    return frame[["day", "value", "lower", "upper", "status"]].iloc[at].reset_index(drop=True)


def worst_status(statuses) -> str:
    """The most severe of ``statuses`` ('ok' when empty)."""
    best = "ok"
    for s in statuses:
        if SEVERITY.get(s, 0) > SEVERITY[best]:
            best = s
    return best
