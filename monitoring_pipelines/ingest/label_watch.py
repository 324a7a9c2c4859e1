"""What the late-labels sensor needs: which label files are new, which stored days they touch."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.model_config import FileFormat
from monitoring_pipelines.ingest.files import IngestionError, file_format
from monitoring_pipelines.ingest.labels import label_files
from monitoring_pipelines.store.sql import predictions_table, qi, reader_sql


def new_label_files(pattern: Path, since: float | None) -> tuple[list[Path], float]:
    """Label files modified after ``since`` (a POSIX mtime), and the newest mtime seen."""
    files = label_files(pattern)
    mtimes = {f: f.stat().st_mtime for f in files}
    newest = max(mtimes.values(), default=since or 0.0)
    fresh = [f for f, m in mtimes.items() if since is None or m > since]
    return fresh, max(newest, since or 0.0)


def days_touched(
    database: str | Path,
    cfg: ModelConfig,
    files: list[Path],
    fmt: FileFormat,
    follow_days: int = 0,
) -> list[date]:
    """Stored prediction days whose ids appear in ``files``, read without writing the store.

    With ``follow_days``, also the stored days up to that many days after a touched day
    (their trailing windows contain it). Raises OSError when the store is locked by a writer
    or unreadable; unreadable label files are skipped (the ground_truth asset quarantines
    them).
    """
    if not Path(database).exists():
        return []
    con = duckdb.connect()
    try:
        try:
            con.execute("ATTACH ? AS store (READ_ONLY)", [str(database)])
        except duckdb.Error as exc:
            raise OSError(str(exc)) from None
        days: set[date] = set()
        pid = qi(cfg.labels.prediction_id)
        stored_id = qi(cfg.columns.prediction_id)
        for f in files:
            try:
                rows = con.execute(
                    f"SELECT DISTINCT p._day FROM store.{predictions_table(cfg.name)} p "
                    f"SEMI JOIN (SELECT CAST({pid} AS VARCHAR) AS id FROM "
                    f"{reader_sql(file_format(f, fmt))}) l ON l.id = p.{stored_id}",
                    {"files": [str(f)]},
                ).fetchall()
            except duckdb.CatalogException:
                return []  # the model has no stored predictions yet
            except (duckdb.Error, IngestionError):
                continue
            days.update(r[0] for r in rows)
        if follow_days and days:
            touched = sorted(days)
            stored = con.execute(
                f"SELECT DISTINCT _day FROM store.{predictions_table(cfg.name)} "
                "WHERE _day > ? AND _day <= ?",
                [touched[0], touched[-1] + timedelta(days=follow_days)],
            ).fetchall()
            days.update(
                d for (d,) in stored if any(0 < (d - t).days <= follow_days for t in touched)
            )
        return sorted(days)
    finally:
        con.close()
