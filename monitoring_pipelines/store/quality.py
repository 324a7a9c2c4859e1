"""Persist a day's Great Expectations outcomes: ``quality_results`` rows and ``quality``
metrics, replaced together for the (model, day)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.quality.report import QualityReport
from monitoring_pipelines.store.metrics import Metric, replace_metrics


def quality_metrics(cfg: ModelConfig, report: QualityReport) -> list[Metric]:
    """Headline counts, and the unexpected share (percent) of each failed expectation."""
    th = cfg.thresholds.quality
    crit, warn = len(report.critical_failures), len(report.warning_failures)
    out = [
        Metric("expectations", len(report.outcomes)),
        Metric(
            "critical_failures",
            crit,
            upper=th.max_critical_failures,
            status="alert" if crit > th.max_critical_failures else "ok",
        ),
        Metric(
            "warning_failures",
            warn,
            upper=th.max_warning_failures,
            status="warn" if warn > th.max_warning_failures else "ok",
        ),
        Metric("success_share", 1 - len(report.failures) / max(len(report.outcomes), 1)),
        Metric("rows_validated", report.row_count),
        Metric("validation_seconds", report.elapsed_seconds),
    ]
    out += [
        Metric(
            "unexpected_percent",
            o.unexpected_percent,
            subject=o.expectation_id,
            status="alert" if o.severity == "critical" else "warn",
        )
        for o in report.failures
    ]
    return out


def replace_quality(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    day: date,
    report: QualityReport,
    *,
    run_id: str | None = None,
) -> None:
    """Replace the day's ``quality_results`` and ``quality`` metrics (caller's transaction)."""
    con.execute("DELETE FROM quality_results WHERE model = ? AND day = ?", [cfg.name, day])
    now = datetime.now()
    for r in report.to_records():
        con.execute(
            "INSERT INTO quality_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cfg.name,
                day,
                report.suite_name,
                r["expectation_id"],
                r["expectation_type"],
                r["column"],
                r["severity"],
                r["success"],
                r["observed_value"],
                r["unexpected_count"],
                r["unexpected_percent"],
                r["details"],
                now,
            ],
        )
    replace_metrics(
        con,
        model=cfg.name,
        day=day,
        family="quality",
        metrics=quality_metrics(cfg, report),
        run_id=run_id,
    )
