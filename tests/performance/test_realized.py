"""Realized figures equal scikit-learn's on the same rows; intervals widen with fewer labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import to_rows
from monitoring_pipelines.performance.realized import bootstrap, realized_performance

BASE = {
    "logs": {"path": "l/{day}.parquet"},
    "reference": {"path": "r.parquet"},
    "features": {"numeric": ["x"]},
}
CLASSES = ["a", "b", "c"]


def _cfg(task: str, **extra) -> ModelConfig:
    return ModelConfig.model_validate({"name": "m", "task": task, **BASE, **extra})


def _binary(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = np.round(rng.uniform(size=n), 2)  # ties on purpose
    label = (rng.uniform(size=n) < score).astype(int)
    return pd.DataFrame(
        {
            "prediction": (score >= 0.5).astype(int).astype(str),
            "score": score,
            "label": label.astype(str),
        }
    )


def test_binary_figures_equal_sklearn():
    cfg = _cfg("binary")
    frame = _binary(500)
    got = {
        k: v[0] for k, v in bootstrap(cfg, to_rows(cfg, frame, "label"), cfg.performance).items()
    }
    y, p = frame["label"].astype(int), frame["prediction"].astype(int)
    s = frame["score"].to_numpy()
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], s), minlength=10)
    ece = np.sum(np.abs(prob_true - prob_pred) * counts[counts > 0]) / len(s)
    expected = {
        "accuracy": skm.accuracy_score(y, p),
        "precision": skm.precision_score(y, p),
        "recall": skm.recall_score(y, p),
        "f1": skm.f1_score(y, p),
        "specificity": skm.recall_score(y, p, pos_label=0),
        "roc_auc": skm.roc_auc_score(y, s),
        "pr_auc": skm.average_precision_score(y, s),
        "log_loss": skm.log_loss(y, s),
        "brier": skm.brier_score_loss(y, s),
        "calibration_error": ece,
    }
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name


def test_multiclass_figures_equal_sklearn():
    cfg = _cfg(
        "multiclass", classes=CLASSES, columns={"class_scores": {c: f"s_{c}" for c in CLASSES}}
    )
    rng = np.random.default_rng(1)
    raw = rng.dirichlet([1, 1, 1], size=400)
    label = np.array([rng.choice(3, p=r) for r in raw])
    frame = pd.DataFrame({f"s_{c}": raw[:, i] for i, c in enumerate(CLASSES)})
    frame["prediction"] = np.array(CLASSES)[raw.argmax(axis=1)]
    frame["label"] = np.array(CLASSES)[label]
    got = {
        k: v[0] for k, v in bootstrap(cfg, to_rows(cfg, frame, "label"), cfg.performance).items()
    }
    y, p = frame["label"], frame["prediction"]
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert got["macro_f1"] == pytest.approx(skm.f1_score(y, p, average="macro"))
    assert got["weighted_f1"] == pytest.approx(skm.f1_score(y, p, average="weighted"))
    recalls = skm.recall_score(y, p, average=None, labels=CLASSES)
    precisions = skm.precision_score(y, p, average=None, labels=CLASSES)
    for i in range(3):
        assert got[f"recall_{i}"] == pytest.approx(recalls[i])
        assert got[f"precision_{i}"] == pytest.approx(precisions[i])
    auc = skm.roc_auc_score(y, raw, multi_class="ovr", average="macro", labels=CLASSES)
    assert got["macro_roc_auc"] == pytest.approx(auc)


def test_regression_figures_equal_sklearn():
    cfg = _cfg("regression")
    rng = np.random.default_rng(2)
    y = rng.gamma(3, 10, 300)
    pred = y + rng.normal(1, 5, 300)
    frame = pd.DataFrame({"prediction": pred, "label": y})
    got = {
        k: v[0] for k, v in bootstrap(cfg, to_rows(cfg, frame, "label"), cfg.performance).items()
    }
    e = pred - y
    expected = {
        "rmse": skm.root_mean_squared_error(y, pred),
        "mae": skm.mean_absolute_error(y, pred),
        "mape": skm.mean_absolute_percentage_error(y, pred),
        "r2": skm.r2_score(y, pred),
        "mean_error": np.mean(e),
        "error_std": np.std(e),
        "share_over": np.mean(e > 0),
        "share_under": np.mean(e < 0),
        "error_q05": np.quantile(e, 0.05),
        "error_q50": np.quantile(e, 0.5),
        "error_q95": np.quantile(e, 0.95),
    }
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_intervals_cover_the_figure_and_widen_at_low_coverage():
    cfg = _cfg("binary")
    full = _binary(1000, seed=3)
    rows = to_rows(cfg, full, "label")
    part = to_rows(cfg, full.iloc[:300], "label")
    complete = {m.metric: m for m in realized_performance(cfg, rows, served=1000)}
    partial = {m.metric: m for m in realized_performance(cfg, part, served=1000)}
    assert complete["coverage"].status == "ok"
    assert partial["coverage"].value == pytest.approx(0.3)
    assert partial["coverage"].status == "warn"
    for name in ("accuracy", "roc_auc", "f1", "brier"):
        c, p = complete[name], partial[name]
        assert c.lower <= c.value <= c.upper
        assert (p.upper - p.lower) > 1.3 * (c.upper - c.lower), name


def test_too_few_labels_give_only_coverage():
    cfg = _cfg("binary")
    rows = to_rows(cfg, _binary(10), "label")
    out = realized_performance(cfg, rows, served=400)
    assert [m.metric for m in out] == ["coverage", "labelled_rows"]


def test_large_rows_interval_from_rescaled_subset_matches_full_bootstrap():
    """Above bootstrap_max_rows the figure uses every row and the interval comes from an
    m-out-of-n bootstrap: its width agrees with the full bootstrap's to bootstrap noise."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from monitoring_pipelines.config import ModelConfig
    from monitoring_pipelines.performance.data import Rows
    from monitoring_pipelines.performance.realized import bootstrap
    from tests.conftest import TOY_CONFIG

    cfg = ModelConfig.model_validate(TOY_CONFIG)
    rng = np.random.default_rng(3)
    n = 100_000
    s = rng.uniform(size=n)
    y = (rng.uniform(size=n) < s).astype(float)
    rows = Rows((s > 0.5).astype(float), y, s, pd.DataFrame(index=range(n)))
    sub = bootstrap(cfg, rows, cfg.performance.model_copy(update={"bootstrap_max_rows": 10_000}))
    full = bootstrap(cfg, rows, cfg.performance.model_copy(update={"bootstrap_max_rows": n}))
    assert sub["roc_auc"][0] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    for metric in ("accuracy", "roc_auc", "brier", "log_loss", "f1"):
        assert sub[metric][0] == full[metric][0]
        width = (sub[metric][2] - sub[metric][1]) / (full[metric][2] - full[metric][1])
        assert 0.75 < width < 1.33, (metric, width)
        assert sub[metric][1] < sub[metric][0] < sub[metric][2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_calibration_error_of_one_weighting_equals_the_many_weightings_path(dtype):
    """A single weighting (point figures) is summed per bin with bincount, many (the
    bootstrap) with one matrix product: the same figure to rounding, weighted or not."""
    from monitoring_pipelines.performance.weighted import calibration_error

    rng = np.random.default_rng(3)
    n = 20_000
    s = np.round(rng.uniform(size=n), 3)  # bin edges hit exactly too
    y = (rng.uniform(size=n) < s).astype(float)
    for w in (np.ones((1, n), dtype), rng.poisson(1.0, (1, n)).astype(dtype)):
        one = calibration_error(w, y, s, 10)
        many = calibration_error(np.vstack([w, w]), y, s, 10)
        assert one.shape == (1,) and one.dtype == many.dtype
        assert one[0] == pytest.approx(many[0], rel=1e-5 if dtype == np.float32 else 1e-12)
        assert many[0] == pytest.approx(many[1])


def test_class_index_names_values_as_the_string_comparison_does():
    """Each row's class is looked up once per distinct value: the same classes as comparing
    every row's normalised name (1, 1.0 and '1' alike; missing values and others -1)."""
    from monitoring_pipelines.performance.data import _as_class, class_index

    values = pd.Series([1, "1", 1.0, "1.0", "-2.0", None, np.nan, "a", 2.5, "b", 0, "0"] * 3)
    names = _as_class(values).to_numpy(object)
    for classes in (["1"], ["0", "1"], ["a", "b", "-2", "2.5"], ["nan", "None"], []):
        want = [classes.index(n) if n in classes else -1 for n in names]
        assert class_index(values, classes).tolist() == want
    assert class_index(pd.Series([], dtype=object), ["1"]).tolist() == []


def _frames_of_every_task(n: int) -> list[tuple[ModelConfig, pd.DataFrame]]:
    rng = np.random.default_rng(5)
    raw = rng.dirichlet([1, 1, 1], size=n)
    multi = pd.DataFrame({f"s_{c}": raw[:, i] for i, c in enumerate(CLASSES)})
    multi["prediction"] = np.array(CLASSES)[raw.argmax(axis=1)]
    multi["label"] = np.array(CLASSES)[[rng.choice(3, p=r) for r in raw]]
    y = rng.gamma(3, 10, n)
    return [
        (_cfg("binary", classes=["0", "1"]), _binary(n, seed=6)),
        (
            _cfg(
                "multiclass",
                classes=CLASSES,
                columns={"class_scores": {c: f"s_{c}" for c in CLASSES}},
            ),
            multi,
        ),  # fmt: skip
        (_cfg("regression"), pd.DataFrame({"prediction": y + rng.normal(1, 5, n), "label": y})),
    ]


@pytest.mark.parametrize("task", [0, 1, 2], ids=["binary", "multiclass", "regression"])
def test_bootstrap_on_two_threads_gives_the_figures_of_one_to_the_bit(task):
    """A large bootstrap's resamples are shared by two threads: every interval is the very
    one the single thread gives (the weights are drawn in one call, and each resample's
    figures depend on its own weights only)."""
    from monitoring_pipelines.performance.weighted import row_parts

    cfg, frame = _frames_of_every_task(3000)[task]
    rows = to_rows(cfg, frame, "label")
    assert len(row_parts(cfg.performance.bootstrap_resamples, 200 * len(rows), 2)) == 2
    one = bootstrap(cfg, rows, cfg.performance, threads=1)
    assert len(one) >= 5
    for threads in (2, 3):
        many = bootstrap(cfg, rows, cfg.performance, threads=threads)
        assert many.keys() == one.keys()
        for name in one:
            np.testing.assert_array_equal(np.array(many[name]), np.array(one[name]), name)
