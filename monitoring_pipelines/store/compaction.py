"""When DuckDB's checkpoints merge the store's row groups.

A checkpoint (on close, or when the WAL passes 16 MB) may also *vacuum*: merge partly filled
row groups and rewrite those holding deleted rows. With DuckDB 2.0.1 that is what makes a
day's close slow: appending W1 days (33,000 rows) one by one to a 29-day store, the close
took 0.28 / 0.22 / 0.09 / 0.72 / 0.16 / 0.07 / 0.68 / 0.16 s, and re-running one day (its
rows deleted from a merged row group and written again) 0.65-0.75 s every time, against
0.06-0.07 s without vacuuming (``max_vacuum_tasks = 0``). Without it, emptied row groups are
still dropped; a day's rows stay in a row group of their own (33,000 rows instead of up to
122,880) and rows deleted from a shared one keep their space.

So the store vacuums at one writable open in :data:`COMPACT_EVERY`, or sooner when the rows
stored have grown by :data:`COMPACT_ROWS` since the last vacuum (both kept in
``<store>.derived/writable-opens``): that checkpoint merges everything accumulated since the
last one (8 W1 days: 0.82 s, after which the predictions and metrics tables are back to full
row groups). The row count keeps each merge in proportion to the rows behind it: at 5M
analysis rows a month, 20 days held 1.2 GB of DuckDB memory at the close (a day appends about
550,000 rows across the tables, W1 about 110,000, so W1 still vacuums about once in 18-20
days).
``MONITORING_COMPACT_EVERY=1`` vacuums at every checkpoint, as DuckDB does by default;
``MONITORING_COMPACT_ROWS=0`` counts opens only. A counter that cannot be read or written leaves
DuckDB's default in place.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from monitoring_pipelines.envvars import env_whole_number
from monitoring_pipelines.store.sql import folder_beside

COMPACT_EVERY = 20  # writable opens of the store per vacuuming one
COMPACT_ROWS = 2_000_000  # rows stored since the last vacuum that call for one
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


def compact_rows() -> int:
    """Rows grown per vacuum: ``MONITORING_COMPACT_ROWS`` (default 2,000,000; 0: opens only)."""
    rows = env_whole_number("MONITORING_COMPACT_ROWS", COMPACT_ROWS, "0 counts opens only")
    if rows < 0:
        raise ValueError(f"MONITORING_COMPACT_ROWS={rows}: expected 0 or more")
    return rows


def stored_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows in the open store's tables (DuckDB's own count, kept in its metadata)."""
    return int(
        con.execute(
            "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
            "WHERE database_name = current_database() AND NOT temporary"
        ).fetchone()[0]
    )


def vacuum_now(database: Path, rows: int | None = None) -> bool:
    """Count one writable open of ``database`` holding ``rows`` rows; True when this open's
    checkpoints are to vacuum: every :func:`compact_every`-th open, when the rows have grown
    by :func:`compact_rows` since the last vacuum, and whenever the count cannot be kept."""
    every = compact_every()
    grow = compact_rows()
    if every == 1:
        return True
    file = counter_file(database)
    if file is None:
        return True
    try:
        fields = file.read_text().split()
        seen = int(fields[0]) if fields else 0
        base = int(fields[1]) if len(fields) > 1 else None
    except FileNotFoundError:
        seen, base = 0, None
    except (OSError, ValueError):
        seen, base = every - 1, None  # unreadable: vacuum now and start again
    if base is None:  # no count of rows yet: from here on
        base = rows
    seen += 1
    due = seen >= every or (
        grow > 0 and rows is not None and base is not None and rows - base >= grow
    )
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        kept = rows if due else base
        tmp.write_text(f"{0 if due else seen}" + ("" if kept is None else f" {kept}"))
        os.replace(tmp, file)
    except OSError:
        return True
    return due


def plan_vacuum(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Set the open store's ``max_vacuum_tasks`` for this open (see the module)."""
    tasks = DUCKDB_VACUUM_TASKS if vacuum_now(database, stored_rows(con)) else 0
    con.execute(f"SET GLOBAL max_vacuum_tasks = {tasks}")
