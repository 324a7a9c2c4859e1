"""When DuckDB's checkpoints merge the store's row groups.

A checkpoint (on close, or when the WAL passes 16 MB) may also *vacuum*: merge partly filled
row groups and rewrite those holding deleted rows. With DuckDB 2.0.1 that is what makes a
day's close slow: appending W1 days (33,000 rows) one by one to a 29-day store, the close
took 0.28 / 0.22 / 0.09 / 0.72 / 0.16 / 0.07 / 0.68 / 0.16 s, and re-running one day (its
rows deleted from a merged row group and written again) 0.65-0.75 s every time, against
0.06-0.07 s without vacuuming (``max_vacuum_tasks = 0``). Without it, emptied row groups are
still dropped; a day's rows stay in a row group of their own (33,000 rows instead of up to
122,880) and rows deleted from a shared one keep their space.

So the store vacuums at one writable open in :data:`COMPACT_EVERY` (the count kept in
``<store>.derived/writable-opens``): that checkpoint merges everything accumulated since the
last one (8 such days: 0.82 s, after which the predictions and metrics tables are back to
full row groups). ``MONITORING_COMPACT_EVERY=1`` vacuums at every checkpoint, as DuckDB does
by default. A counter that cannot be read or written leaves DuckDB's default in place.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from monitoring_pipelines.envvars import env_whole_number
from monitoring_pipelines.store.sql import folder_beside

COMPACT_EVERY = 20  # writable opens of the store per vacuuming one
DUCKDB_VACUUM_TASKS = 100  # DuckDB's default max_vacuum_tasks
COUNTER = "writable-opens"


def compact_every() -> int:
    """Writable opens per vacuuming one: ``MONITORING_COMPACT_EVERY`` (default 20)."""
    every = env_whole_number(
        "MONITORING_COMPACT_EVERY", COMPACT_EVERY, "1 vacuums at every checkpoint"
    )
    if every < 1:
        raise ValueError(f"MONITORING_COMPACT_EVERY={every}: expected 1 or more")
    return every


def counter_file(database: Path) -> Path | None:
    """Where the writable opens of ``database`` are counted: in the folder of figures kept
    beside the store (:func:`~monitoring_pipelines.store.sql.folder_beside`); None in memory."""
    folder = folder_beside(str(database))
    return None if folder is None else folder / COUNTER


def vacuum_now(database: Path) -> bool:
    """Count one writable open of ``database``; True when this open's checkpoints are to
    vacuum (every :func:`compact_every`-th open, and whenever the count cannot be kept)."""
    every = compact_every()
    if every == 1:
        return True
    file = counter_file(database)
    if file is None:
        return True
    try:
        seen = int(file.read_text() or 0)
    except FileNotFoundError:
        seen = 0
    except (OSError, ValueError):
        seen = every - 1  # unreadable: vacuum now and start again
    seen += 1
    due = seen >= every
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        tmp.write_text(str(0 if due else seen))
        os.replace(tmp, file)
    except OSError:
        return True
    return due


def plan_vacuum(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Set the open store's ``max_vacuum_tasks`` for this open (see the module)."""
    tasks = DUCKDB_VACUUM_TASKS if vacuum_now(database) else 0
    con.execute(f"SET GLOBAL max_vacuum_tasks = {tasks}")
