"""The reference profile of a model: fitted once on the reference, stored in DuckDB.

Per compared column (features, outputs, label): numeric bin edges at the reference quantiles
with the reference's counts per bin, mean and std; categorical counts per category; effect
thresholds learned on reference windows when configured. Also the
feature importances and the multivariate detectors' state (PCA and its reference-window
band). The KS test's state is the reference column itself, read from ``reference__<model>``.
Stored as JSON in ``drift_reference_profile`` (one row per model and model version).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.drift import histograms as h
from monitoring_pipelines.drift.columns import NUMERIC, column_specs, reference_relation
from monitoring_pipelines.drift.importance import feature_importance
from monitoring_pipelines.drift.learned import learn_thresholds
from monitoring_pipelines.store.sql import qi

TABLE = "drift_reference_profile"


def reference_version(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> str:
    """The model version the reference was scored with (its most frequent), or ''."""
    col = cfg.columns.model_version
    rel = reference_relation(cfg)
    names = {r[0] for r in con.execute(f"DESCRIBE {rel}").fetchall()}
    if not col or col not in names:
        return ""
    row = con.execute(
        f"SELECT CAST({qi(col)} AS VARCHAR) FROM {rel} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    return "" if row is None or row[0] is None else row[0]


def fit_profile(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, model_path: Path | None = None
) -> dict[str, Any]:
    """Fit the profile on ``reference__<model>``; returns it as a JSON-able dict."""
    from monitoring_pipelines.drift.multivariate import fit_multivariate

    rel = reference_relation(cfg)
    names = {r[0] for r in con.execute(f"DESCRIBE {rel}").fetchall()}
    columns: dict[str, Any] = {}
    for spec in column_specs(cfg):
        if spec.ref_col not in names:
            continue
        expr = spec.expr(spec.ref_col)
        if spec.kind == NUMERIC:
            edges = h.quantile_edges(con, rel, expr, cfg.drift.bins)
            counts = h.bin_counts(con, rel, expr, edges)
            columns[spec.subject] = {
                "edges": edges,
                "counts": counts.tolist(),
                **h.column_stats(spec, con, rel, spec.ref_col),
            }
        else:
            columns[spec.subject] = {"counts": h.category_counts(con, rel, expr)}
        if cfg.drift.learned_thresholds:
            columns[spec.subject]["learned"] = learn_thresholds(
                con, rel, spec, columns[spec.subject], cfg.drift
            )
    importance, method = feature_importance(con, cfg, model_path)
    (rows,) = con.execute(f"SELECT count(*) FROM {rel}").fetchone()
    return {
        "model": cfg.name,
        "model_version": reference_version(con, cfg),
        "rows": int(rows),
        "columns": columns,
        "importance": importance,
        "importance_method": method,
        "multivariate": fit_multivariate(con, cfg) if cfg.drift.multivariate else None,
    }


def save_profile(con: duckdb.DuckDBPyConnection, profile: dict[str, Any]) -> None:
    """Replace the stored profile of (model, model version)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (model VARCHAR, model_version VARCHAR, "
        "profile JSON, fitted_at TIMESTAMP)"
    )
    con.execute(
        f"DELETE FROM {TABLE} WHERE model = ? AND model_version = ?",
        [profile["model"], profile["model_version"]],
    )
    con.execute(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
        [profile["model"], profile["model_version"], json.dumps(profile), datetime.now()],
    )


def load_profile(
    con: duckdb.DuckDBPyConnection, model: str, model_version: str | None = None
) -> dict[str, Any] | None:
    """The stored profile of ``model`` fitted for ``model_version`` when there is one, else its
    latest profile (any version); None if never fitted."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(
        f"SELECT profile FROM {TABLE} WHERE model = ? "
        "ORDER BY (model_version = ?) DESC, fitted_at DESC LIMIT 1",
        [model, model_version or ""],
    ).fetchone()
    return None if row is None else json.loads(row[0])
