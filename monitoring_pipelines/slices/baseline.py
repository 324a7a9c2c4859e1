"""What a group's loss gap was on the reference: some regions of the inputs are always
harder (long distances, uncertain scores), so a gap is judged by how much it exceeds the
group's usual gap, not by its size alone."""

from __future__ import annotations

import hashlib
import json

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import reference_rowid_end, reference_rows
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.groups import group_stats
from monitoring_pipelines.slices.loss import REALIZED, estimated_loss, realized_loss
from monitoring_pipelines.slices.search import slice_id

CACHE_TABLE = "slice_baselines"
CHUNK_ROWS = 250_000  # reference rows per chunk
NONE = "\x00none"  # marks a column that is not part of a group while adding chunks up


def reference_gaps(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    source: str,
) -> dict[str, float]:
    """:func:`compute_reference_gaps`, computed once per reference, estimator, binning and
    slice settings and kept in ``slice_baselines`` (the reference has a million rows; a day a
    few thousand). Without a reference fingerprint in the store it is computed every time."""
    key = _cache_key(con, cfg, binning, source)
    if key is None:
        return compute_reference_gaps(con, cfg, state, binning, source)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (model VARCHAR, source VARCHAR, "
        "key VARCHAR, gaps VARCHAR, PRIMARY KEY (model, source))"
    )
    rows = con.execute(
        f"SELECT key, gaps FROM {CACHE_TABLE} WHERE model = ? AND source = ?", [cfg.name, source]
    ).fetchall()
    if rows and rows[0][0] == key:
        return json.loads(rows[0][1])
    gaps = compute_reference_gaps(con, cfg, state, binning, source)
    con.execute(
        f"INSERT OR REPLACE INTO {CACHE_TABLE} VALUES (?, ?, ?, ?)",
        [cfg.name, source, key, json.dumps(gaps)],
    )
    return gaps


def _cache_key(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, binning: Binning, source: str
) -> str | None:
    """What the baseline depends on: the loaded reference (fingerprint and load time), the
    estimator's fit (estimated loss), the bins and the model's config; None when unknown."""
    from monitoring_pipelines.ingest.reference import STATE_TABLE
    from monitoring_pipelines.performance.estimator import TABLE as ESTIMATORS
    from monitoring_pipelines.store.sql import model_row

    def one(table: str, cols: str):
        row = model_row(con, table, cfg.name, cols)
        return None if row is None else [str(v) for v in row]

    reference = one(STATE_TABLE, "fingerprint, loaded_at")
    if reference is None:
        return None
    parts = {
        "reference": reference,
        "estimator": one(ESTIMATORS, "fitted_at") if source != REALIZED else None,
        "binning": [list(binning.columns), {c: list(e) for c, e in binning.edges.items()}],
        "config": json.loads(cfg.model_dump_json()),
        "source": source,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def compute_reference_gaps(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    source: str,
) -> dict[str, float]:
    """Group id -> relative gap (group mean loss / whole mean loss - 1) on the reference rows,
    for every one- and two-column group, with the loss of ``source`` ('realized': the
    reference's labels; 'estimated': the estimator's expected loss). Empty when the reference
    lacks what the loss needs."""
    est = state.estimator if state else None
    total = reference_rowid_end(con, cfg)
    cols = list(binning.columns)
    # two passes over row chunks keep memory bounded at any reference size: the losses
    # first (their mean centres the sums), then the group sums of each chunk, added up
    chunks = [(a, min(a + CHUNK_ROWS, total)) for a in range(0, total, CHUNK_ROWS)]
    losses = []
    for rowids in chunks:
        ref = reference_rows(con, cfg, columns=[], rowids=rowids)
        if source == REALIZED:
            if ref.y is None:
                return {}
            losses.append(realized_loss(cfg, ref))
        else:
            if est is None or (ref.scores is None and cfg.task.value != "regression"):
                return {}
            if cfg.task.value == "regression":  # DLE needs the features
                ref = reference_rows(con, cfg, rowids=rowids)
            losses.append(estimated_loss(est, ref))
    if not losses or sum(len(x) for x in losses) == 0:
        return {}
    centre = float(np.mean(np.concatenate(losses)))
    if centre <= 0:
        return {}
    parts = []
    for rowids, loss in zip(chunks, losses, strict=True):
        ref = reference_rows(con, cfg, columns=cols, rowids=rowids)
        labels = binning.codes(ref.frame)
        groups, _ = group_stats(labels, loss, max_features=cfg.slices.max_features, centre=centre)
        parts.append(groups)
    keys = [c for c in parts[0].columns if c not in ("n", "s", "ss")]
    groups = (
        pd.concat(parts, ignore_index=True)
        .fillna({k: NONE for k in keys})
        .groupby(keys, sort=False, dropna=False)[["n", "s"]]
        .sum()
        .reset_index()
    )
    values = groups[keys].to_numpy(object)
    rel = groups["s"].to_numpy(float) / groups["n"].to_numpy(float) / centre
    out = {}
    for row, r in zip(values, rel, strict=True):
        cond = tuple((c, v) for c, v in zip(keys, row, strict=True) if v != NONE)
        out[slice_id(cond)] = float(r) if np.isfinite(r) else 0.0
    return out
