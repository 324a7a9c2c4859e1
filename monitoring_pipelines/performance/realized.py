"""Realized performance: the model's figures on labelled rows, each with a bootstrap interval,
the label coverage it used, and a status against the reference band.
"""

from __future__ import annotations

import numpy as np

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.config.performance import PerformanceSettings
from monitoring_pipelines.performance.bands import Band, judge
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.weighted import (
    SPLIT_THREADS,
    binary_metrics,
    by_weightings,
    multiclass_metrics,
    poisson_weights,
    regression_metrics,
    weighted_quantiles,
)
from monitoring_pipelines.store.metrics import Metric


def task_metrics(cfg: ModelConfig, rows: Rows, w: np.ndarray, bins: int) -> dict[str, np.ndarray]:
    """The task's figures under the (B, n) row weights ``w`` (see :mod:`.weighted`)."""
    if cfg.task is Task.regression:
        return regression_metrics(w, rows.y, rows.yhat)
    if cfg.task is Task.binary:
        return binary_metrics(w, rows.y, rows.yhat, rows.scores, bins)
    return multiclass_metrics(w, rows.y, rows.yhat, rows.scores, len(cfg.class_values))


def by_score(cfg: ModelConfig, rows: Rows) -> Rows:
    """A binary model's rows highest score first (outputs and labels only), so the ranking
    figures of many weightings need no sort each; other rows unchanged."""
    if cfg.task is Task.binary and rows.scores is not None:
        return rows.take(np.argsort(-rows.scores, kind="stable"), frame=False)
    return rows


def bootstrap(
    cfg: ModelConfig, rows: Rows, settings: PerformanceSettings, threads: int = SPLIT_THREADS
) -> dict[str, tuple[float, float, float]]:
    """metric -> (value, lower, upper): the figure on the rows and its percentile interval
    over Poisson-bootstrap resamples at ``settings.confidence`` (above
    ``settings.bootstrap_max_rows`` rows, resamples of a random subset with their spread
    scaled to the whole: see the setting). Regression adds error
    quantiles ``error_q<pct>`` (value as numpy's linear quantile, in the target's units).
    Large bootstraps share their resamples among ``threads`` (the same figures: see
    :func:`~.weighted.by_weightings`)."""
    n = len(rows)
    rng = np.random.default_rng(settings.seed)
    point = task_metrics(cfg, rows, np.ones((1, n)), settings.calibration_bins)
    sub, scale = rows, 1.0
    if n > settings.bootstrap_max_rows:
        # m-out-of-n bootstrap: resample a random subset, scale the spread by sqrt(m / n)
        # (every figure here is a smooth, root-n consistent statistic)
        m = settings.bootstrap_max_rows
        keep = np.sort(rng.choice(n, m, replace=False))
        sub = rows.take(keep, frame=False)
        scale = float(np.sqrt(m / n))
    sub = by_score(cfg, sub)
    w = poisson_weights(rng, (settings.bootstrap_resamples, len(sub)), threads)
    centre = task_metrics(cfg, sub, np.ones((1, len(sub))), settings.calibration_bins)
    quantiles = (
        {f"error_q{round(q * 100):02d}": q for q in settings.error_quantiles}
        if cfg.task is Task.regression
        else {}
    )
    errors = sub.yhat - sub.y if quantiles else None

    def figures(part: np.ndarray) -> dict[str, np.ndarray]:
        out = task_metrics(cfg, sub, part, settings.calibration_bins)
        for name, q in quantiles.items():
            out[name] = weighted_quantiles(part, errors, q)
        return out

    boot = by_weightings(figures, w, threads)
    if quantiles:
        e = rows.yhat - rows.y
        for name, q in quantiles.items():
            point[name] = np.array([np.quantile(e, q)])
            centre[name] = np.array([np.quantile(errors, q)])
    if scale != 1.0:
        boot = {k: point[k] + scale * (v - centre[k]) for k, v in boot.items()}
    alpha = 1 - settings.confidence
    out = {}
    for name, value in point.items():
        b = boot[name][np.isfinite(boot[name])]
        lo, hi = np.quantile(b, [alpha / 2, 1 - alpha / 2]) if len(b) else (np.nan, np.nan)
        out[name] = (float(value[0]), float(lo), float(hi))
    return out


def realized_performance(
    cfg: ModelConfig,
    rows: Rows,
    *,
    served: int,
    bands: dict[str, Band] | None = None,
    subject: str = "",
    threads: int = SPLIT_THREADS,
) -> list[Metric]:
    """The realized figures of labelled ``rows`` out of ``served`` predictions.

    Always returns ``coverage`` (share of served predictions with a label; status
    'warn' when below ``min_label_coverage``) and ``labelled_rows``. With at least
    ``min_labelled_rows`` labels, every figure of the task with lower/upper = its interval,
    judged against ``bands``; partial-coverage figures are at most 'warn'. Multiclass
    per-class recall and precision have the class as subject, prefixed by ``subject``.
    ``threads``: see :func:`bootstrap` (1 where the caller already keeps both cores busy).
    """
    s = cfg.performance
    n = len(rows)
    coverage = n / served if served else 0.0
    partial = coverage < s.min_label_coverage
    out = [
        Metric("coverage", coverage, subject, status="warn" if partial else "ok"),
        Metric("labelled_rows", n, subject),
    ]
    if n < s.min_labelled_rows:
        return out
    classes = cfg.class_values
    for name, (value, lo, hi) in bootstrap(cfg, rows, s, threads).items():
        status = judge(name, value, n, (bands or {}).get(name), s)
        if partial and status == "alert":
            status = "warn"
        metric, subj = name, subject
        if cfg.task is Task.multiclass and name.split("_")[0] in ("recall", "precision"):
            metric, index = name.split("_")
            subj = "/".join(x for x in (subject, classes[int(index)]) if x)
        out.append(Metric(metric, value, subj, lower=lo, upper=hi, status=status))
    return out
