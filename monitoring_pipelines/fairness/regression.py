"""Fairness of a regressor over the groups of one attribute: MAE per group (labelled rows) and
the mean prediction per group (all rows), from fairlearn's MetricFrame; the gap is the largest
minus the smallest group MAE (``mae_gap``, target units) and that gap as a share of the MAE
over the groups large enough (``mae_gap_relative``, the judged one: unit-free). Intervals from
a Poisson bootstrap of the rows (row weights drawn in chunks, summed per group)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn import metrics as flm
from sklearn.metrics import mean_absolute_error

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.fairness.data import FairnessRows
from monitoring_pipelines.fairness.result import (
    AttributeFigures,
    Figure,
    Gap,
    GroupFigures,
    as_float,
    gap_interval,
    interval,
    spread,
)

CHUNK = 50_000  # rows whose bootstrap weights are drawn at once


def weighted_sums(
    rng: np.random.Generator, codes: np.ndarray, n_groups: int, columns: np.ndarray, resamples: int
) -> np.ndarray:
    """Poisson(1) row weights: sum of weight x column per (resample, group, column), shape
    (B, G, m) for ``columns`` of shape (n, m)."""
    out = np.zeros((resamples, n_groups, columns.shape[1]))
    onehot_rows = np.arange(len(codes))
    for start in range(0, len(codes), CHUNK):
        part = slice(start, start + CHUNK)
        w = rng.poisson(1.0, size=(resamples, len(onehot_rows[part]))).astype(float)
        for g in np.unique(codes[part]):
            mask = codes[part] == g
            out[:, g, :] += w[:, mask] @ columns[part][mask]
    return out


def regression_attribute(
    cfg: ModelConfig,
    rows: FairnessRows,
    attribute: str,
    subjects: np.ndarray,
    missing: set[str],
    rng: np.random.Generator,
) -> AttributeFigures:
    """MAE and mean prediction of every group of ``attribute``, and the MAE gap."""
    s = cfg.fairness
    codes, uniques = pd.factorize(pd.Series(subjects, dtype=object), sort=True)
    names = [str(u) for u in uniques]
    lab = rows.labelled
    error = np.where(lab, np.abs(np.nan_to_num(rows.y) - rows.yhat), 0.0)
    columns = np.column_stack([np.ones(len(rows.yhat)), lab, rows.yhat, error])
    n = np.bincount(codes, minlength=len(names)).astype(float)
    n_lab = np.bincount(codes, weights=lab.astype(float), minlength=len(names))
    sums = weighted_sums(rng, codes, len(names), columns, s.bootstrap_resamples)
    with np.errstate(all="ignore"):
        boot = {"mean_prediction": sums[..., 2] / sums[..., 0], "mae": sums[..., 3] / sums[..., 1]}
    absent = np.array([x in missing for x in names], bool)
    ok = (n_lab >= s.min_group_size) & ~absent
    point = flm.MetricFrame(
        metrics={"mean_prediction": flm.mean_prediction},
        y_true=rows.yhat,
        y_pred=rows.yhat,
        sensitive_features=subjects,
    ).by_group.reindex(names)
    mae = pd.Series(np.nan, index=names)
    gap = None
    if lab.any():
        frame = flm.MetricFrame(
            metrics=mean_absolute_error,
            y_true=rows.y[lab],
            y_pred=rows.yhat[lab],
            sensitive_features=subjects[lab],
        )
        mae = frame.by_group.reindex(names).astype(float)
        if ok.sum() >= 2:
            keep = np.isin(subjects[lab], np.array(names, dtype=object)[ok])
            sub = flm.MetricFrame(
                metrics=mean_absolute_error,
                y_true=rows.y[lab][keep],
                y_pred=rows.yhat[lab][keep],
                sensitive_features=subjects[lab][keep],
            )
            gap = (
                float(sub.difference()),
                float(mean_absolute_error(rows.y[lab][keep], rows.yhat[lab][keep])),
            )
    groups = []
    lo = {m: interval(b, s.confidence) for m, b in boot.items()}
    for g, name in enumerate(names):
        figures = {
            "rows": Figure(float(n[g])),
            "labelled_rows": Figure(float(n_lab[g])),
            "label_coverage": Figure(float(n_lab[g] / n[g]) if n[g] else None),
            "mean_prediction": Figure(
                as_float(point["mean_prediction"].iloc[g]),
                *map(as_float, (lo["mean_prediction"][0][g], lo["mean_prediction"][1][g])),
            ),
            "mae": Figure(
                as_float(mae.iloc[g]), as_float(lo["mae"][0][g]), as_float(lo["mae"][1][g])
            ),
        }
        groups.append(
            GroupFigures(
                name,
                figures,
                insufficient=bool(n[g] < s.min_group_size),
                insufficient_labels=bool(not ok[g] and not absent[g]),
                missing=bool(absent[g]),
            )
        )
    gap_samples = spread(boot["mae"], ok)
    pooled = (
        sums[..., 3][:, ok].sum(axis=1) / sums[..., 1][:, ok].sum(axis=1)
        if ok.any()
        else np.full(len(gap_samples), np.nan)
    )
    with np.errstate(all="ignore"):
        rel_samples = gap_samples / pooled
    values = mae.to_numpy(float)
    gaps = {}
    for name, value, samples in (
        ("mae_gap", None if gap is None else gap[0], gap_samples),
        ("mae_gap_relative", None if gap is None or not gap[1] else gap[0] / gap[1], rel_samples),
    ):
        v = np.where(ok, values, np.nan)
        if value is None:
            gaps[name] = Gap(Figure(None), "mae")
            continue
        gaps[name] = Gap(
            Figure(as_float(value), *gap_interval(samples, value, s.confidence)),
            "mae",
            high=names[int(np.nanargmax(v))],
            low=names[int(np.nanargmin(v))],
        )
    return AttributeFigures(attribute, groups, gaps, len(rows), int(lab.sum()))
