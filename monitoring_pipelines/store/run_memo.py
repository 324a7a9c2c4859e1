"""Reads that several steps of one Dagster run make alike, made once per run.

A day's run reads the day's predictions (with or without their labels) in six steps: the
estimated and realized performance, the operating point, the model comparison, the segment
search and the slice search. Every one of them runs downstream of the ingestion steps that write
those rows, so within one run the rows do not change between the readers; 30-60 ms a read
on a W1 day (33,000 rows). :func:`run_frame` keeps what the current run read and hands each
caller its own copy (a caller may change what it gets). A new run id (the next day, a label
refresh, a re-execution) drops it all; so does
:func:`~monitoring_pipelines.store.derived.release_caches`. Outside a run (an asset function
invoked directly has the run id ``EPHEMERAL``) nothing is kept.
"""

from __future__ import annotations

import threading

import pandas as pd

from monitoring_pipelines.store.derived import releasable
from monitoring_pipelines.store.sql import database_path

NO_RUN = "EPHEMERAL"  # Dagster's run id of a directly invoked asset
_LOCK = threading.Lock()
_MEMO: dict[tuple, pd.DataFrame] = {}  # (database, sql, parameters) -> the frame read
_run: str | None = None  # whose reads _MEMO holds


@releasable
def forget() -> None:
    """Drop everything kept."""
    global _run
    with _LOCK:
        _MEMO.clear()
        _run = None


def run_frame(run_id: str | None, con, sql: str, params: list) -> pd.DataFrame:
    """``con.execute(sql, params).df()``, read the first time run ``run_id`` asks for it on
    ``con``'s database and kept for the rest of the run (see the module's docstring); the
    caller gets its own copy of the frame."""
    global _run
    if not run_id or run_id == NO_RUN:
        return con.execute(sql, params).df()
    key = (database_path(con), sql, tuple(params))
    with _LOCK:
        if _run != run_id:
            _MEMO.clear()
            _run = run_id
        kept = _MEMO.get(key)
    if kept is None:
        kept = con.execute(sql, params).df()
        with _LOCK:
            if _run == run_id:
                _MEMO[key] = kept
    return kept.copy()
