"""The review day on a hand-built store: queue, backlog, control precision and the audit,
each against an independent pandas/numpy computation."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.outliers.daily import replace_outlier_rows
from monitoring_pipelines.review.backlog import backlog_path, project_backlog
from monitoring_pipelines.review.daily import review_day
from monitoring_pipelines.review.store import save_audit
from monitoring_pipelines.store.schema import ensure_model_tables
from tests.conftest import TOY_CONFIG

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]
N = 300


def _cfg(**review) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            **TOY_CONFIG,
            "actions": {"hard": 0.8, "soft": 0.5},
            "review": {
                "capacity_per_day": 60,
                "control_column": "control",
                "trailing_days": 2,
                "projection_days": 3,
                "audit_budget_per_day": 30,
                **review,
            },
        }
    )


def _store(con, cfg):
    ensure_model_tables(con, cfg)
    con.execute("ALTER TABLE predictions__toy ADD COLUMN IF NOT EXISTS control BOOLEAN")
    rng = np.random.default_rng(0)
    frames = []
    for d in DAYS:
        score = rng.beta(1, 2.5, N)
        frames.append(
            pd.DataFrame(
                {
                    "_day": d,
                    "prediction_id": [f"{d}-{i:03d}" for i in range(N)],
                    "prediction": np.where(score >= 0.5, "1", "0"),
                    "score": score,
                    "control": rng.random(N) < 0.2,
                    "label": np.where(rng.random(N) < score, "1", "0"),
                }
            )
        )
    logs = pd.concat(frames, ignore_index=True)
    con.register("_logs", logs)
    con.execute(
        "INSERT INTO predictions__toy (_day, prediction_id, prediction, score, control) "
        "SELECT _day, prediction_id, prediction, score, control FROM _logs"
    )
    known = logs[logs._day == DAYS[0]].iloc[: N - 20]  # the last 20 labels never come
    con.register("_known", known)
    con.execute(
        "INSERT INTO ground_truth__toy (_day, prediction_id, label) "
        "SELECT _day, prediction_id, label FROM _known"
    )
    outliers = {}
    for d, f in zip(DAYS, frames, strict=True):
        ids = f.prediction_id.iloc[::15]  # every 15th row, some of them soft too
        outliers[d] = set(ids)
        flagged = pd.DataFrame(
            {"prediction_id": ids, "detector": "iforest", "score": 1.0, "threshold": 0.5,
             "extreme_features": ""}
        )  # fmt: skip
        replace_outlier_rows(con, "toy", d, flagged)
    return frames, outliers, known


def test_queue_backlog_and_control_precision(con):
    cfg = _cfg()
    frames, outliers, known = _store(con, cfg)
    inflow = []
    for f, d in zip(frames, DAYS, strict=True):
        soft = set(f.prediction_id[(f.score >= 0.5) & (f.score < 0.8)])
        inflow.append(len(soft | outliers[d]))
    result = review_day(con, cfg, DAYS[-1])
    m = {x.metric: x for x in result.metrics if not x.subject}
    f = frames[-1]
    soft = set(f.prediction_id[(f.score >= 0.5) & (f.score < 0.8)])
    assert m["queue_rows"].value == len(soft | outliers[DAYS[-1]]) == len(result.queue)
    assert m["queue_soft_rows"].value == len(soft)
    both = result.queue[result.queue.reason == "outlier+soft"]
    assert set(both.prediction_id) == soft & outliers[DAYS[-1]]
    assert m["queue_rate"].value == pytest.approx(len(result.queue) / N)
    backlog = backlog_path(inflow, 60)[-1]
    assert m["backlog"].value == backlog
    assert m["backlog_projected"].value == pytest.approx(
        project_backlog(backlog, np.mean(inflow[-2:]), 60, 3)
    )
    assert m["queue_rows"].status == ("alert" if inflow[-1] > 60 else "ok")
    # control precision over the window: labelled control rows whose prediction is positive
    logs = pd.concat(frames)
    ctl = logs[logs.control & logs.prediction_id.isin(known.prediction_id)]
    decided = ctl[ctl.prediction == "1"]
    k, n = int((decided.label == "1").sum()), len(decided)
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    p = m["control_precision"]
    assert (p.value, p.lower, p.upper) == pytest.approx((k / n, ci.low, ci.high))
    assert m["control_rows"].value == frames[-1].control.sum()


def test_audit_sample_and_recall_estimate(con):
    cfg = _cfg()
    frames, _, known = _store(con, cfg)
    day = DAYS[0]
    first = review_day(con, cfg, day)
    assert first.new_audit
    sample = first.audit
    f = frames[0].set_index("prediction_id")
    assert (f.loc[sample.prediction_id, "score"] < 0.5).all()  # negatives only
    m = {x.metric: x.value for x in first.metrics if not x.subject}
    assert m["audit_negatives"] == (f.score < 0.5).sum()
    assert m["audit_expected_size"] == pytest.approx(30)
    assert m["audit_sample_size"] == len(sample)
    # Horvitz-Thompson by hand: labelled audits stand for all drawn ones
    lab = known.set_index("prediction_id").label
    back = sample[sample.prediction_id.isin(lab.index)]
    y = (lab.loc[back.prediction_id] == "1").to_numpy(float)
    response = len(back) / len(sample)
    fn = np.sum(y / (back.pi.to_numpy() * response))
    above = f[f.score >= 0.5]
    above_known = above[above.index.isin(lab.index)]
    tp = len(above) * (lab.loc[above_known.index] == "1").mean()
    assert m["fn_estimated"] == pytest.approx(fn)
    assert m["recall_ht"] == pytest.approx(tp / (tp + fn))
    # the drawn sample is kept: a later run re-uses it
    save_audit(con, cfg.name, day, sample)
    again = review_day(con, cfg, day)
    assert not again.new_audit
    assert again.audit.prediction_id.tolist() == sorted(sample.prediction_id.tolist())


def test_no_control_column_and_no_capacity(con):
    cfg = _cfg(capacity_per_day=None, control_column="absent", audit_budget_per_day=0)
    _store(con, cfg)
    result = review_day(con, cfg, DAYS[0])
    names = {x.metric for x in result.metrics}
    assert "queue_rows" in names and "backlog" not in names and "control_precision" not in names
    assert any("absent" in note for note in result.notes)
    assert result.audit is None
