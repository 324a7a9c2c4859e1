"""The operating point of a binary classifier: what its action thresholds do each day.

Rows scoring >= ``actions.hard`` are acted on automatically, >= ``actions.soft`` go to people,
the rest are no-ops. Per threshold: the share of rows over it, the precision and recall of
acting on them (realized with a bootstrap interval once labels join; estimated by CBPE before),
and whether the hard threshold's precision/recall stays in its configured target band.
"""

from __future__ import annotations

import numpy as np

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.cbpe import BinaryCBPE
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.weighted import binary_metrics, ratio
from monitoring_pipelines.store.metrics import Metric


def thresholds(cfg: ModelConfig) -> dict[str, float]:
    """Action name -> score threshold, for a binary model with a score and actions."""
    if cfg.task is not Task.binary or not cfg.columns.score:
        return {}
    a = cfg.actions
    return {k: v for k, v in (("hard", a.hard), ("soft", a.soft)) if v is not None}


def _band_status(name: str, value: float | None, cfg: ModelConfig, action: str) -> str:
    s = cfg.performance
    target, buffer = {
        "precision": (s.target_precision, s.precision_buffer),
        "recall": (s.target_recall, s.recall_buffer),
    }[name]
    if action != "hard" or target is None or value is None or not np.isfinite(value):
        return "ok"
    if value < target - buffer:
        return "alert"
    return "warn" if value > target + buffer else "ok"


def _band(name: str, cfg: ModelConfig, action: str) -> tuple[float | None, float | None]:
    s = cfg.performance
    target, buffer = {
        "precision": (s.target_precision, s.precision_buffer),
        "recall": (s.target_recall, s.recall_buffer),
    }[name]
    if action != "hard" or target is None:
        return None, None
    return target - buffer, target + buffer


def _bootstrap_counts(
    y: np.ndarray, yhat: np.ndarray, resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """Precision and recall under a Poisson(1) bootstrap of the rows, drawn per confusion cell:
    the weighted count of a cell of c rows is a sum of c independent Poisson(1) weights, which
    is Poisson(c), and the cells are independent. The same distribution as drawing a weight per
    row, in O(resamples) rather than O(resamples x rows)."""
    cells = np.array([y @ yhat, (1 - y) @ yhat, y @ (1 - yhat)])  # tp, fp, fn
    tp, fp, fn = np.random.default_rng(seed).poisson(cells, (resamples, 3)).astype(float).T
    # as binary_metrics: no predicted (or no actual) positives gives 0, not NaN
    return {
        "precision": np.nan_to_num(ratio(tp, tp + fp)),
        "recall": np.nan_to_num(ratio(tp, tp + fn)),
    }


def operating_point(
    cfg: ModelConfig, day: Rows, labelled: Rows, cbpe: BinaryCBPE | None
) -> list[Metric]:
    """The day's operating-point figures (shares and precision/recall in [0, 1]).

    Subject = the action ('hard' / 'soft'): ``action_share``; ``estimated_precision`` and
    ``estimated_recall`` (CBPE, lower/upper = the target band) when an estimator exists;
    ``precision`` and ``recall`` (realized, lower/upper = bootstrap interval) when at least
    ``min_labelled_rows`` labels joined. Subject '': ``noop_share``. Status: 'alert' when the
    hard threshold's precision/recall falls below target - buffer, 'warn' above target + buffer
    (realized figures judged when present, else the estimates).
    """
    cuts = thresholds(cfg)
    if not cuts or day.scores is None or len(day) == 0:
        return []
    s = cfg.performance
    out = []
    lowest = min(cuts.values())
    covered = np.zeros(len(day), dtype=bool)
    for action, cut in sorted(cuts.items(), key=lambda kv: -kv[1]):
        over = day.scores >= cut
        out.append(Metric("action_share", float(np.mean(over & ~covered)), action))
        covered |= over
        real = {}
        if len(labelled) >= s.min_labelled_rows and labelled.scores is not None:
            yhat = (labelled.scores >= cut).astype(float)
            ones = np.ones((1, len(labelled)))
            point = binary_metrics(ones, labelled.y, yhat, None)
            boot = _bootstrap_counts(labelled.y, yhat, s.bootstrap_resamples, s.seed)
            alpha = 1 - s.confidence
            for name in ("precision", "recall"):
                lo, hi = np.quantile(boot[name], [alpha / 2, 1 - alpha / 2])
                real[name] = float(point[name][0])
                status = _band_status(name, real[name], cfg, action)
                out.append(Metric(name, real[name], action, float(lo), float(hi), status))
        if cbpe is not None:
            est = cbpe.estimate(day.scores, (day.scores >= cut).astype(float))
            for name in ("precision", "recall"):
                lo, hi = _band(name, cfg, action)
                status = "ok" if name in real else _band_status(name, est[name], cfg, action)
                out.append(Metric(f"estimated_{name}", est[name], action, lo, hi, status))
    out.append(Metric("noop_share", float(np.mean(day.scores < lowest))))
    return out
