"""Champion against a shadow/challenger model scored on the same rows (columns
``challenger_prediction`` / ``challenger_score``): how many decisions flip, how far the
outputs move, and both models' realized figures on identical labelled rows."""

from __future__ import annotations

import numpy as np

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.performance.data import Rows, to_rows
from monitoring_pipelines.performance.realized import realized_performance
from monitoring_pipelines.store.metrics import Metric

LABEL = "_label"


def challenger_rows(cfg: ModelConfig, rows: Rows) -> Rows | None:
    """The same rows with the challenger's outputs in the champion's place, or None when the
    config names no challenger column. A binary challenger without a prediction column
    decides positive at score >= 0.5."""
    c = cfg.columns
    if not (c.challenger_prediction or (cfg.task is Task.binary and c.challenger_score)):
        return None
    frame = rows.frame.copy()
    if cfg.task is Task.binary and c.challenger_score:
        frame[c.score] = frame[c.challenger_score]
        if not c.challenger_prediction:
            negative, positive = cfg.class_values
            frame[c.prediction] = np.where(frame[c.challenger_score] >= 0.5, positive, negative)
    if c.challenger_prediction:
        frame[c.prediction] = frame[c.challenger_prediction]
    if cfg.task is Task.multiclass:  # per-class scores are the champion's only
        frame = frame.drop(columns=list(c.class_scores.values()))
        cfg = cfg.model_copy(update={"columns": c.model_copy(update={"class_scores": {}})})
    return to_rows(cfg, frame, LABEL if rows.y is not None else None)


def shadow_comparison(cfg: ModelConfig, day: Rows, labelled: Rows) -> list[Metric]:
    """Subject ``challenger``: ``flipped_decisions`` (share of rows whose decision differs;
    classifiers), ``output_shift`` and ``output_mean_abs_diff`` (challenger minus champion:
    score points for binary, target units for regression), ``flipped_hard_actions`` (share
    crossing ``actions.hard`` differently). Then realized figures of both on the same labelled
    rows (subjects ``champion`` and ``challenger``) and ``delta_<metric>`` = challenger minus
    champion. Empty when no challenger is configured or the day has no rows."""
    chall = challenger_rows(cfg, day)
    if chall is None or len(day) == 0:
        return []
    out: list[Metric] = []
    subj = "challenger"
    if cfg.task is not Task.regression:
        out.append(Metric("flipped_decisions", float(np.mean(chall.yhat != day.yhat)), subj))
    a, b = _output(cfg, chall), _output(cfg, day)
    if a is not None and b is not None:
        diff = a - b
        out.append(Metric("output_shift", float(np.nanmean(diff)), subj))
        out.append(Metric("output_mean_abs_diff", float(np.nanmean(np.abs(diff))), subj))
        hard = cfg.actions.hard
        if hard is not None and cfg.task is Task.binary:
            out.append(
                Metric("flipped_hard_actions", float(np.mean((a >= hard) != (b >= hard))), subj)
            )
    if labelled.y is None or len(labelled) == 0:
        return out
    chall_lab = challenger_rows(cfg, labelled)
    n = len(labelled)
    champ_fig = realized_performance(cfg, labelled, served=n, subject="champion")
    chall_fig = realized_performance(cfg, chall_lab, served=n, subject="challenger")
    out += champ_fig + chall_fig
    champ = {m.metric: m.value for m in champ_fig if m.subject == "champion"}
    for m in chall_fig:
        if (
            m.subject == "challenger"
            and m.metric in champ
            and m.metric not in ("coverage", "labelled_rows")
            and m.value is not None
        ):
            out.append(Metric(f"delta_{m.metric}", m.value - champ[m.metric], subj))
    return out


def _output(cfg: ModelConfig, rows: Rows) -> np.ndarray | None:
    if cfg.task is Task.regression:
        return rows.yhat.astype(float)
    if cfg.task is Task.binary and rows.scores is not None:
        return rows.scores.astype(float)
    return None
