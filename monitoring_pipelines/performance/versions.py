"""Model comparison: when a day's traffic is served by several model versions (champion and
challenger on randomly split traffic, or a rollout), each version's figures, and how much
its output differs from the champion's."""

from __future__ import annotations

import numpy as np
from scipy.stats import ks_2samp

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.dle import DLE
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.performance.realized import realized_performance
from monitoring_pipelines.store.metrics import Metric


def subset(rows: Rows, mask: np.ndarray) -> Rows:
    """The rows where ``mask`` is true."""
    return Rows(
        rows.yhat[mask],
        None if rows.y is None else rows.y[mask],
        None if rows.scores is None else rows.scores[mask],
        rows.frame[mask].reset_index(drop=True),
    )


def output_value(cfg: ModelConfig, rows: Rows) -> np.ndarray:
    """The per-row output compared between versions: the positive score (binary), the top
    class score (multiclass) or the prediction (regression, target units)."""
    if cfg.task is Task.regression or rows.scores is None:
        return rows.yhat.astype(float)
    return rows.scores if rows.scores.ndim == 1 else rows.scores.max(axis=1)


def decision_mix(cfg: ModelConfig, rows: Rows) -> np.ndarray:
    """Share of rows per decision: per class index for classifiers, empty for regressors."""
    if cfg.task is Task.regression:
        return np.array([])
    k = 2 if cfg.task is Task.binary else len(cfg.class_values)
    codes = rows.yhat.astype(int)
    return np.bincount(codes[codes >= 0], minlength=k)[:k] / max(len(rows), 1)


def version_comparison(
    cfg: ModelConfig, day: Rows, labelled: Rows, state: PerformanceEstimator | None
) -> list[Metric]:
    """Per version (subject ``version=<v>``): ``traffic_share``; estimated figures
    (``estimated_<metric>``) and realized figures with their coverage (as
    :func:`realized_performance`). Per challenger: ``output_shift`` (mean output minus the
    champion's: score points or target units), ``output_ks`` (Kolmogorov-Smirnov statistic
    between the two output distributions, lower/upper = None, status 'warn' when p < 0.01)
    and ``decision_change`` (total-variation distance between decision mixes, a share).
    Empty when the day has fewer than two versions with ``min_version_rows`` rows."""
    col = cfg.columns.model_version
    if not col or col not in day.frame or len(day) == 0:
        return []
    s = cfg.performance
    versions = day.frame[col].astype("string").fillna("unknown").to_numpy(object)
    counts = {v: int((versions == v).sum()) for v in np.unique(versions)}
    kept = [v for v, n in counts.items() if n >= s.min_version_rows]
    if len(kept) < 2:
        return []
    champion = s.champion_version if s.champion_version in kept else max(kept, key=counts.get)
    labelled_versions = labelled.frame[col].astype("string").fillna("unknown").to_numpy(object)
    out: list[Metric] = []
    base = subset(day, versions == champion)
    for v in sorted(kept):
        subj = f"version={v}"
        rows = subset(day, versions == v)
        out.append(Metric("traffic_share", counts[v] / len(day), subj))
        if state is not None and state.estimator is not None:
            est = (
                state.estimator.estimate(rows.frame, rows.yhat)
                if isinstance(state.estimator, DLE)
                else state.estimator.estimate(rows.scores, rows.yhat)
            )
            out += [Metric(f"estimated_{m}", x, subj) for m, x in est.items()]
        lab = subset(labelled, labelled_versions == v)
        bands = state.bands if state else None
        out += realized_performance(cfg, lab, served=counts[v], bands=bands, subject=subj)
        if v == champion:
            continue
        a, b = output_value(cfg, rows), output_value(cfg, base)
        ks = ks_2samp(a, b)
        out.append(Metric("output_shift", float(a.mean() - b.mean()), subj))
        status = "warn" if ks.pvalue < 0.01 else "ok"
        out.append(Metric("output_ks", float(ks.statistic), subj, status=status))
        mix_a, mix_b = decision_mix(cfg, rows), decision_mix(cfg, base)
        if len(mix_a):
            out.append(Metric("decision_change", float(np.abs(mix_a - mix_b).sum() / 2), subj))
    return out
