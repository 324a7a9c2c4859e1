"""Reads that several steps of one Dagster run make alike, made once per run.

A day's run reads the day's predictions (with or without their labels) in six steps: the
estimated and realized performance, the operating point, the model comparison, the segment
search and the slice search. Every one of them runs downstream of the ingestion steps that write
those rows, so within one run the rows do not change between the readers; 30-60 ms a read
on a W1 day (33,000 rows). :func:`run_memo` keeps what the current run read and hands each
caller its own copy (a caller may change what it gets). A new run id (the next day, a label
refresh, a re-execution) drops it all; so does
:func:`~monitoring_pipelines.store.derived.release_caches`. Outside a run (an asset function
invoked directly has the run id ``EPHEMERAL``) nothing is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd

from monitoring_pipelines.store.derived import releasable
from monitoring_pipelines.store.sql import database_path

T = TypeVar("T")

NO_RUN = "EPHEMERAL"  # Dagster's run id of a directly invoked asset
_LOCK = threading.Lock()
_MEMO: dict[Hashable, object] = {}
_RUN: list[str | None] = [None]


@releasable
def forget() -> None:
    """Drop everything kept."""
    with _LOCK:
        _MEMO.clear()
        _RUN[0] = None


def run_memo(run_id: str, key: Hashable, read: Callable[[], T], copy: Callable[[T], T]) -> T:
    """``copy`` of what ``read()`` returned the first time run ``run_id`` asked for ``key``
    (read now if it has not); ``key`` must name the database and everything the read
    depends on."""
    if not run_id or run_id == NO_RUN:
        return read()
    with _LOCK:
        if _RUN[0] != run_id:
            _MEMO.clear()
            _RUN[0] = run_id
        kept = _MEMO.get(key)
    if kept is None:
        kept = read()
        with _LOCK:
            if _RUN[0] == run_id:
                _MEMO[key] = kept
    return copy(kept)  # type: ignore[arg-type]


def run_frame(run_id: str | None, con, sql: str, params: list) -> pd.DataFrame:
    """``con.execute(sql, params).df()``, read once per run (see the module's docstring):
    the caller gets its own copy of the frame."""
    if not run_id or run_id == NO_RUN:
        return con.execute(sql, params).df()
    key = ("frame", database_path(con), sql, tuple(params))
    return run_memo(run_id, key, lambda: con.execute(sql, params).df(), lambda f: f.copy())
