"""Service health per model and day: volume against expected, missing days (freshness),
latency percentiles, failed predictions and the model versions seen. All in DuckDB SQL."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.store.metrics import Metric
from monitoring_pipelines.store.sql import predictions_table, qi


def _status(value: float | None, warn: float | None, alert: float | None) -> str:
    """'alert' when value > alert, 'warn' when value > warn, else 'ok' (None never breaches)."""
    if value is None:
        return "ok"
    if alert is not None and value > alert:
        return "alert"
    if warn is not None and value > warn:
        return "warn"
    return "ok"


def _freshness(rows: int, gaps: int, allowed: int) -> str:
    """'alert' when the day itself has no data; 'warn' when the trailing window misses more
    days than allowed (an old gap stays visible without re-alerting every day)."""
    if rows == 0:
        return "alert"
    return "warn" if gaps > allowed else "ok"


def expected_volume(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> float | None:
    """Expected rows for ``day``: the configured figure, else the median of the trailing days
    that had data (``volume.trailing_days`` before ``day``), else None."""
    if cfg.volume.expected_daily_rows:
        return float(cfg.volume.expected_daily_rows)
    start = day - timedelta(days=cfg.volume.trailing_days)
    (med,) = con.execute(
        "SELECT median(rows) FROM ingestion_log WHERE model = ? AND day >= ? AND day < ? "
        "AND rows > 0",
        [cfg.name, start, day],
    ).fetchone()
    return float(med) if med is not None else None


def missing_days(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> list[date]:
    """Days in the trailing window up to ``day`` with no stored rows, counted from the model's
    first stored day (days before monitoring began are not missing)."""
    start = day - timedelta(days=cfg.volume.trailing_days - 1)
    rows = con.execute(
        f"""WITH span AS (SELECT greatest(min(_day), CAST($start AS DATE)) AS first
                          FROM {predictions_table(cfg.name)})
            SELECT CAST(d.generate_series AS DATE) FROM span,
                   generate_series(span.first, CAST($day AS DATE), INTERVAL 1 DAY) d
            WHERE CAST(d.generate_series AS DATE) NOT IN
                  (SELECT DISTINCT _day FROM {predictions_table(cfg.name)}
                   WHERE _day BETWEEN $start AND $day)
            ORDER BY 1""",
        {"start": start, "day": day},
    ).fetchall()
    return [r[0] for r in rows]


def service_health(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> list[Metric]:
    """The ``health`` family for one day. Latencies in milliseconds, rates in [0, 1]."""
    th = cfg.thresholds.health
    c = cfg.columns
    table = predictions_table(cfg.name)
    failed = [f"{qi(c.prediction)} IS NULL"]
    if c.error:
        failed.append(f"{qi(c.error)} IS NOT NULL")
    lat = f"{qi(c.latency)}" if c.latency else "CAST(NULL AS DOUBLE)"
    rows, n_failed, p50, p95, p99 = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE {" OR ".join(failed)}),
                   quantile_cont({lat}, 0.5), quantile_cont({lat}, 0.95),
                   quantile_cont({lat}, 0.99)
            FROM {table} WHERE _day = ?""",
        [day],
    ).fetchone()
    expected = expected_volume(con, cfg, day)
    ratio = rows / expected if expected else None
    deviation = abs(1 - ratio) if ratio is not None else None
    gaps = missing_days(con, cfg, day)
    failed_rate = n_failed / rows if rows else None
    metrics = [
        Metric("rows", rows, status="alert" if rows == 0 else "ok"),
        Metric("expected_rows", expected),
        Metric(
            "volume_ratio",
            ratio,
            lower=1 - th.volume_tolerance,
            upper=1 + th.volume_tolerance,
            status=_status(deviation, th.volume_warn_tolerance, th.volume_tolerance),
        ),
        Metric(
            "missing_days",
            len(gaps),
            upper=th.max_missing_days,
            status=_freshness(rows, len(gaps), th.max_missing_days),
        ),
        Metric(
            "failed_rate",
            failed_rate,
            upper=th.max_failed_rate,
            status=_status(failed_rate, th.warn_failed_rate, th.max_failed_rate),
        ),
        Metric("latency_p50_ms", p50),
        Metric("latency_p95_ms", p95),
        Metric(
            "latency_p99_ms",
            p99,
            upper=th.max_latency_p99_ms,
            status=_status(p99, th.warn_latency_p99_ms, th.max_latency_p99_ms),
        ),
    ]
    metrics += _versions(con, cfg, day, rows)
    return metrics


def _versions(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date, rows: int
) -> list[Metric]:
    """Share of rows per model version, and how many versions are new against the day before."""
    if not cfg.columns.model_version or not rows:
        return []
    v = qi(cfg.columns.model_version)
    table = predictions_table(cfg.name)
    shares = con.execute(
        f"SELECT coalesce({v}, '(none)'), count(*) FROM {table} WHERE _day = ? GROUP BY 1 "
        "ORDER BY 1",
        [day],
    ).fetchall()
    before = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT coalesce({v}, '(none)') FROM {table} WHERE _day = "
            f"(SELECT max(_day) FROM {table} WHERE _day < ?)",
            [day],
        ).fetchall()
    }
    new = [s for s, _ in shares if before and s not in before]
    out = [
        Metric("model_versions", len(shares)),
        Metric("new_model_versions", len(new), status="warn" if new else "ok"),
    ]
    out += [Metric("model_version_share", n / rows, subject=s) for s, n in shares]
    return out
