"""Per model per day status, read from the store: rows, labels, quality, health."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from monitoring_pipelines.store.connection import connect
from monitoring_pipelines.store.metrics import as_dates

STATUS_SQL = """
WITH keys AS (
    SELECT model, day FROM ingestion_log
    UNION SELECT model, day FROM ingestion_errors WHERE day IS NOT NULL
    UNION SELECT DISTINCT model, day FROM metrics
),
m AS (
    SELECT model, day,
        max(value) FILTER (WHERE family = 'labels' AND metric = 'label_coverage') AS label_coverage,
        max(value) FILTER (WHERE family = 'quality' AND metric = 'critical_failures')
            AS dq_critical,
        max(value) FILTER (WHERE family = 'quality' AND metric = 'warning_failures') AS dq_warnings,
        CASE max(CASE status WHEN 'alert' THEN 2 WHEN 'warn' THEN 1 ELSE 0 END)
             FILTER (WHERE family = 'health')
             WHEN 2 THEN 'alert' WHEN 1 THEN 'warn' WHEN 0 THEN 'ok' END AS health,
        string_agg(DISTINCT metric, ',') FILTER (WHERE family = 'health' AND status <> 'ok')
            AS health_breaches
    FROM metrics GROUP BY model, day
),
e AS (SELECT model, day, count(*) AS quarantined FROM ingestion_errors GROUP BY model, day)
SELECT k.model, k.day, coalesce(l.rows, 0) AS rows, m.label_coverage, m.dq_critical,
       m.dq_warnings, m.health, m.health_breaches, coalesce(e.quarantined, 0) AS quarantined
FROM keys k
LEFT JOIN ingestion_log l USING (model, day)
LEFT JOIN m USING (model, day)
LEFT JOIN e USING (model, day)
WHERE ($model IS NULL OR k.model = $model)
ORDER BY k.model, k.day
"""


def status_table(database: Path, model: str | None = None) -> pd.DataFrame:
    """One row per model and day: rows, label_coverage, dq_critical, dq_warnings (failed
    expectations), health (worst status) and its breached metrics, quarantined files."""
    con = connect(database, read_only=True)
    try:
        table = con.execute(STATUS_SQL, {"model": model}).df()
    finally:
        con.close()
    table["day"] = as_dates(table["day"])
    return table


def model_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: days, rows, mean label coverage, days blocked by quality, days with a health
    alert, quarantined files."""
    if table.empty:
        return table
    g = table.groupby("model")
    return pd.DataFrame(
        {
            "days": g["day"].nunique(),
            "rows": g["rows"].sum(),
            "mean_label_coverage": g["label_coverage"].mean().round(3),
            "days_quality_blocked": g["dq_critical"].apply(lambda s: int((s > 0).sum())),
            "days_health_alert": g["health"].apply(lambda s: int((s == "alert").sum())),
            "quarantined_files": g["quarantined"].sum(),
        }
    ).reset_index()
