"""Which columns of a model's logs are stored, and with which DuckDB type.

Stored prediction tables keep the log's own column names (so users' SQL and expectation
suites speak their language) plus three system columns: ``_day`` (the partition day),
``_source_file`` and ``_ingested_at``.
"""

from __future__ import annotations

from monitoring_pipelines.config import ModelConfig, Task

SYSTEM_COLUMNS = {"_day": "DATE", "_source_file": "VARCHAR", "_ingested_at": "TIMESTAMP"}


def required_columns(cfg: ModelConfig) -> list[str]:
    """Columns without which a log file is rejected: id, timestamp, prediction (and scores)."""
    c = cfg.columns
    req = [c.prediction_id, c.timestamp, c.prediction]
    if cfg.task is Task.binary and c.score:
        req.append(c.score)
    req.extend(c.class_scores.values())
    return req


def expected_columns(cfg: ModelConfig) -> dict[str, str]:
    """Log column name -> DuckDB type, in storage order, for every column the config declares."""
    c = cfg.columns
    cols: dict[str, str] = {
        c.prediction_id: "VARCHAR",
        c.timestamp: "TIMESTAMP",
        c.prediction: "DOUBLE" if cfg.task is Task.regression else "VARCHAR",
    }
    if cfg.task is Task.binary and c.score:
        cols[c.score] = "DOUBLE"
    if c.challenger_prediction:
        cols[c.challenger_prediction] = cols[c.prediction]
    if cfg.task is Task.binary and c.challenger_score:
        cols[c.challenger_score] = "DOUBLE"
    for col in c.class_scores.values():
        cols[col] = "DOUBLE"
    for col in (c.model_version, c.error):
        if col:
            cols[col] = "VARCHAR"
    if c.latency:
        cols[c.latency] = "DOUBLE"
    for f in cfg.features.numeric:
        cols[f] = "DOUBLE"
    for f in cfg.features.categorical:
        cols[f] = "VARCHAR"
    for f in [*cfg.segments, *cfg.sensitive]:
        cols.setdefault(f, "VARCHAR")
    if cfg.review.control_column:
        cols.setdefault(cfg.review.control_column, "BOOLEAN")
    return cols


def label_type(cfg: ModelConfig) -> str:
    """DuckDB type of labels (and predictions): DOUBLE for regression, VARCHAR otherwise."""
    return "DOUBLE" if cfg.task is Task.regression else "VARCHAR"
