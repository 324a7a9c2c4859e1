"""Fairness of a classifier over the groups of one attribute.

Point figures come from fairlearn: :class:`~fairlearn.metrics.MetricFrame` by group, and its
``difference``/``ratio`` between the groups large enough, which is how fairlearn's
``demographic_parity_difference``/``ratio``, ``equalized_odds_difference`` and the derived
``*_difference`` functions compute them (tested equal); the frames are built once per set of
groups, so when every group is large the gaps reuse the group figures' frames.

Their intervals come from a Poisson bootstrap of the rows, done on counts: every figure is a
ratio of counts of cells (group x predicted class x true class or 'unlabelled'), and summing
independent Poisson(1) row weights over a cell's rows is a Poisson(cell count) draw, so
resampling the cells resamples the rows exactly, at no cost per row.

Binary: the positive class is the model's ``positive_class``. Multiclass: with
``fairness.positive_class`` set, that class one-vs-rest (selection rate, TPR, FPR, equalized
odds); without it, the selection rate of every class (``selection_rate_<class>``, a
``dp_difference_<class>`` each, ``dp_difference`` the worst of them) and accuracy, no TPR/FPR.
Accuracy is always over all classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn import metrics as flm
from sklearn.metrics import accuracy_score

from monitoring_pipelines.config import ModelConfig, Task


def positive_index(cfg: ModelConfig) -> int | None:
    """Index of the positive class in ``cfg.class_values``, or None (multiclass, per class)."""
    if cfg.task is Task.binary:
        return 1
    pos = cfg.fairness.positive_class
    return None if pos is None else cfg.class_values.index(pos)


def cell_counts(
    codes: np.ndarray,
    n_groups: int,
    yhat: np.ndarray,
    y: np.ndarray,
    labelled: np.ndarray,
    k: int,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Counts (group, predicted class, true class) of shape (G, k+1, k+2): class index ``k``
    is a value outside the class list, true class ``k+1`` an unlabelled row; ``weight``: the
    predictions each row stands for."""
    p = np.where(yhat < 0, k, yhat).astype(np.int64)
    t = np.where(labelled, np.where(y < 0, k, y), k + 1).astype(np.int64)
    flat = (codes * (k + 1) + p) * (k + 2) + t
    size = n_groups * (k + 1) * (k + 2)
    return (
        np.bincount(flat, weights=weight, minlength=size)
        .reshape(n_groups, k + 1, k + 2)
        .astype(float)
    )


def count_metrics(c: np.ndarray, classes: list[str], pos: int | None) -> dict[str, np.ndarray]:
    """Group figures from cell counts ``c`` (..., G, k+1, k+2): row counts, selection rates,
    accuracy and (with a positive class) TPR, FPR; NaN where a denominator is zero."""
    k = len(classes)
    rows = c.sum(axis=(-1, -2))
    labelled = c[..., : k + 1].sum(axis=(-1, -2))
    correct = np.trace(c[..., : k + 1, : k + 1], axis1=-2, axis2=-1)
    with np.errstate(all="ignore"):
        out = {"rows": rows, "labelled_rows": labelled, "accuracy": correct / labelled}
        chosen = c.sum(axis=-1)  # (..., G, k+1) rows predicted as each class
        if pos is None:
            for i, name in enumerate(classes):
                out[f"selection_rate_{name}"] = chosen[..., i] / rows
        else:
            positives = c[..., : k + 1, pos].sum(axis=-1)
            hits = c[..., pos, pos]
            false = c[..., pos, : k + 1].sum(axis=-1) - hits
            out |= {
                "positives": positives,
                "negatives": labelled - positives,
                "selection_rate": chosen[..., pos] / rows,
                "tpr": hits / positives,
                "fpr": false / (labelled - positives),
            }
    return out


def cell_table(cells: np.ndarray, subjects: list[str]) -> pd.DataFrame:
    """The non-empty cells as rows: group subject, predicted ``p``, true ``t`` (as in
    :func:`cell_counts`) and the row count ``w``, which fairlearn takes as ``sample_weight``
    (a weighted cell stands for its rows exactly, so figures equal those on the rows)."""
    g, p, t = np.nonzero(cells)
    return pd.DataFrame(
        {"group": np.array(subjects, dtype=object)[g], "p": p, "t": t, "w": cells[g, p, t]}
    )


def _by_group(frame: flm.MetricFrame, subjects: list[str]) -> pd.DataFrame:
    table = frame.by_group
    if isinstance(table, pd.Series):
        table = table.to_frame()
    return table.reindex(subjects).astype(float)


def _one_vs_rest(metric, pos: int):
    """``metric`` of the positive class ``pos`` against every other (labels are indices)."""

    def rate(y_true, y_pred, sample_weight):
        yt, yp = (np.asarray(y_true) == pos).astype(int), (np.asarray(y_pred) == pos).astype(int)
        return metric(yt, yp, sample_weight=sample_weight)

    return rate


class FairlearnFrames:
    """fairlearn MetricFrames over the cell table of one attribute, built once per kind and
    set of groups (a gap over every group reuses the frame of the group figures).

    ``selection``: the selection rate of the positive class, or of every class without one,
    on all rows. ``labelled``: accuracy over every class and, with a positive class, its
    true and false positive rates (one-vs-rest), on the labelled rows."""

    def __init__(
        self, cells: np.ndarray, subjects: list[str], classes: list[str], pos: int | None
    ) -> None:
        self.subjects, self.classes, self.pos = subjects, classes, pos
        self.table = cell_table(cells, subjects)
        self.frames: dict[tuple[str, frozenset[str]], flm.MetricFrame | None] = {}

    def groups(self, kind: str) -> frozenset[str]:
        """The groups with rows in the table of ``kind``."""
        return frozenset(self._rows(kind)["group"])

    def _rows(self, kind: str) -> pd.DataFrame:
        t = self.table
        return t[t["t"] <= len(self.classes)] if kind == "labelled" else t

    def frame(self, kind: str, groups: frozenset[str] | None = None) -> flm.MetricFrame | None:
        """The MetricFrame of ``kind`` over ``groups`` (default: every group with rows);
        None when those groups have no rows."""
        groups = self.groups(kind) if groups is None else frozenset(groups)
        key = (kind, groups)
        if key not in self.frames:
            rows = self._rows(kind)
            rows = rows[rows["group"].isin(groups)]
            self.frames[key] = None if rows.empty else self._build(kind, rows)
        return self.frames[key]

    def _build(self, kind: str, rows: pd.DataFrame) -> flm.MetricFrame:
        pos, p, t = self.pos, rows["p"].to_numpy(), rows["t"].to_numpy()
        if kind == "selection":
            metrics = {
                f"selection_rate_{name}": (
                    lambda yt, yp, sample_weight, i=i: flm.selection_rate(
                        yt, yp, pos_label=i, sample_weight=sample_weight
                    )
                )
                for i, name in enumerate(self.classes)
                if pos is None
            }
            if pos is not None:
                metrics = {"selection_rate": flm.selection_rate}
                p = (p == pos).astype(int)
        else:
            metrics = {"accuracy": accuracy_score}
            if pos is not None:
                metrics["tpr"] = _one_vs_rest(flm.true_positive_rate, pos)
                metrics["fpr"] = _one_vs_rest(flm.false_positive_rate, pos)
        w = rows["w"].to_numpy()
        return flm.MetricFrame(
            metrics=metrics,
            y_true=t,
            y_pred=p,
            sensitive_features=rows["group"].to_numpy(object),
            sample_params={name: {"sample_weight": w} for name in metrics},
        )


def fairlearn_groups(frames: FairlearnFrames) -> pd.DataFrame:
    """fairlearn's MetricFrame figures by group (index: the subjects): selection rates on all
    rows, accuracy (and TPR/FPR of the positive class) on the labelled rows."""
    out = _by_group(frames.frame("selection"), frames.subjects)
    labelled = frames.frame("labelled")
    if labelled is None:
        rates = ["accuracy"] + ([] if frames.pos is None else ["tpr", "fpr"])
        return out.assign(**dict.fromkeys(rates, np.nan))
    return out.join(_by_group(labelled, frames.subjects))


def fairlearn_gaps(frames: FairlearnFrames, eligible: dict[str, np.ndarray]) -> dict[str, float]:
    """fairlearn's differences (``MetricFrame.difference``/``ratio`` between groups, as
    ``demographic_parity_difference`` and the others compute them) over the groups eligible
    for them (``eligible``: gap family ``dp``/``accuracy``/``eo`` -> boolean per subject);
    absent with fewer than two groups. The equalized odds difference is the larger of the
    TPR and FPR differences (fairlearn's ``worst_case``)."""
    out: dict[str, float] = {}

    def frame_of(family: str, kind: str) -> flm.MetricFrame | None:
        if eligible[family].sum() < 2:
            return None
        names = np.array(frames.subjects, dtype=object)[eligible[family]]
        return frames.frame(kind, frozenset(names))

    if (frame := frame_of("dp", "selection")) is not None:
        diff, ratio = frame.difference(), frame.ratio()
        for name in diff.index:
            suffix = name.removeprefix("selection_rate")
            out[f"dp_difference{suffix}"] = float(diff[name])
            out[f"dp_ratio{suffix}"] = float(ratio[name])
    if (frame := frame_of("accuracy", "labelled")) is not None:
        out["accuracy_difference"] = float(frame.difference()["accuracy"])
    if frames.pos is not None and (frame := frame_of("eo", "labelled")) is not None:
        diff = frame.difference()
        out["tpr_difference"], out["fpr_difference"] = float(diff["tpr"]), float(diff["fpr"])
        out["eo_difference"] = max(out["tpr_difference"], out["fpr_difference"])
    return out
