"""A model's review day: the queue against capacity and the backlog, the control group's
precision, and the recall audit (sample drawn once, estimate re-computed as labels arrive)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.review import data
from monitoring_pipelines.review.audit import estimate_recall, inclusion_probabilities
from monitoring_pipelines.review.backlog import backlog_path, project_backlog
from monitoring_pipelines.review.control import precision_status, wilson_interval
from monitoring_pipelines.review.store import draw_audit, ensure_tables, stored_audit
from monitoring_pipelines.store.metrics import Metric, as_dates

FAMILY = "review"


@dataclass
class ReviewDay:
    """The day's figures; ``queue`` (prediction_id, reason) to store; ``audit`` the sample
    (``new_audit``: drawn now, to be stored); ``notes`` say what could not be computed."""

    metrics: list[Metric]
    queue: pd.DataFrame
    audit: pd.DataFrame | None
    new_audit: bool
    notes: list[str] = field(default_factory=list)

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.metric == name and not m.subject), None)


def review_day(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, day: date) -> ReviewDay:
    """Everything the review layer measures for ``day``."""
    ensure_tables(con)
    notes: list[str] = []
    metrics, queue = _queue_metrics(con, cfg, day)
    metrics += _control_metrics(con, cfg, day, notes)
    audit, new = None, False
    if cfg.task is Task.binary and cfg.columns.score and cfg.review.audit_budget_per_day:
        negatives = data.negatives(con, cfg, day)
        audit = stored_audit(con, cfg.name, day)
        new = audit is None
        if new:
            audit = draw_audit(cfg, day, negatives)
        metrics += _audit_metrics(con, cfg, day, negatives, audit, new)
    else:
        notes.append("recall audit: binary models with a score and an audit budget only")
    return ReviewDay(metrics, queue, audit, new, notes)


def _queue_metrics(con, cfg: ModelConfig, day: date) -> tuple[list[Metric], pd.DataFrame]:
    r = cfg.review
    first = day - timedelta(days=r.backlog_days - 1)
    served = data.served_by_day(con, cfg, first, day)
    inflow_by_day = data.queue_counts(con, cfg, first, day)
    start = min([*served, *inflow_by_day, day])
    days = [start + timedelta(days=i) for i in range((day - start).days + 1)]
    inflow = [inflow_by_day.get(d, 0) for d in days]
    queue = data.queue_rows(con, cfg, day)
    rows = served.get(day, 0)
    n = len(queue)
    soft = int(queue["reason"].str.contains("soft").sum()) if n else 0
    outl = int(queue["reason"].str.contains("outlier").sum()) if n else 0
    trailing = inflow[-r.trailing_days :]
    mean_inflow = float(np.mean(trailing)) if trailing else 0.0
    out = [
        Metric("rows", float(rows)),
        Metric("queue_soft_rows", float(soft)),
        Metric("queue_outlier_rows", float(outl)),
        Metric("inflow_trailing_mean", mean_inflow),
    ]
    cap = r.capacity_per_day
    if cap is None:
        out += [
            Metric("queue_rows", float(n)),
            Metric("queue_rate", n / rows if rows else None),
        ]
        return out, queue
    backlog = backlog_path(inflow, cap)[-1]
    projected = project_backlog(backlog, mean_inflow, cap, r.projection_days)
    over = "alert" if n > cap else "ok"
    out += [
        Metric("queue_rows", float(n), upper=float(cap), status=over),
        Metric("queue_rate", n / rows if rows else None, upper=cap / rows if rows else None,
               status=over),
        Metric("capacity", float(cap)),
        Metric("queue_excess", float(max(0, n - cap)), status=over),
        Metric("backlog", backlog, status="warn" if backlog > 0 else "ok"),
        Metric("backlog_projected", projected, status="warn" if projected > 0 else "ok"),
    ]  # fmt: skip
    return out, queue


def is_positive(labels: pd.Series, positive: str) -> np.ndarray:
    """Labels (or predictions) equal to the positive class: 1, 1.0 and '1' are the same."""

    def norm(v) -> str:
        text = str(v)
        return text[:-2] if text.endswith(".0") and text[:-2].lstrip("-").isdigit() else text

    return labels.map(norm).to_numpy(object) == norm(positive)


def _logged(con, cfg: ModelConfig, column: str, first: date, last: date) -> bool:
    """Whether ``column`` has any value in the logs of days ``first``..``last``."""
    from monitoring_pipelines.store.sql import predictions_table, qi

    (n,) = con.execute(
        f"SELECT count({qi(column)}) FROM {predictions_table(cfg.name)} WHERE _day BETWEEN ? AND ?",
        [first, last],
    ).fetchone()
    return n > 0


def _control_metrics(con, cfg: ModelConfig, day: date, notes: list[str]) -> list[Metric]:
    r = cfg.review
    if r.control_column is None:
        notes.append("no control group: review.control_column is not set")
        return []
    first = day - timedelta(days=r.control_window_days - 1)
    rows = data.control_rows(con, cfg, first, day)
    if rows.empty and r.control_column not in data.log_columns(con, cfg):
        notes.append(f"no control group: the logs have no column {r.control_column!r}")
        return []
    if rows.empty and not _logged(con, cfg, r.control_column, first, day):
        notes.append(
            f"no control group: column {r.control_column!r} is empty in the logs of "
            f"{first}..{day} (absent from the files)"
        )
        return []
    today = int((as_dates(rows["day"]) == day).sum()) if len(rows) else 0
    served = data.served_by_day(con, cfg, day, day).get(day, 0)
    labelled = rows[rows["label"].notna()]
    out = [
        Metric("control_rows", float(today)),
        Metric("control_share", today / served if served else None),
        Metric("control_labelled", float(len(labelled))),
    ]
    if cfg.task is Task.regression:
        return out
    if cfg.task is Task.binary:  # precision of the positive decisions
        decided = is_positive(labelled["prediction"], cfg.positive_class)
        right = is_positive(labelled["label"], cfg.positive_class) & decided
    else:  # every row is a decision: micro precision = accuracy
        decided = np.ones(len(labelled), dtype=bool)
        right = labelled["prediction"].to_numpy(object) == labelled["label"].to_numpy(object)
    k, m = int(right.sum()), int(decided.sum())
    lo, hi = wilson_interval(k, m, r.confidence)
    value = k / m if m else None
    status = precision_status(value, hi, r.target_precision, m, r.min_control_rows)
    out += [
        Metric("control_positive_decisions", float(m)),
        Metric("control_precision", value, lower=_num(lo), upper=_num(hi), status=status),
    ]
    return out


def _audit_metrics(con, cfg: ModelConfig, day, negatives, audit, new: bool) -> list[Metric]:
    r = cfg.review
    labels = data.audit_labels(con, cfg, day, audit)
    back = labels[labels["label"].notna()]
    y = is_positive(back["label"], cfg.positive_class).astype(float)
    above = data.labelled_above(con, cfg, day)
    known = above["label"].dropna()
    tp = len(above) * float(is_positive(known, cfg.positive_class).mean()) if len(known) else 0.0
    out = [
        Metric("audit_negatives", float(len(negatives))),
        Metric("audit_sample_size", float(len(audit))),
        Metric("audit_expected_size", _expected_size(cfg, negatives)),
        Metric("audit_labels_returned", float(len(back))),
        Metric("audit_positives_found", float(y.sum())),
        Metric("tp_reviewed", tp if len(known) else None),
    ]
    if not len(back) or not len(known):
        return out
    est = estimate_recall(
        tp, y, back["pi"].to_numpy(float), len(negatives), r.confidence, len(back) / len(audit)
    )
    status = precision_status(est.recall, est.upper, r.target_recall, len(back), 1)
    out += [
        Metric("fn_estimated", est.fn, lower=est.fn_lower, upper=est.fn_upper),
        Metric("recall_ht", est.recall, lower=est.lower, upper=est.upper, status=status),
        Metric("audit_srs_equivalent", est.srs_equivalent),
        Metric("audits_saved_vs_srs", est.audits_saved),
    ]
    return out


def _expected_size(cfg: ModelConfig, negatives: pd.DataFrame) -> float:
    r = cfg.review
    pi = inclusion_probabilities(
        negatives["score"].to_numpy(float), r.audit_budget_per_day, r.audit_exponent,
        r.audit_min_probability,
    )  # fmt: skip
    return float(pi.sum())


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x
