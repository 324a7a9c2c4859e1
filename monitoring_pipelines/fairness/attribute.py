"""The figures of one attribute: fairlearn's point figures with bootstrap intervals, the groups
too small flagged, and the gaps taken over the groups large enough only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.fairness.classification import (
    FairlearnFrames,
    cell_counts,
    count_metrics,
    fairlearn_gaps,
    fairlearn_groups,
    positive_index,
)
from monitoring_pipelines.fairness.data import FairnessRows
from monitoring_pipelines.fairness.regression import regression_attribute
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

COUNTS = ("rows", "labelled_rows", "positives", "negatives")


def attribute_figures(
    cfg: ModelConfig,
    rows: FairnessRows,
    attribute: str,
    subjects: np.ndarray,
    missing: set[str],
    rng: np.random.Generator,
) -> AttributeFigures:
    """Figures of every group of ``attribute`` (``subjects``: the group subject of each row;
    ``missing``: subjects of rows whose attribute is null)."""
    if cfg.task is Task.regression:
        return regression_attribute(cfg, rows, attribute, subjects, missing, rng)
    return classification_attribute(cfg, rows, attribute, subjects, missing, rng)


def classification_attribute(
    cfg: ModelConfig,
    rows: FairnessRows,
    attribute: str,
    subjects: np.ndarray,
    missing: set[str],
    rng: np.random.Generator,
) -> AttributeFigures:
    """See :mod:`monitoring_pipelines.fairness.classification` for what is measured."""
    s = cfg.fairness
    classes, pos = cfg.class_values, positive_index(cfg)
    codes, uniques = pd.factorize(pd.Series(subjects, dtype=object), sort=True)
    names = [str(u) for u in uniques]
    yhat, y = rows.yhat.astype(np.int64), np.nan_to_num(rows.y).astype(np.int64)
    cells = cell_counts(codes, len(names), yhat, y, rows.labelled, len(classes), rows.weight)
    counts = count_metrics(cells, classes, pos)
    resampled = rng.poisson(cells, size=(s.bootstrap_resamples, *cells.shape)).astype(float)
    boot = count_metrics(resampled, classes, pos)
    absent = np.array([n in missing for n in names], bool)
    big = s.min_group_size
    eligible = {
        "dp": (counts["rows"] >= big) & ~absent,
        "accuracy": (counts["labelled_rows"] >= big) & ~absent,
    }
    if pos is not None:
        eligible["eo"] = (counts["positives"] >= big) & (counts["negatives"] >= big) & ~absent
    frames = FairlearnFrames(cells, names, classes, pos)
    point = fairlearn_groups(frames)
    for rate, denominator in (("tpr", "positives"), ("fpr", "negatives")):
        if rate in point:  # fairlearn reports 0 where a group has no positives (negatives)
            point.loc[counts[denominator] == 0, rate] = np.nan
    groups = _groups(names, counts, boot, point, eligible, absent, big, s.confidence)
    values = {col: point[col].to_numpy(float) for col in point}
    gaps = _gaps(
        fairlearn_gaps(frames, eligible),
        values,
        boot,
        eligible,
        names,
        classes,
        pos,
        s.confidence,
    )
    return AttributeFigures(attribute, groups, gaps, len(rows), rows.labelled_count)


def _groups(names, counts, boot, point, eligible, absent, big, confidence) -> list[GroupFigures]:
    lows, highs = {}, {}
    for col in point:
        lows[col], highs[col] = interval(boot[col], confidence)
    label_based = eligible["accuracy"] & eligible.get("eo", eligible["accuracy"])
    out = []
    for g, name in enumerate(names):
        figures = {c: Figure(float(counts[c][g])) for c in COUNTS if c in counts}
        labelled, total = counts["labelled_rows"][g], counts["rows"][g]
        figures["label_coverage"] = Figure(float(labelled / total) if total else None)
        for col in point:
            figures[col] = Figure(
                as_float(point[col].iloc[g]), as_float(lows[col][g]), as_float(highs[col][g])
            )
        out.append(
            GroupFigures(
                name,
                figures,
                insufficient=bool(total < big),
                insufficient_labels=bool(not label_based[g] and not absent[g]),
                missing=bool(absent[g]),
            )
        )
    return out


def _gap(value, samples, metric, values, ok, names, confidence, ceiling=None) -> Gap:
    v = np.where(ok, values, np.nan)
    value = as_float(value)
    if np.isfinite(v).sum() < 2 or value is None:
        return Gap(Figure(value), metric)
    return Gap(
        Figure(value, *gap_interval(samples, value, confidence, ceiling)),
        metric,
        high=names[int(np.nanargmax(v))],
        low=names[int(np.nanargmin(v))],
    )


def _gaps(fl, values, boot, eligible, names, classes, pos, confidence) -> dict[str, Gap]:
    """Gaps with fairlearn's values, bootstrap intervals and the groups at either end."""
    out: dict[str, Gap] = {}

    def add(name, metric, family, kind):
        samples = spread(boot[metric], eligible[family], kind)
        ceiling = 1.0 if kind == "ratio" else None
        out[name] = _gap(
            fl.get(name),
            samples,
            metric,
            values[metric],
            eligible[family],
            names,
            confidence,
            ceiling,
        )
        return samples

    if pos is None:
        diffs, ratios = [], []
        for c in classes:
            diffs.append(add(f"dp_difference_{c}", f"selection_rate_{c}", "dp", "difference"))
            ratios.append(add(f"dp_ratio_{c}", f"selection_rate_{c}", "dp", "ratio"))
        worst = max(classes, key=lambda c: _key(out[f"dp_difference_{c}"]))
        lowest = max(classes, key=lambda c: _key(out[f"dp_ratio_{c}"], sign=-1))
        with np.errstate(all="ignore"):
            out["dp_difference"] = _worst(
                out[f"dp_difference_{worst}"], np.nanmax(diffs, 0), confidence
            )
            out["dp_ratio"] = _worst(
                out[f"dp_ratio_{lowest}"], np.nanmin(ratios, 0), confidence, ceiling=1.0
            )
    else:
        add("dp_difference", "selection_rate", "dp", "difference")
        add("dp_ratio", "selection_rate", "dp", "ratio")
        tpr = add("tpr_difference", "tpr", "eo", "difference")
        fpr = add("fpr_difference", "fpr", "eo", "difference")
        side = (
            "tpr_difference"
            if _key(out["tpr_difference"]) >= _key(out["fpr_difference"])
            else "fpr_difference"
        )
        out["eo_difference"] = _worst(
            out[side], np.fmax(tpr, fpr), confidence, fl.get("eo_difference")
        )
    add("accuracy_difference", "accuracy", "accuracy", "difference")
    return out


def _key(gap: Gap, sign: int = 1) -> float:
    """A gap's value for ordering (``sign`` -1: a ratio, where lower is worse); unknown
    values sort as the least bad."""
    v = gap.figure.value
    return -np.inf if v is None else sign * v


def _worst(side: Gap, samples: np.ndarray, confidence: float, value=None, ceiling=None) -> Gap:
    """A gap that is the worst of several: the groups of the worst, the interval of the
    worst over the resamples."""
    v = side.figure.value if value is None else as_float(value)
    if v is None or side.figure.lower is None:
        return Gap(Figure(v), side.metric)
    lo, hi = gap_interval(samples, v, confidence, ceiling)
    return Gap(Figure(v, lo, hi), side.metric, side.high, side.low)
