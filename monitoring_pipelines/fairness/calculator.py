"""Fairness of one model on some rows: figures per sensitive attribute (and pairs of them),
judged against the config's limits, as rows of the metrics family ``fairness``.

Example
-------
>>> figures = fairness_figures(cfg, rows)  # doctest: +SKIP
>>> metrics = fairness_metrics(cfg, figures)  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import zlib
from dataclasses import dataclass

import numpy as np

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.config.fairness import LOWER_IS_WORSE, FairnessSettings
from monitoring_pipelines.fairness.attribute import attribute_figures
from monitoring_pipelines.fairness.data import MISSING, FairnessRows
from monitoring_pipelines.fairness.result import AttributeFigures, Figure
from monitoring_pipelines.store.metrics import Metric

WINDOW = "window_"
"""Prefix of the trailing window's metric names."""


def attributes_of(
    rows: FairnessRows, intersections: bool
) -> list[tuple[str, np.ndarray, set[str]]]:
    """(attribute, group subject of every row, subjects that stand for a null) per sensitive
    attribute, then per pair of them when ``intersections``: ``age_band`` with subjects
    ``age_band=18-25``; ``gender&age_band`` with ``gender=F&age_band=18-25``."""
    out = []
    cols = list(rows.groups.columns)
    combos = [(c,) for c in cols]
    if intersections:
        combos += list(itertools.combinations(cols, 2))
    for combo in combos:
        subjects = combo[0] + "=" + rows.groups[combo[0]].astype(str)
        null = rows.groups[combo[0]] == MISSING
        for c in combo[1:]:
            subjects = subjects + "&" + c + "=" + rows.groups[c].astype(str)
            null |= rows.groups[c] == MISSING
        subjects = subjects.to_numpy(object)
        out.append(("&".join(combo), subjects, set(subjects[null.to_numpy()])))
    return out


def fairness_figures(cfg: ModelConfig, rows: FairnessRows) -> list[AttributeFigures]:
    """Figures of every sensitive attribute (and pair, if configured) on ``rows``; the
    bootstrap is seeded by the config's seed and the attribute name (reproducible)."""
    if not len(rows):
        return []
    out = []
    for attribute, subjects, missing in attributes_of(rows, cfg.fairness.intersections):
        rng = np.random.default_rng([cfg.fairness.seed, zlib.crc32(attribute.encode())])
        out.append(attribute_figures(cfg, rows, attribute, subjects, missing, rng))
    return out


def judged(cfg: ModelConfig) -> set[str]:
    """The attribute-level figures that raise statuses for this model's task."""
    if cfg.task is Task.regression:
        applies = {"mae_gap_relative"}
    elif cfg.task is Task.multiclass and cfg.fairness.positive_class is None:
        applies = {"dp_difference", "dp_ratio", "accuracy_difference"}
    else:
        applies = {"dp_difference", "dp_ratio", "eo_difference", "tpr_difference"}
        applies |= {"fpr_difference", "accuracy_difference"}
    return set(cfg.fairness.judged) & applies


def judge(settings: FairnessSettings, name: str, figure: Figure) -> str:
    """Status of an attribute-level figure: ``warn`` past the warn limit; ``alert`` past the
    alert limit with the whole bootstrap interval past the warn limit (so sampling noise
    alone never alerts)."""
    v = figure.value
    if v is None:
        return "ok"
    lim = settings.limits(name)
    if name in LOWER_IS_WORSE:
        if v < lim.alert and figure.upper is not None and figure.upper < lim.warn:
            return "alert"
        return "warn" if v < lim.warn else "ok"
    if v > lim.alert and figure.lower is not None and figure.lower > lim.warn:
        return "alert"
    return "warn" if v > lim.warn else "ok"


def _metric(name: str, figure: Figure, subject: str, status: str = "ok") -> Metric:
    return Metric(name, figure.value, subject, figure.lower, figure.upper, status)


def fairness_metrics(
    cfg: ModelConfig, figures: list[AttributeFigures], prefix: str = ""
) -> list[Metric]:
    """Rows of the family ``fairness``: per group (subject ``attr=value``), per attribute
    (subject ``attr``: the gaps, judged, and group counts) and overall (no subject: rows,
    labelled rows, label coverage). ``prefix`` names a window's figures (``window_``)."""
    out: list[Metric] = []
    rules = judged(cfg)
    for fig in figures:
        for g in fig.groups:
            out += [_metric(prefix + m, f, g.subject) for m, f in g.figures.items()]
            out.append(Metric(prefix + "insufficient", float(g.insufficient), g.subject))
            out.append(
                Metric(prefix + "insufficient_labels", float(g.insufficient_labels), g.subject)
            )
        for name, gap in fig.gaps.items():
            status = judge(cfg.fairness, name, gap.figure) if name in rules else "ok"
            out.append(_metric(prefix + name, gap.figure, fig.attribute, status))
        out += [
            Metric(prefix + "groups", float(len(fig.groups)), fig.attribute),
            Metric(
                prefix + "groups_insufficient",
                float(sum(g.insufficient or g.insufficient_labels for g in fig.groups)),
                fig.attribute,
            ),
            Metric(prefix + "label_coverage", fig.label_coverage, fig.attribute),
        ]
    if figures:
        first = figures[0]
        out += [
            Metric(prefix + "rows", float(first.rows)),
            Metric(prefix + "labelled_rows", float(first.labelled)),
            Metric(prefix + "label_coverage", first.label_coverage),
        ]
    return out


@dataclass(frozen=True)
class Breach:
    """A judged gap past its limit: which attribute, which groups, by how much."""

    attribute: str
    metric: str
    status: str
    value: float
    limit: float
    excess: float
    lower: float | None
    upper: float | None
    high_group: str | None
    low_group: str | None
    group_metric: str


def breaches(cfg: ModelConfig, figures: list[AttributeFigures], prefix: str = "") -> list[Breach]:
    """Judged gaps that are not ``ok``, worst first (alerts, then by excess over the limit)."""
    out = []
    rules = judged(cfg)
    for fig in figures:
        for name, gap in fig.gaps.items():
            if name not in rules:
                continue
            status = judge(cfg.fairness, name, gap.figure)
            if status == "ok":
                continue
            lim = cfg.fairness.limits(name)
            limit = lim.alert if status == "alert" else lim.warn
            v = gap.figure.value
            excess = limit - v if name in LOWER_IS_WORSE else v - limit
            out.append(
                Breach(
                    fig.attribute,
                    prefix + name,
                    status,
                    v,
                    limit,
                    excess,
                    gap.figure.lower,
                    gap.figure.upper,
                    gap.high,
                    gap.low,
                    gap.metric,
                )  # fmt: skip
            )
    return sorted(out, key=lambda b: (b.status != "alert", -b.excess))
