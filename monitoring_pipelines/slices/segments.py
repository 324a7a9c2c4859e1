"""Performance per configured segment (``segments`` columns): realized figures where labels
exist, estimated figures from the performance estimator, row count, label coverage and the
gap of the segment's mean per-row loss to the whole day's, judged against config thresholds.
Subjects are stable segment ids ``column=value`` (numeric columns: reference-quantile bins).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.dle import DLE
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.performance.realized import realized_performance
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.groups import group_stats
from monitoring_pipelines.slices.loss import REALIZED, DayRows, RowLoss
from monitoring_pipelines.slices.search import status
from monitoring_pipelines.slices.stats import adjust, moments, welch_greater
from monitoring_pipelines.store.metrics import Metric

SEVERITY = {"ok": 0, "warn": 1, "alert": 2}


@dataclass
class SegmentGap:
    """One segment's loss against the whole day's (loss units; see :mod:`.loss`)."""

    segment: str
    rows: int
    mean_loss: float
    gap: float
    relative_gap: float
    reference_relative_gap: float
    p_adjusted: float
    status: str


@dataclass
class SegmentPerformance:
    """Every figure (``metrics``, family 'segment') and the judged gaps, worst first."""

    source: str | None
    mean_loss: float
    metrics: list[Metric] = field(default_factory=list)
    gaps: list[SegmentGap] = field(default_factory=list)

    @property
    def worst(self) -> SegmentGap | None:
        """The segment with the worst status, then the largest gap in excess of the usual."""
        return self.gaps[0] if self.gaps else None


def _estimated(state: PerformanceEstimator | None, rows: Rows, subject: str) -> list[Metric]:
    est = state.estimator if state else None
    if est is None or len(rows) == 0 or (not isinstance(est, DLE) and rows.scores is None):
        return []
    values = (
        est.estimate(rows.frame, rows.yhat)
        if isinstance(est, DLE)
        else est.estimate(rows.scores, rows.yhat)
    )
    return [Metric(f"estimated_{k}", v, subject) for k, v in values.items()]


def segment_gaps(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    binning: Binning,
    loss: RowLoss,
    reference: dict[str, float] | None = None,
) -> tuple[list[SegmentGap], float]:
    """(gaps, whole mean loss): each segment's mean loss against the whole, with a one-sided
    Welch test against the other rows adjusted over the segments judged (those with at least
    ``segment_min_rows`` rows), worst first. The status judges the relative gap minus the
    segment's relative gap on the reference (``reference``: segment id -> gap; 0 if absent)."""
    s = cfg.slices
    reference = reference or {}
    labels = binning.codes(loss.frame, [c for c in cfg.segments if c in loss.frame])
    big_n = len(loss.loss)
    if not labels or big_n == 0:
        return [], float(np.mean(loss.loss)) if big_n else float("nan")
    groups, centre = group_stats(labels, loss.loss, max_features=1)
    total_ss = float(np.sum((loss.loss - centre) ** 2))
    n, sums, ss = (groups[c].to_numpy(float) for c in ("n", "s", "ss"))
    m1, v1 = moments(n, sums, ss)
    m2, v2 = moments(big_n - n, -sums, total_ss - ss)
    _, p = welch_greater(n, m1, v1, big_n - n, m2, v2)
    judged = (n >= s.segment_min_rows) & (n < big_n)
    p_adj = np.ones(len(n))
    p_adj[judged] = adjust(p[judged], s.correction)
    out = []
    for i, row in groups.iterrows():
        col = next(c for c in labels if row[c] is not None)
        rel = m1[i] / centre if centre > 0 else 0.0
        sig = bool(judged[i] and p_adj[i] < s.alpha)
        sid = f"{col}={row[col]}"
        usual = reference.get(sid, 0.0)
        st = status(sig, float(rel) - usual, s) if judged[i] else "ok"
        out.append(SegmentGap(sid, int(n[i]), centre + m1[i], m1[i], rel, usual, p_adj[i], st))
    out.sort(
        key=lambda g: (-SEVERITY[g.status], g.reference_relative_gap - g.relative_gap, g.segment)
    )
    return out, centre


def segment_performance(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    data: DayRows,
    loss: RowLoss | None,
    reference: dict[str, float] | None = None,
) -> SegmentPerformance:
    """The day's figures per segment (see the module docstring). Per segment id: ``rows``;
    realized ``coverage``, ``labelled_rows`` and the task's figures (judged against the
    reference bands like the whole day's); ``estimated_<metric>``; and, from the per-row
    loss, ``mean_loss``, ``gap`` (carrying the status), ``relative_gap``,
    ``reference_relative_gap`` (``reference``, see :func:`segment_gaps`) and ``p_adjusted``."""
    out = SegmentPerformance(loss.source if loss else None, float("nan"))
    labels = binning.labels(data.rows.frame, cfg.segments)
    cols = [c for c in cfg.segments if c in labels]
    bands = state.bands if state else None
    lab_idx = np.flatnonzero(data.labelled)

    def figures(col: str, value) -> list[Metric]:
        sid = f"{col}={value}"
        mask = (labels[col] == value).to_numpy()
        lab_mask = mask[lab_idx]
        seg_lab = Rows(
            data.rows.yhat[lab_idx][lab_mask],
            data.y[lab_mask],
            None if data.rows.scores is None else data.rows.scores[lab_idx][lab_mask],
            data.rows.frame.iloc[lab_idx[lab_mask]].reset_index(drop=True),
        )
        return [
            Metric("rows", int(mask.sum()), sid),
            *realized_performance(
                cfg, seg_lab, served=int(mask.sum()), bands=bands, subject=sid, threads=1
            ),
            *_estimated(state, data.rows.take(mask), sid),
        ]

    # two segments at a time (each bootstrap on one thread): each bootstrap is seeded on its
    # own, and numpy's array work releases the GIL, so the figures are the same as one by
    # one, in the same order
    todo = [(col, value) for col in cols for value in sorted(labels[col].unique())]
    with ThreadPoolExecutor(2, thread_name_prefix="segment") as pool:
        for part in pool.map(lambda job: figures(*job), todo):
            out.metrics += part
    if loss is None:
        return out
    out.gaps, out.mean_loss = segment_gaps(con, cfg, binning, loss, reference)
    for g in out.gaps:
        out.metrics += [
            Metric("mean_loss", g.mean_loss, g.segment),
            Metric("gap", g.gap, g.segment, status=g.status),
            Metric("relative_gap", g.relative_gap, g.segment),
            Metric("reference_relative_gap", g.reference_relative_gap, g.segment),
            Metric("p_adjusted", g.p_adjusted, g.segment),
        ]
    worst = out.worst
    out.metrics += [
        Metric("loss_realized", 1.0 if loss.source == REALIZED else 0.0),
        Metric("mean_loss", out.mean_loss),
        Metric("segments", len(out.gaps)),
        Metric("segments_flagged", sum(g.status != "ok" for g in out.gaps)),
        Metric("worst_relative_gap", worst.relative_gap if worst else 0.0),
    ]
    return out
