"""What a group's loss gap was on the reference: some regions of the inputs are always
harder (long distances, uncertain scores), so a gap is judged by how much it exceeds the
group's usual gap, not by its size alone."""

from __future__ import annotations

import duckdb
import numpy as np

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import reference_rows
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.groups import group_stats
from monitoring_pipelines.slices.loss import REALIZED, estimated_loss, realized_loss
from monitoring_pipelines.slices.search import slice_id


def reference_gaps(
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
    ref = reference_rows(con, cfg)
    if len(ref) == 0:
        return {}
    if source == REALIZED:
        if ref.y is None:
            return {}
        loss = realized_loss(cfg, ref)
    else:
        est = state.estimator if state else None
        if est is None or (ref.scores is None and cfg.task.value != "regression"):
            return {}
        loss = estimated_loss(est, ref)
    labels = binning.labels(ref.frame)
    groups, centre = group_stats(con, labels, loss, max_features=cfg.slices.max_features)
    if centre <= 0:
        return {}
    cols = list(labels.columns)
    values = groups[cols].to_numpy(object)
    rel = groups["s"].to_numpy(float) / groups["n"].to_numpy(float) / centre
    out = {}
    for row, r in zip(values, rel, strict=True):
        cond = tuple((c, v) for c, v in zip(cols, row, strict=True) if v is not None)
        out[slice_id(cond)] = float(r) if np.isfinite(r) else 0.0
    return out
