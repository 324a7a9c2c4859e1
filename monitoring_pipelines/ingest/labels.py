"""Late labels: ingest label files as they land, then join them to one day's predictions."""

from __future__ import annotations

import glob
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.casting import cast_expr, check_castable
from monitoring_pipelines.ingest.files import (
    IngestionError,
    file_format,
    quarantine,
    read_into,
    record_error,
)
from monitoring_pipelines.store.columns import label_type
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import Metric, replace_metrics
from monitoring_pipelines.store.schema import ensure_model_tables
from monitoring_pipelines.store.sql import ground_truth_table, labels_table, predictions_table, qi

_tmp = itertools.count()


@dataclass
class LabelSync:
    """Label files newly ingested (or re-ingested because they changed) and the ones rejected."""

    files: list[str] = field(default_factory=list)
    rows: int = 0
    errors: list[IngestionError] = field(default_factory=list)


def label_files(pattern: Path) -> list[Path]:
    """All label files currently in the landing area, sorted."""
    return sorted(Path(p) for p in glob.glob(str(pattern)) if Path(p).is_file())


def sync_label_files(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, pattern: Path, quarantine_dir: Path
) -> LabelSync:
    """Ingest every label file that is new or changed since it was last ingested.

    Each file is its own transaction (its previous rows replaced). A bad file is quarantined
    and recorded; the others go on.
    """
    ensure_model_tables(con, cfg)
    known = {
        f: (s, m)
        for f, s, m in con.execute(
            "SELECT file, size, mtime FROM label_files WHERE model = ?", [cfg.name]
        ).fetchall()
    }
    out = LabelSync()
    for f in label_files(pattern):
        st = f.stat()
        if known.get(str(f)) == (st.st_size, st.st_mtime):
            continue
        try:
            out.rows += _ingest_label_file(con, cfg, f, st.st_size, st.st_mtime)
            out.files.append(str(f))
        except IngestionError as err:
            err.kind = "labels"
            target = quarantine(f, quarantine_dir, cfg.name, err)
            record_error(con, cfg.name, None, err, target)
            out.errors.append(err)
    return out


def _ingest_label_file(con, cfg: ModelConfig, f: Path, size: int, mtime: float) -> int:
    src = cfg.labels
    table = f"_labels_{next(_tmp)}"
    read_into(con, table, [f], file_format(f, src.format))
    raw = {r[0]: r[1] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    if n == 0:
        raise IngestionError(str(f), None, "empty file: no rows")
    for col in (src.prediction_id, src.label):
        if col not in raw:
            raise IngestionError(str(f), col, "required column missing")
    lt = label_type(cfg)
    check_castable(con, table, src.label, raw[src.label], lt, str(f))
    (nulls,) = con.execute(
        f"SELECT count(*) FROM {table} WHERE {qi(src.prediction_id)} IS NULL"
    ).fetchone()
    if nulls:
        raise IngestionError(str(f), src.prediction_id, f"{nulls} rows have no prediction id")
    ts = "CAST(NULL AS TIMESTAMP)"
    if src.timestamp and src.timestamp in raw:
        check_castable(con, table, src.timestamp, raw[src.timestamp], "TIMESTAMP", str(f))
        ts = cast_expr(src.timestamp, raw[src.timestamp], "TIMESTAMP")
    pid = cast_expr(src.prediction_id, raw[src.prediction_id], "VARCHAR")
    with transaction(con):
        con.execute(f"DELETE FROM {labels_table(cfg.name)} WHERE _source_file = ?", [str(f)])
        con.execute(
            f"INSERT INTO {labels_table(cfg.name)} SELECT {pid}, "
            f"{cast_expr(src.label, raw[src.label], lt)}, {ts}, ?, ? FROM {table} "
            f"WHERE {qi(src.label)} IS NOT NULL",
            [str(f), datetime.now()],
        )
        con.execute("DELETE FROM label_files WHERE model = ? AND file = ?", [cfg.name, str(f)])
        con.execute(
            "INSERT INTO label_files VALUES (?, ?, ?, ?, ?, ?)",
            [cfg.name, str(f), size, mtime, n, datetime.now()],
        )
    con.execute(f"DROP TABLE {table}")
    return n


@dataclass(frozen=True)
class Coverage:
    """Label coverage of one day: predictions, labelled predictions, delays in days."""

    day: date
    predictions: int
    labelled: int
    delay_p50_days: float | None
    delay_p90_days: float | None

    @property
    def coverage(self) -> float:
        return self.labelled / self.predictions if self.predictions else 0.0


def build_ground_truth(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, *, run_id: str | None = None
) -> Coverage:
    """Replace the day's joined labels (latest label per prediction id wins) and its
    ``labels`` metrics (coverage, labelled rows, delay quantiles), in one transaction."""
    ensure_model_tables(con, cfg)
    pid, ts = qi(cfg.columns.prediction_id), qi(cfg.columns.timestamp)
    gt = ground_truth_table(cfg.name)
    with transaction(con):
        con.execute(f"DELETE FROM {gt} WHERE _day = ?", [day])
        con.execute(
            f"""INSERT INTO {gt}
            SELECT p._day, p.{pid}, arg_max(l.label, coalesce(l.label_timestamp, l._ingested_at)),
                   max(l.label_timestamp),
                   epoch(max(l.label_timestamp) - any_value(p.{ts})) / 86400.0
            FROM {predictions_table(cfg.name)} p JOIN {labels_table(cfg.name)} l
              ON l.prediction_id = p.{pid}
            WHERE p._day = ? GROUP BY p._day, p.{pid}""",
            [day],
        )
        n_pred, n_lab, p50, p90 = con.execute(
            f"""SELECT (SELECT count(*) FROM {predictions_table(cfg.name)} WHERE _day = $d),
                       count(*), quantile_cont(delay_days, 0.5), quantile_cont(delay_days, 0.9)
                FROM {gt} WHERE _day = $d""",
            {"d": day},
        ).fetchone()
        cov = Coverage(day, n_pred, n_lab, p50, p90)
        replace_metrics(
            con,
            model=cfg.name,
            day=day,
            family="labels",
            metrics=_coverage_metrics(con, cfg, cov),
            run_id=run_id,
        )
    return cov


def _coverage_metrics(con, cfg: ModelConfig, cov: Coverage) -> list[Metric]:
    (latest,) = con.execute(f"SELECT max(_day) FROM {predictions_table(cfg.name)}").fetchone()
    age = (latest - cov.day).days if latest else 0
    due = age >= cfg.labels_expected_after_days
    low = due and cov.predictions > 0 and cov.coverage < cfg.thresholds.health.min_label_coverage
    return [
        Metric("label_coverage", cov.coverage, status="warn" if low else "ok"),
        Metric("labelled_rows", cov.labelled),
        Metric("label_delay_p50_days", cov.delay_p50_days),
        Metric("label_delay_p90_days", cov.delay_p90_days),
        Metric("day_age_days", age),
    ]
