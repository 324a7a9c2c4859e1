"""Fairness of a classifier over the groups of one attribute.

Point figures come from fairlearn (:class:`~fairlearn.metrics.MetricFrame` per group,
``demographic_parity_difference``/``ratio``, ``equalized_odds_difference`` and the derived
``*_difference`` functions over the groups large enough). Their intervals come from a Poisson
bootstrap of the rows, done on counts: every figure is a ratio of counts of cells (group x
predicted class x true class or 'unlabelled'), and summing independent Poisson(1) row weights
over a cell's rows is a Poisson(cell count) draw, so resampling the cells resamples the rows
exactly, at no cost per row.

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


def _weighted(metrics: dict, table: pd.DataFrame, y_true, y_pred) -> flm.MetricFrame:
    w = table["w"].to_numpy()
    return flm.MetricFrame(
        metrics=metrics,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=table["group"].to_numpy(object),
        sample_params={name: {"sample_weight": w} for name in metrics},
    )


def fairlearn_groups(
    cells: np.ndarray, subjects: list[str], classes: list[str], pos: int | None
) -> pd.DataFrame:
    """fairlearn's MetricFrame figures by group (index ``subjects``): selection rates on all
    rows, accuracy (and TPR/FPR of the positive class) on the labelled rows."""
    k = len(classes)
    table = cell_table(cells, subjects)
    p, t = table["p"].to_numpy(), table["t"].to_numpy()
    if pos is None:
        sel = {
            f"selection_rate_{name}": (
                lambda yt, yp, sample_weight, i=i: flm.selection_rate(
                    yt, yp, pos_label=i, sample_weight=sample_weight
                )
            )
            for i, name in enumerate(classes)
        }
        out = _by_group(_weighted(sel, table, t, p), subjects)
    else:
        sel = {"selection_rate": flm.selection_rate}
        out = _by_group(_weighted(sel, table, t, (p == pos).astype(int)), subjects)
    lab = table[table["t"] <= k]
    if lab.empty:
        rates = {"accuracy": np.nan} | ({} if pos is None else {"tpr": np.nan, "fpr": np.nan})
        return out.assign(**rates)
    p, t = lab["p"].to_numpy(), lab["t"].to_numpy()
    rates = {"accuracy": accuracy_score}
    if pos is not None:
        rates |= {"tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate}
    if pos is None or k > 2:  # accuracy over every class, the rates one-vs-rest
        out = out.join(_by_group(_weighted({"accuracy": accuracy_score}, lab, t, p), subjects))
        rates.pop("accuracy")
        t, p = (t == pos).astype(int), (p == pos).astype(int)
    if rates:
        out = out.join(_by_group(_weighted(rates, lab, t, p), subjects))
    return out


def fairlearn_gaps(
    cells: np.ndarray,
    eligible: dict[str, np.ndarray],
    subjects: list[str],
    classes: list[str],
    pos: int | None,
) -> dict[str, float]:
    """fairlearn's differences over the groups eligible for them (``eligible``: gap family
    ``dp``/``accuracy``/``eo`` -> boolean per subject); absent with fewer than two groups."""
    k = len(classes)
    out: dict[str, float] = {}

    def table_of(family: str, labelled: bool) -> pd.DataFrame | None:
        if eligible[family].sum() < 2:
            return None
        keep = cells * eligible[family][:, None, None]
        table = cell_table(keep, subjects)
        return table[table["t"] <= k] if labelled else table

    if (table := table_of("dp", False)) is not None:
        kw = {"sensitive_features": table["group"].to_numpy(object), "sample_weight": table["w"]}
        for i, name in enumerate(classes):
            if pos is not None and i != pos:
                continue
            p = (table["p"].to_numpy() == i).astype(int)
            suffix = "" if pos is not None else f"_{name}"
            out[f"dp_difference{suffix}"] = flm.demographic_parity_difference(p, p, **kw)
            out[f"dp_ratio{suffix}"] = flm.demographic_parity_ratio(p, p, **kw)
    if (table := table_of("accuracy", True)) is not None:
        out["accuracy_difference"] = flm.accuracy_score_difference(
            table["t"].to_numpy(),
            table["p"].to_numpy(),
            sensitive_features=table["group"].to_numpy(object),
            sample_weight=table["w"].to_numpy(),
        )
    if pos is not None and (table := table_of("eo", True)) is not None:
        t = (table["t"].to_numpy() == pos).astype(int)
        p = (table["p"].to_numpy() == pos).astype(int)
        kw = {"sensitive_features": table["group"].to_numpy(object)}
        w = table["w"].to_numpy()
        out["eo_difference"] = flm.equalized_odds_difference(t, p, sample_weight=w, **kw)
        rates = {"tpr": flm.true_positive_rate, "fpr": flm.false_positive_rate}
        diff = _weighted(rates, table, t, p).difference()  # as equalized odds takes them
        out["tpr_difference"], out["fpr_difference"] = float(diff["tpr"]), float(diff["fpr"])
    return out
