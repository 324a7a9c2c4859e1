"""Fairness figures against fairlearn's MetricFrame on the raw rows and against pandas."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm
from sklearn.metrics import accuracy_score

from monitoring_pipelines.fairness import fairness_figures, fairness_metrics, fairness_rows
from tests.fairness.conftest import grouped_day, noisy_labels, store_day, toy_config

DAY = date(2026, 3, 2)
SIZES = {"a": 400, "b": 300, "c": 250, "tiny": 5}


@pytest.fixture
def toy_store(home, con):
    cfg = toy_config(home)
    frame = grouped_day(DAY, SIZES)
    frame.loc[frame["group"] == "tiny", "prediction"] = 1  # an extreme, but tiny, group
    labels = noisy_labels(frame, 0.7)
    store_day(home, con, cfg, frame, DAY, labels)
    joined = frame.assign(label=labels.reindex(range(len(frame))).to_numpy())
    return cfg, joined


def _by(metrics, subject_prefix=""):
    return {(m.metric, m.subject): m for m in metrics if m.subject.startswith(subject_prefix)}


def test_group_figures_equal_fairlearn_metricframe_and_pandas(con, toy_store):
    cfg, frame = toy_store
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, fairness_rows(con, cfg, DAY, DAY))))
    lab = frame[frame["label"].notna()]
    sel = flm.MetricFrame(
        metrics=flm.selection_rate,
        y_true=frame["prediction"],
        y_pred=frame["prediction"],
        sensitive_features=frame["group"],
    ).by_group
    rates = flm.MetricFrame(
        metrics={
            "accuracy": accuracy_score,
            "tpr": flm.true_positive_rate,
            "fpr": flm.false_positive_rate,
        },
        y_true=lab["label"].astype(int),
        y_pred=lab["prediction"],
        sensitive_features=lab["group"],
    ).by_group
    for g in SIZES:
        subject = f"group={g}"
        assert got[("selection_rate", subject)].value == pytest.approx(sel[g], abs=1e-12)
        for m in ("accuracy", "tpr", "fpr"):
            assert got[(m, subject)].value == pytest.approx(rates.loc[g, m], abs=1e-12), (m, g)
        # independently, with pandas: counts and the true positive rate
        rows = frame[frame["group"] == g]
        pos = rows[rows["label"] == 1]
        assert got[("rows", subject)].value == len(rows)
        assert got[("labelled_rows", subject)].value == rows["label"].notna().sum()
        assert got[("tpr", subject)].value == pytest.approx(pos["prediction"].mean(), abs=1e-12)
        assert got[("selection_rate", subject)].value == pytest.approx(rows["prediction"].mean())
    coverage = got[("label_coverage", "")].value
    assert coverage == pytest.approx(frame["label"].notna().mean())


def test_gaps_equal_fairlearn_functions_over_the_large_groups(con, toy_store):
    cfg, frame = toy_store
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, fairness_rows(con, cfg, DAY, DAY))))
    big = frame[frame["group"] != "tiny"]
    lab = big[big["label"].notna()]
    kw = {"sensitive_features": big["group"]}
    y, p = lab["label"].astype(int), lab["prediction"]
    expect = {
        "dp_difference": flm.demographic_parity_difference(big["label"], big["prediction"], **kw),
        "dp_ratio": flm.demographic_parity_ratio(big["label"], big["prediction"], **kw),
        "eo_difference": flm.equalized_odds_difference(y, p, sensitive_features=lab["group"]),
        "tpr_difference": flm.true_positive_rate_difference(y, p, sensitive_features=lab["group"]),
        "accuracy_difference": flm.accuracy_score_difference(y, p, sensitive_features=lab["group"]),
    }
    for name, value in expect.items():
        assert got[(name, "group")].value == pytest.approx(value, abs=1e-12), name
        m = got[(name, "group")]
        assert m.lower <= m.value <= m.upper, name
    # pandas: the selection-rate gap between the large groups
    rates = big.groupby("group")["prediction"].mean()
    assert got[("dp_difference", "group")].value == pytest.approx(rates.max() - rates.min())


def test_a_group_of_five_rows_is_insufficient_and_raises_nothing(con, toy_store):
    cfg, _ = toy_store
    metrics = fairness_metrics(cfg, fairness_figures(cfg, fairness_rows(con, cfg, DAY, DAY)))
    got = _by(metrics)
    assert got[("insufficient", "group=tiny")].value == 1.0
    assert got[("selection_rate", "group=tiny")].value == 1.0  # recorded all the same
    assert got[("insufficient", "group=a")].value == 0.0
    assert got[("groups_insufficient", "group")].value == 1.0
    assert all(m.status == "ok" for m in metrics if m.subject.startswith("group=tiny"))
    # with the tiny group allowed in, its selection rate of 1 makes a glaring gap
    loose = cfg.model_copy(
        update={"fairness": cfg.fairness.model_copy(update={"min_group_size": 1})}
    )
    with_tiny = _by(
        fairness_metrics(loose, fairness_figures(loose, fairness_rows(con, loose, DAY, DAY)))
    )
    assert with_tiny[("dp_difference", "group")].value > 0.4
    assert got[("dp_difference", "group")].value < 0.2
    assert got[("dp_difference", "group")].status == "ok"


def test_bootstrap_is_seeded_and_matches_the_binomial_error(con, toy_store):
    cfg, frame = toy_store
    cfg = cfg.model_copy(
        update={
            "fairness": cfg.fairness.model_copy(
                update={"bootstrap_resamples": 2000, "confidence": 0.95}
            )
        }
    )
    rows = fairness_rows(con, cfg, DAY, DAY)
    first = _by(fairness_metrics(cfg, fairness_figures(cfg, rows)))
    again = _by(fairness_metrics(cfg, fairness_figures(cfg, rows)))
    assert first == again
    m = first[("selection_rate", "group=a")]
    p, n = m.value, SIZES["a"]
    width = 2 * 1.959964 * np.sqrt(p * (1 - p) / n)  # normal interval of a proportion
    assert m.upper - m.lower == pytest.approx(width, rel=0.15)


def test_intersections_cross_pairs_of_attributes(con, home):
    cfg = toy_config(home, intersections=True, min_group_size=5)
    frame = grouped_day(DAY, {"a": 150, "b": 150})
    store_day(home, con, cfg, frame, DAY, noisy_labels(frame, 0.5))
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, fairness_rows(con, cfg, DAY, DAY))))
    crossed = frame.groupby(["group", "color"])["prediction"].mean()
    for (g, c), rate in crossed.items():
        assert got[("selection_rate", f"group={g}&color={c}")].value == pytest.approx(rate)
    assert got[("dp_difference", "group&color")].value == pytest.approx(
        crossed.max() - crossed.min()
    )
    assert ("dp_difference", "color") in got


def test_unlabelled_day_has_selection_rates_but_no_label_figures(con, home):
    cfg = toy_config(home)
    frame = grouped_day(DAY, {"a": 100, "b": 100})
    store_day(home, con, cfg, frame, DAY, pd.Series([], dtype=int))
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, fairness_rows(con, cfg, DAY, DAY))))
    assert got[("dp_difference", "group")].value is not None
    assert got[("eo_difference", "group")].value is None
    assert got[("accuracy", "group=a")].value is None
    assert got[("label_coverage", "group")].value == 0.0


def test_gaps_over_every_group_reuse_the_group_frames(home, con, monkeypatch):
    """With every group large, an attribute's gaps come from the two MetricFrames of its group
    figures (no frame is built again), and still equal fairlearn's functions on the raw rows."""
    cfg = toy_config(home)
    frame = grouped_day(DAY, {"a": 400, "b": 300, "c": 250})
    labels = noisy_labels(frame, 0.7)
    store_day(home, con, cfg, frame, DAY, labels)
    built = []
    real = flm.MetricFrame

    def counting(*args, **kwargs):
        built.append(kwargs.get("metrics"))
        return real(*args, **kwargs)

    from monitoring_pipelines.fairness import classification

    monkeypatch.setattr(classification.flm, "MetricFrame", counting)
    rows = fairness_rows(con, cfg, DAY, DAY)
    got = _by(fairness_metrics(cfg, fairness_figures(cfg, rows)))
    monkeypatch.undo()
    assert len(built) == 2 * len(cfg.sensitive)  # selection and labelled, per attribute
    joined = frame.assign(label=labels.reindex(range(len(frame))).to_numpy())
    lab = joined[joined["label"].notna()]
    y, p = lab["label"].astype(int), lab["prediction"]
    kw = {"sensitive_features": lab["group"]}
    expect = {
        "dp_difference": flm.demographic_parity_difference(
            joined["prediction"], joined["prediction"], sensitive_features=joined["group"]
        ),
        "eo_difference": flm.equalized_odds_difference(y, p, **kw),
        "fpr_difference": flm.false_positive_rate_difference(y, p, **kw),
        "accuracy_difference": flm.accuracy_score_difference(y, p, **kw),
    }
    for name, value in expect.items():
        assert got[(name, "group")].value == pytest.approx(value, abs=1e-12), name
