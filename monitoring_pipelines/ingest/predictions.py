"""Ingest one model's prediction logs for one day: validate, then replace the day atomically."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.casting import cast_expr, check_castable_columns, type_family
from monitoring_pipelines.ingest.files import (
    IngestionError,
    day_files,
    file_format,
    quarantine,
    read_into,
    record_error,
)
from monitoring_pipelines.store.columns import expected_columns, required_columns
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import Metric, replace_metrics
from monitoring_pipelines.store.schema import ensure_model_tables
from monitoring_pipelines.store.sql import predictions_table, qi

_LOOSE_TYPED = "prediction_id"  # ids may be numbers or strings without it being a change
_tmp_names = itertools.count()


@dataclass(frozen=True)
class SchemaChange:
    file: str
    column: str
    change: str  # new | missing | retyped
    expected: str | None
    observed: str | None


@dataclass
class IngestResult:
    """What one day's ingestion did."""

    model: str
    day: date
    files: list[str]
    rows: int
    schema_changes: list[SchemaChange] = field(default_factory=list)
    kept_previous: bool = False  # no file landed, the day's stored rows were left as they were


def _inspect_file(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, file: Path, fmt: str
) -> tuple[str, dict[str, str], list[SchemaChange]]:
    """Read one file into a temp table and check it; returns (table, raw types, changes)."""
    table = f"_raw_{next(_tmp_names)}"
    read_into(con, table, [file], fmt)
    raw = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    name = str(file)
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    if n == 0:
        raise IngestionError(name, None, "empty file: no rows")
    for col in required_columns(cfg):
        if col not in raw:
            raise IngestionError(name, col, "required column missing")
    expected = expected_columns(cfg)
    changes = [SchemaChange(name, c, "new", None, t) for c, t in raw.items() if c not in expected]
    loose = {cfg.columns.prediction_id, cfg.columns.prediction}
    present = [(col, raw[col], target) for col, target in expected.items() if col in raw]
    check_castable_columns(con, table, present, name)
    for col, target in expected.items():
        if col not in raw:
            changes.append(SchemaChange(name, col, "missing", target, None))
            continue
        fam, want = type_family(raw[col]), type_family(target)
        untyped = fmt == "csv" or (fmt == "jsonl" and fam == "string" and want == "time")
        if col not in loose and fam not in (want, "null") and not untyped:
            changes.append(SchemaChange(name, col, "retyped", target, raw[col]))
    _check_ids(con, cfg, day, table, name)
    return table, raw, changes


def _check_ids(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, table: str, file: str
) -> None:
    pid = qi(cfg.columns.prediction_id)
    (nulls,) = con.execute(f"SELECT count(*) FROM {table} WHERE {pid} IS NULL").fetchone()
    if nulls:
        raise IngestionError(file, cfg.columns.prediction_id, f"{nulls} rows have no prediction id")
    dups = con.execute(
        f"SELECT CAST({pid} AS VARCHAR), count(*) FROM {table} GROUP BY 1 HAVING count(*) > 1 "
        "ORDER BY 2 DESC, 1 LIMIT 3"
    ).fetchall()
    if dups:
        ex = ", ".join(f"{k!r} x{c}" for k, c in dups)
        raise IngestionError(file, cfg.columns.prediction_id, f"duplicate prediction ids ({ex})")
    clash = con.execute(
        f"SELECT p.{pid}, p._day FROM {predictions_table(cfg.name)} p "
        f"SEMI JOIN {table} r ON p.{pid} = CAST(r.{pid} AS VARCHAR) WHERE p._day <> ? LIMIT 3",
        [day],
    ).fetchall()
    if clash:
        ex = ", ".join(f"{k!r} on {d}" for k, d in clash)
        raise IngestionError(
            file, cfg.columns.prediction_id, f"prediction ids already stored for another day ({ex})"
        )


def ingest_predictions(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    logs_pattern: Path,
    quarantine_dir: Path,
    day: date,
    *,
    run_id: str | None = None,
) -> IngestResult:
    """Replace the model's rows for ``day`` with the day's log files, atomically.

    A bad file is moved to ``quarantine_dir``, recorded in ``ingestion_errors`` and raised as
    :class:`IngestionError`; the day's previously stored rows stay as they were.
    """
    ensure_model_tables(con, cfg)
    files = day_files(logs_pattern, day)
    if not files:
        (stored,) = con.execute(
            f"SELECT count(*) FROM {predictions_table(cfg.name)} WHERE _day = ?", [day]
        ).fetchone()
        return IngestResult(cfg.name, day, [], stored, kept_previous=True)
    inspected = []
    seen_ids: set[str] = set()
    for f in files:
        try:
            fmt = file_format(f, cfg.logs.format)
            table, raw, changes = _inspect_file(con, cfg, day, f, fmt)
            _check_across_files(con, cfg, table, str(f), seen_ids, len(files))
        except IngestionError as err:
            target = quarantine(f, quarantine_dir, cfg.name, err)
            record_error(con, cfg.name, day, err, target)
            raise
        inspected.append((f, table, raw, changes))
    changes = [c for *_, ch in inspected for c in ch]
    with transaction(con):
        rows = _replace_day(con, cfg, day, inspected)
        _record_ingestion(con, cfg, day, files, rows, changes, run_id)
    for _, table, *_ in inspected:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return IngestResult(cfg.name, day, [str(f) for f in files], rows, changes)


def _check_across_files(con, cfg, table: str, file: str, seen: set[str], n_files: int) -> None:
    if n_files == 1:
        return
    pid = qi(cfg.columns.prediction_id)
    ids = {r[0] for r in con.execute(f"SELECT CAST({pid} AS VARCHAR) FROM {table}").fetchall()}
    overlap = ids & seen
    if overlap:
        raise IngestionError(
            file,
            cfg.columns.prediction_id,
            f"prediction ids also in another file of the day (e.g. {sorted(overlap)[0]!r})",
        )
    seen |= ids


def _replace_day(con, cfg: ModelConfig, day: date, inspected) -> int:
    target = predictions_table(cfg.name)
    expected = expected_columns(cfg)
    con.execute(f"DELETE FROM {target} WHERE _day = ?", [day])
    now = datetime.now()
    total = 0
    for f, table, raw, _ in inspected:
        cols = ", ".join(qi(c) for c in expected)
        exprs = ", ".join(
            cast_expr(c, raw[c], t) if c in raw else f"CAST(NULL AS {t})"
            for c, t in expected.items()
        )
        con.execute(
            f"INSERT INTO {target} (_day, _source_file, _ingested_at, {cols}) "
            f"SELECT CAST(? AS DATE), ?, ?, {exprs} FROM {table}",
            [day, str(f), now],
        )
        (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        total += n
    return total


def _record_ingestion(
    con,
    cfg: ModelConfig,
    day: date,
    files: list[Path],
    rows: int,
    changes: list[SchemaChange],
    run_id: str | None,
) -> None:
    """Bookkeeping written in the same transaction as the rows."""
    con.execute("DELETE FROM ingestion_log WHERE model = ? AND day = ?", [cfg.name, day])
    con.execute(
        "INSERT INTO ingestion_log VALUES (?, ?, ?, ?, ?)",
        [cfg.name, day, [str(f) for f in files], rows, datetime.now()],
    )
    con.execute("DELETE FROM schema_changes WHERE model = ? AND day = ?", [cfg.name, day])
    for c in changes:
        con.execute(
            "INSERT INTO schema_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [cfg.name, day, c.file, c.column, c.change, c.expected, c.observed, datetime.now()],
        )
    count = {k: sum(c.change == k for c in changes) for k in ("new", "missing", "retyped")}
    metrics = [Metric("rows", rows), Metric("files", len(files))]
    metrics += [Metric(f"{k}_columns", v, status="warn" if v else "ok") for k, v in count.items()]
    metrics += [
        Metric(f"schema_{kind}", 1.0, subject=col, status="warn")
        for kind, col in sorted({(c.change, c.column) for c in changes})
    ]
    replace_metrics(
        con, model=cfg.name, day=day, family="ingestion", metrics=metrics, run_id=run_id
    )
