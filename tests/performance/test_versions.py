"""Model comparison: per-version figures on each version's rows, output change between them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import accuracy_score

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import to_rows
from monitoring_pipelines.performance.versions import version_comparison

CFG = ModelConfig.model_validate(
    {
        "name": "m",
        "task": "binary",
        "logs": {"path": "l/{day}.parquet"},
        "reference": {"path": "r.parquet"},
        "features": {"numeric": ["x"]},
    }
)


def _frame():
    rng = np.random.default_rng(0)
    n = 1200
    version = np.where(rng.uniform(size=n) < 0.75, "1.0", "2.0")
    s = np.clip(rng.uniform(size=n) + np.where(version == "2.0", 0.1, 0.0), 0, 1)
    y = (rng.uniform(size=n) < s).astype(int)
    return pd.DataFrame(
        {"prediction": (s >= 0.5).astype(int), "score": s, "label": y, "model_version": version}
    )


def test_each_version_is_measured_on_its_rows_and_the_challenger_against_the_champion():
    frame = _frame()
    day, labelled = to_rows(CFG, frame, None), to_rows(CFG, frame, "label")
    got = {(m.metric, m.subject): m for m in version_comparison(CFG, day, labelled, None)}
    one, two = frame[frame.model_version == "1.0"], frame[frame.model_version == "2.0"]
    assert got[("traffic_share", "version=1.0")].value == pytest.approx(len(one) / len(frame))
    for v, part in (("1.0", one), ("2.0", two)):
        acc = accuracy_score(part["label"], part["prediction"])
        assert got[("accuracy", f"version={v}")].value == pytest.approx(acc)
    assert ("output_shift", "version=1.0") not in got  # the champion serves most traffic
    shift = got[("output_shift", "version=2.0")].value
    assert shift == pytest.approx(two.score.mean() - one.score.mean())
    ks = ks_2samp(two.score, one.score)
    assert got[("output_ks", "version=2.0")].value == pytest.approx(ks.statistic)
    assert got[("output_ks", "version=2.0")].status == "warn"
    rate = abs(two.prediction.mean() - one.prediction.mean())
    assert got[("decision_change", "version=2.0")].value == pytest.approx(rate)


def test_one_version_means_no_comparison():
    frame = _frame().assign(model_version="1.0")
    rows = to_rows(CFG, frame, "label")
    assert version_comparison(CFG, rows, rows, None) == []
