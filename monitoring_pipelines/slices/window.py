"""The trailing window's slice search, from one group table per day.

A window of ``window_days`` days regrouped from its rows every day reads and groups each
row ``window_days`` times. Instead each day's group table (count, sum and sum of squares of
the loss per slice, :func:`~.tables.group_table`) is computed once, kept beside the store,
and the window's table is their sum (:func:`~.tables.combine_tables`): the same figures as
the search on the window's rows at once (tested).

A day's kept table is used only while it describes the same thing: the file's version holds
the day's served and labelled row counts and hashes of its prediction ids, ingestion times and
joined labels (late labels, a re-ingested day), the estimator's fit (estimated loss), the bin
edges and the model's config. Anything else recomputes that day. Tables of days more than
two windows before the day searched are removed. A process also keeps the last tables it
read or computed in memory, by file and version, so a month of windows reads each day's
file once, not once a day.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.estimator import TABLE as ESTIMATORS
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.loss import (
    ESTIMATED,
    DayRows,
    loss_source,
    read_rows,
    row_loss,
)
from monitoring_pipelines.slices.search import SliceSearch, rank_slices
from monitoring_pipelines.slices.tables import PARTS, GroupTable, combine_tables, group_table
from monitoring_pipelines.store.derived import KeptCache, digest, kept_file
from monitoring_pipelines.store.sql import (
    derived_folder,
    ground_truth_table,
    model_row,
    predictions_table,
    qi,
    table_exists,
)

FORMAT = 1  # bump when the kept tables' layout or meaning changes
# Day tables read or computed in this process, by file and version: a window's days are read
# back from their files every day otherwise (7 W1 tables: 49 ms a day; worst_slices' own
# code 254 -> 211-219 ms a W1 day). A version names everything a table depends on, so a kept
# table is the file's content. Two windows' worth (about 4 MB a W1 table).
_TABLES: KeptCache = KeptCache(16)


@dataclass(frozen=True)
class DayState:
    """What a day's group table depends on in the store: served and labelled rows and a
    fingerprint of the rows and labels."""

    day: date
    served: int
    labelled: int
    fingerprint: str


def day_states(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, first: date, last: date):
    """:class:`DayState` of each day ``first``..``last`` with served rows (rows with an
    output, joined to labels as :func:`~.loss.read_rows` joins them), in one query."""
    c = cfg.columns
    pid, pred = qi(c.prediction_id), qi(c.prediction)
    labels = table_exists(con, f"ground_truth__{cfg.name}")
    join = (
        f"LEFT JOIN {ground_truth_table(cfg.name)} g ON g.prediction_id = p.{pid} "
        "AND g._day = p._day"
        if labels
        else "LEFT JOIN (SELECT NULL AS prediction_id, NULL AS label) g ON false"
    )
    rows = con.execute(
        f"""SELECT p._day, count(*), count(g.label),
                   bit_xor(hash(p.{pid}, p._ingested_at, p._source_file)),
                   bit_xor(hash(g.prediction_id, g.label)) FILTER (WHERE g.label IS NOT NULL)
            FROM {predictions_table(cfg.name)} p {join}
            WHERE p._day BETWEEN ? AND ? AND p.{pred} IS NOT NULL
            GROUP BY p._day ORDER BY p._day""",
        [first, last],
    ).fetchall()
    return [DayState(d, int(n), int(k), f"{h1}/{h2}") for d, n, k, h1, h2 in rows]


def _write(table: GroupTable, file: Path) -> None:
    g = table.groups
    data = pa.table(
        {
            **{c: pa.array(g[c].tolist(), pa.string()) for c in PARTS},
            "n": pa.array(g["n"].to_numpy(np.int64)),
            "s": pa.array(g["s"].to_numpy(float)),
            "ss": pa.array(g["ss"].to_numpy(float)),
        }
    )
    meta = {"centre": table.centre, "rows": table.rows, "total_ss": table.total_ss}
    meta["columns"] = list(table.columns)
    pq.write_table(data.replace_schema_metadata({"group_table": json.dumps(meta)}), file)


def _read(file: Path) -> GroupTable:
    data = pq.read_table(file)
    meta = json.loads(data.schema.metadata[b"group_table"])
    groups = pd.DataFrame(
        {
            # object arrays of str and None, as to_pylist() gives, in about half its time
            **{c: data.column(c).to_numpy(zero_copy_only=False) for c in PARTS},
            **{c: data.column(c).to_numpy() for c in ("n", "s", "ss")},
        }
    )
    return GroupTable(
        groups, float(meta["centre"]), int(meta["rows"]), float(meta["total_ss"]),
        tuple(meta["columns"]),
    )  # fmt: skip


def _forget_before(folder: Path | None, cfg: ModelConfig, day: date) -> None:
    """Remove the model's kept day tables of days before ``day`` (no window ending on a
    later day needs them; a backfill of older days recomputes them)."""
    if folder is None:
        return
    stem = f"slices-{digest(cfg.name)}-"
    for file in folder.glob(f"{stem}*.parquet"):
        try:
            if date.fromisoformat(file.name[len(stem) : len(stem) + 10]) < day:
                file.unlink(missing_ok=True)
        except (ValueError, OSError):
            continue


def window_search(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    first: date,
    last: date,
    reference_for,
    read: dict[date, DayRows] | None = None,
    *,
    run_id: str | None = None,
) -> SliceSearch | None:
    """The slice search over days ``first``..``last`` (one day or a window): the loss is
    chosen on the period's label coverage (:func:`~.loss.loss_source`), each day's group
    table is read back or computed, and their sum is ranked. ``reference_for(source)``
    gives the reference gaps; ``read``: rows of days read so far, shared between calls
    (filled here); ``run_id``: rows read once per run (see
    :mod:`~monitoring_pipelines.store.run_memo`). None when no loss can be had."""
    days = day_states(con, cfg, first, last)
    served = sum(d.served for d in days)
    labelled = sum(d.labelled for d in days)
    if served == 0:
        return None
    source = loss_source(cfg, served, labelled)
    fitted = (
        model_row(con, ESTIMATORS, cfg.name, "CAST(fitted_at AS VARCHAR), hash(state)")
        if source == ESTIMATED
        else None
    )
    settings = [FORMAT, source, fitted, binning.columns, binning.edges, cfg.model_dump_json()]
    read = {} if read is None else read
    folder = derived_folder(con)
    tables = []
    for d in days:

        def compute(day: date = d.day) -> GroupTable | None:
            if day not in read:
                read[day] = read_rows(con, cfg, day, day, run_id=run_id)
            data = read[day]
            loss = row_loss(cfg, state, data, source)
            return None if loss is None else group_table(binning, loss, cfg.slices)

        stem = f"slices-{digest(cfg.name)}-{d.day.isoformat()}-{source}"
        version = json.dumps([*settings, d.fingerprint, d.served, d.labelled], default=str)
        key = (str(folder), stem, version)
        table = _TABLES.get(key)
        if table is None:
            table = kept_file(
                folder, stem, version, ".parquet", read=_read, compute=compute, write=_write
            )
            if table is not None and folder is not None:
                _TABLES.put(key, table)
        if table is None:  # no estimated loss (no estimator or scores)
            return None
        tables.append(table)
    _forget_before(folder, cfg, last - timedelta(days=2 * max(cfg.slices.window_days, 1)))
    combined = combine_tables(tables, binning, cfg.slices)
    return rank_slices(combined, cfg.slices, reference_for(source), source, served, labelled)
