"""Operating point: action shares, precision/recall at the thresholds, the target band."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, recall_score

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.cbpe import BinaryCBPE
from monitoring_pipelines.performance.data import to_rows
from monitoring_pipelines.performance.operating_point import operating_point

BASE = {
    "name": "m",
    "task": "binary",
    "logs": {"path": "l/{day}.parquet"},
    "reference": {"path": "r.parquet"},
    "features": {"numeric": ["x"]},
    "actions": {"hard": 0.8, "soft": 0.5},
}


def _frame(n, seed):
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n)
    y = (rng.uniform(size=n) < s).astype(int)
    return pd.DataFrame({"prediction": (s >= 0.5).astype(int), "score": s, "label": y})


def _by(metrics):
    return {(m.metric, m.subject): m for m in metrics}


def test_shares_and_precision_recall_equal_sklearn():
    cfg = ModelConfig.model_validate(BASE)
    frame = _frame(2000, 0)
    rows = to_rows(cfg, frame, "label")
    cbpe = BinaryCBPE.fit(rows.scores, rows.y, "isotonic", 10, 0)
    got = _by(operating_point(cfg, rows, rows, cbpe))
    s, y = frame["score"], frame["label"]
    assert got[("action_share", "hard")].value == pytest.approx(np.mean(s >= 0.8))
    assert got[("action_share", "soft")].value == pytest.approx(np.mean((s >= 0.5) & (s < 0.8)))
    assert got[("noop_share", "")].value == pytest.approx(np.mean(s < 0.5))
    for action, cut in (("hard", 0.8), ("soft", 0.5)):
        pred = (s >= cut).astype(int)
        p, r = got[("precision", action)], got[("recall", action)]
        assert p.value == pytest.approx(precision_score(y, pred))
        assert r.value == pytest.approx(recall_score(y, pred))
        assert p.lower < p.value < p.upper
        assert got[("estimated_precision", action)].value == pytest.approx(p.value, abs=0.03)


def test_precision_below_the_target_band_alerts():
    strict = ModelConfig.model_validate(
        {**BASE, "performance": {"target_precision": 0.97, "precision_buffer": 0.02}}
    )
    loose = ModelConfig.model_validate(
        {**BASE, "performance": {"target_precision": 0.9, "precision_buffer": 0.05}}
    )
    rows = to_rows(strict, _frame(2000, 1), "label")  # precision at 0.8 is about 0.9
    assert _by(operating_point(strict, rows, rows, None))[("precision", "hard")].status == "alert"
    ok = _by(operating_point(loose, rows, rows, None))[("precision", "hard")]
    assert ok.status == "ok" and ok.lower < ok.value


def test_no_labels_judges_the_estimate():
    cfg = ModelConfig.model_validate(
        {**BASE, "performance": {"target_precision": 0.97, "precision_buffer": 0.02}}
    )
    ref = to_rows(cfg, _frame(3000, 2), "label")
    day = to_rows(cfg, _frame(500, 3).drop(columns="label"), None)
    empty = to_rows(cfg, _frame(0, 4), "label")
    got = _by(operating_point(cfg, day, empty, BinaryCBPE.fit(ref.scores, ref.y, "auto", 10, 0)))
    assert ("precision", "hard") not in got
    est = got[("estimated_precision", "hard")]
    assert est.status == "alert" and (est.lower, est.upper) == (0.95, 0.99)
