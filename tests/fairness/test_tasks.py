"""Multiclass and regression fairness against fairlearn and pandas; statuses by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.metrics import mean_absolute_error

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.fairness import FairnessSettings
from monitoring_pipelines.fairness import fairness_figures, fairness_metrics
from monitoring_pipelines.fairness.calculator import judge
from monitoring_pipelines.fairness.data import from_frame
from monitoring_pipelines.fairness.result import Figure

BASE = {
    "logs": {"path": "l/{day}.parquet"},
    "reference": {"path": "r.parquet"},
    "features": {"numeric": ["x"]},
    "sensitive": ["city"],
}
CLASSES = ["billing", "technical", "other"]


def _by(metrics):
    return {(m.metric, m.subject): m for m in metrics}


def _multiclass_frame(n=900, seed=0):
    rng = np.random.default_rng(seed)
    city = rng.choice(["paris", "lyon", "nice"], n, p=[0.5, 0.3, 0.2])
    label = rng.choice(CLASSES, n)
    pred = np.where(rng.uniform(size=n) < np.where(city == "lyon", 0.5, 0.8), label, "other")
    return pd.DataFrame(
        {
            "prediction": pred,
            "label": np.where(rng.uniform(size=n) < 0.8, label, None),
            "city": city,
        }
    )


def _multiclass(**fairness):
    raw = {**BASE, "name": "m", "task": "multiclass", "classes": CLASSES, "fairness": fairness}
    raw["columns"] = {"score": None}
    return ModelConfig.model_validate(raw)


def test_multiclass_per_class_selection_rates_and_accuracy():
    cfg, frame = _multiclass(), _multiclass_frame()
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, from_frame(cfg, frame, "label"))))
    for c in CLASSES:
        rates = (frame["prediction"] == c).groupby(frame["city"]).mean()
        for city, rate in rates.items():
            assert got[(f"selection_rate_{c}", f"city={city}")].value == pytest.approx(rate)
        assert got[(f"dp_difference_{c}", "city")].value == pytest.approx(rates.max() - rates.min())
    worst = max(got[(f"dp_difference_{c}", "city")].value for c in CLASSES)
    assert got[("dp_difference", "city")].value == pytest.approx(worst)
    lab = frame[frame["label"].notna()]
    acc = (lab["prediction"] == lab["label"]).groupby(lab["city"]).mean()
    assert got[("accuracy_difference", "city")].value == pytest.approx(acc.max() - acc.min())
    assert got[("accuracy_difference", "city")].status == "alert"  # lyon is right far less often
    assert ("eo_difference", "city") not in got


def test_multiclass_one_vs_rest_for_the_configured_positive_class():
    cfg, frame = _multiclass(positive_class="billing"), _multiclass_frame()
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, from_frame(cfg, frame, "label"))))
    lab = frame[frame["label"].notna()]
    y, p = (lab["label"] == "billing").astype(int), (lab["prediction"] == "billing").astype(int)
    expect = flm.equalized_odds_difference(y, p, sensitive_features=lab["city"])
    assert got[("eo_difference", "city")].value == pytest.approx(expect, abs=1e-12)
    tpr = p[y == 1].groupby(lab["city"][y == 1]).mean()
    for city, rate in tpr.items():
        assert got[("tpr", f"city={city}")].value == pytest.approx(rate)


def test_regression_mae_per_group_and_gap():
    raw = {**BASE, "name": "r", "task": "regression", "columns": {"score": None}}
    cfg = ModelConfig.model_validate(raw)
    rng = np.random.default_rng(3)
    n = 1200
    city = rng.choice(["paris", "lyon", "nice", "albi"], n, p=[0.45, 0.3, 0.22, 0.03])
    y = rng.gamma(4, 8, n)
    pred = y + rng.normal(0, np.where(city == "lyon", 9.0, 4.0))
    label = np.where(rng.uniform(size=n) < 0.9, y, np.nan)
    frame = pd.DataFrame({"prediction": pred, "label": label, "city": city})
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, from_frame(cfg, frame, "label"))))
    lab = frame[frame["label"].notna()]
    mae = flm.MetricFrame(
        metrics=mean_absolute_error,
        y_true=lab["label"],
        y_pred=lab["prediction"],
        sensitive_features=lab["city"],
    ).by_group
    for c, v in mae.items():
        assert got[("mae", f"city={c}")].value == pytest.approx(v)
    big = lab[lab["city"] != "albi"]  # about 30 labelled rows: too few
    assert got[("insufficient_labels", "city=albi")].value == 1.0
    by_hand = (big["label"] - big["prediction"]).abs().groupby(big["city"]).mean()
    gap = by_hand.max() - by_hand.min()
    assert got[("mae_gap", "city")].value == pytest.approx(gap)
    pooled = (big["label"] - big["prediction"]).abs().mean()
    assert got[("mae_gap_relative", "city")].value == pytest.approx(gap / pooled)
    assert got[("mae_gap_relative", "city")].status == "alert"
    m = got[("mae", "city=paris")]
    assert m.lower < m.value < m.upper


@pytest.mark.parametrize(
    ("name", "figure", "status"),
    [
        ("eo_difference", Figure(0.25, 0.15, 0.35), "alert"),  # past alert, interval past warn
        ("eo_difference", Figure(0.25, 0.05, 0.40), "warn"),  # noise could explain it
        ("eo_difference", Figure(0.15, 0.12, 0.20), "warn"),
        ("eo_difference", Figure(0.05, 0.0, 0.10), "ok"),
        ("eo_difference", Figure(None), "ok"),
        ("dp_ratio", Figure(0.5, 0.4, 0.7), "alert"),  # lower is worse
        ("dp_ratio", Figure(0.5, 0.3, 0.9), "warn"),
        ("dp_ratio", Figure(0.9, 0.8, 1.0), "ok"),
    ],
)
def test_alert_needs_the_interval_past_the_warn_limit(name, figure, status):
    assert judge(FairnessSettings(), name, figure) == status


def test_settings_reject_inverted_limits():
    with pytest.raises(ValueError):
        FairnessSettings(eo_difference={"warn": 0.3, "alert": 0.2})
    with pytest.raises(ValueError):
        FairnessSettings(dp_ratio={"warn": 0.6, "alert": 0.8})
    with pytest.raises(ValueError):
        FairnessSettings(judged=["roc_auc_difference"])
