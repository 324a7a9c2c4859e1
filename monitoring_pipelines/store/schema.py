"""DDL of the store's shared tables and of each model's tables."""

from __future__ import annotations

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.store.columns import SYSTEM_COLUMNS, expected_columns, label_type
from monitoring_pipelines.store.sql import (
    ground_truth_table,
    labels_table,
    predictions_table,
    qi,
)

SHARED_DDL = [
    """CREATE TABLE IF NOT EXISTS metrics (
        model VARCHAR NOT NULL,
        day DATE NOT NULL,
        family VARCHAR NOT NULL,
        metric VARCHAR NOT NULL,
        subject VARCHAR NOT NULL DEFAULT '',
        value DOUBLE,
        lower DOUBLE,
        upper DOUBLE,
        status VARCHAR NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'warn', 'alert')),
        computed_at TIMESTAMP NOT NULL,
        run_id VARCHAR,
        PRIMARY KEY (model, day, family, metric, subject)
    )""",
    """CREATE TABLE IF NOT EXISTS ingestion_log (
        model VARCHAR NOT NULL, day DATE NOT NULL, files VARCHAR[], rows BIGINT,
        ingested_at TIMESTAMP, PRIMARY KEY (model, day)
    )""",
    """CREATE TABLE IF NOT EXISTS ingestion_errors (
        model VARCHAR NOT NULL, day DATE, kind VARCHAR NOT NULL, file VARCHAR NOT NULL,
        "column" VARCHAR, reason VARCHAR NOT NULL, quarantined_to VARCHAR,
        recorded_at TIMESTAMP NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS schema_changes (
        model VARCHAR NOT NULL, day DATE NOT NULL, file VARCHAR, "column" VARCHAR NOT NULL,
        change VARCHAR NOT NULL, expected VARCHAR, observed VARCHAR, recorded_at TIMESTAMP
    )""",
    """CREATE TABLE IF NOT EXISTS label_files (
        model VARCHAR NOT NULL, file VARCHAR NOT NULL, size BIGINT, mtime DOUBLE,
        rows BIGINT, ingested_at TIMESTAMP, PRIMARY KEY (model, file)
    )""",
    """CREATE TABLE IF NOT EXISTS quality_results (
        model VARCHAR NOT NULL, day DATE NOT NULL, suite VARCHAR, expectation_id VARCHAR NOT NULL,
        expectation_type VARCHAR, "column" VARCHAR, severity VARCHAR, success BOOLEAN,
        observed_value VARCHAR, unexpected_count BIGINT, unexpected_percent DOUBLE,
        details VARCHAR, validated_at TIMESTAMP
    )""",
]


def ensure_shared_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared tables if they do not exist."""
    for ddl in SHARED_DDL:
        con.execute(ddl)


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    cols = ", ".join(f"{qi(c)} {t}" for c, t in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    existing = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [table.strip('"')]
        ).fetchall()
    }
    for c, t in columns.items():
        if c not in existing:  # a column added to the config later
            con.execute(f"ALTER TABLE {table} ADD COLUMN {qi(c)} {t}")


def ensure_model_tables(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> None:
    """Create (or extend with newly declared columns) the model's prediction and label tables."""
    ensure_shared_tables(con)
    _ensure_table(con, predictions_table(cfg.name), {**SYSTEM_COLUMNS, **expected_columns(cfg)})
    lt = label_type(cfg)
    _ensure_table(
        con,
        labels_table(cfg.name),
        {
            "prediction_id": "VARCHAR",
            "label": lt,
            "label_timestamp": "TIMESTAMP",
            "_source_file": "VARCHAR",
            "_ingested_at": "TIMESTAMP",
        },
    )
    _ensure_table(
        con,
        ground_truth_table(cfg.name),
        {
            "_day": "DATE",
            "prediction_id": "VARCHAR",
            "label": lt,
            "label_timestamp": "TIMESTAMP",
            "delay_days": "DOUBLE",
        },
    )
