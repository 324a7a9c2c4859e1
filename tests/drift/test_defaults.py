"""Defaults that do not cry wolf on big days, and a joint shift no single feature shows."""

from __future__ import annotations

import threading
import time
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from monitoring_pipelines.drift import multivariate
from monitoring_pipelines.drift.calculator import calculate_drift
from monitoring_pipelines.drift.columns import FEATURE, day_relation, reference_relation
from monitoring_pipelines.drift.reference import fit_profile
from tests.drift.helpers import toy_config, toy_tables

DAY = date(2025, 3, 1)
N = 1_000_000


def _big_day(shift: float, prediction: str = "a + b"):
    """Reference and day of 1M rows each: ``a`` is an evenly spread standard normal (no
    sampling noise), moved by ``shift`` standard deviations in the day; ``b``, ``c`` stay."""
    con = duckdb.connect()
    a = norm.ppf((np.arange(N) + 0.5) / N)
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"a": a, "b": rng.normal(size=N), "c": rng.choice(["x", "y"], N)})
    day = ref.assign(a=a + shift).sample(frac=1.0, random_state=1, ignore_index=True)
    con.register("_ref", ref)
    con.register("_day", day)
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY, prediction=prediction)
    cfg = toy_config(multivariate=False)
    profile = fit_profile(con, cfg)
    t0 = time.perf_counter()
    result = calculate_drift(con, cfg, profile, DAY)
    return {c.spec.subject: c for c in result.columns}, time.perf_counter() - t0


def test_a_tiny_shift_on_a_million_rows_is_significant_but_not_an_alert():
    cols, seconds = _big_day(0.01)
    a = cols["a"]
    assert a.p_adjusted < 0.05  # KS's p-value alone would fire
    assert a.wasserstein == pytest.approx(0.01, rel=0.05)
    assert a.status == "ok"
    assert {c.status for c in cols.values()} == {"ok"}
    print(f"1M-row day: drift computed in {seconds:.1f} s")
    assert seconds < 20


def test_a_fifth_of_a_std_on_a_million_rows_is_an_alert():
    cols, _ = _big_day(0.2)
    assert cols["a"].status == "alert"
    assert cols["a"].wasserstein == pytest.approx(0.2, rel=0.05)
    assert cols["b"].status == cols["c"].status == "ok"


def test_the_same_shift_in_a_feature_the_model_ignores_is_a_warning():
    cols, _ = _big_day(0.2, prediction="b")  # the model's output does not depend on a
    assert cols["a"].status == "warn"
    assert "ignored" in cols["a"].note


def test_multivariate_catches_a_correlation_only_change():
    """a and b keep their N(0, 1) marginals; their correlation flips from +0.9 to -0.9."""
    rng = np.random.default_rng(3)

    def frame(n: int, rho: float) -> pd.DataFrame:
        a, e = rng.normal(size=n), rng.normal(size=n)
        c = rng.choice(["x", "y", "z"], n)
        return pd.DataFrame({"a": a, "b": rho * a + np.sqrt(1 - rho**2) * e, "c": c})

    con = duckdb.connect()
    con.register("_ref", frame(4000, 0.9))
    con.register("_day", frame(800, -0.9))
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY, prediction="a")
    cfg = toy_config()
    result = calculate_drift(con, cfg, fit_profile(con, cfg), DAY)
    assert {c.spec.subject: c.status for c in result.columns} == dict.fromkeys(
        ["a", "b", "c", "output:prediction"], "ok"
    )
    mv = {m.metric: m for m in result.multivariate}
    assert mv["domain_auroc"].status == "alert", mv
    assert mv["domain_auroc"].value > 0.8
    assert mv["pca_reconstruction_error"].status == "alert", mv


def test_multivariate_is_quiet_when_nothing_changes():
    rng = np.random.default_rng(4)
    a = rng.normal(size=4800)
    frame = pd.DataFrame(
        {"a": a, "b": 0.9 * a + 0.43 * rng.normal(size=4800), "c": rng.choice(["x", "y"], 4800)}
    )
    con = duckdb.connect()
    con.register("_ref", frame.iloc[:4000])
    con.register("_day", frame.iloc[4000:])
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY, prediction="a")
    cfg = toy_config()
    result = calculate_drift(con, cfg, fit_profile(con, cfg), DAY)
    assert {m.metric: m.status for m in result.multivariate} == {
        "domain_auroc": "ok",
        "pca_reconstruction_error": "ok",
    }


def _correlated_day(con: duckdb.DuckDBPyConnection) -> None:
    rng = np.random.default_rng(5)
    a = rng.normal(size=4800)
    b = np.r_[0.9 * a[:4000], -0.9 * a[4000:]] + 0.43 * rng.normal(size=4800)
    frame = pd.DataFrame({"a": a, "b": b, "c": rng.choice(["x", "y"], 4800)})
    con.register("_ref", frame.iloc[:4000])
    con.register("_day", frame.iloc[4000:])
    toy_tables(con, "toy", "SELECT * FROM _ref", "SELECT * FROM _day", DAY, prediction="a")


def test_the_domain_classifier_on_its_thread_gives_the_in_line_figure(monkeypatch):
    """calculate_drift starts the classifier on a worker thread before measuring the
    columns: its AUC is the one computed in line on the same samples, and an error in it
    reaches the caller."""
    con = duckdb.connect()
    _correlated_day(con)
    cfg = toy_config()
    profile = fit_profile(con, cfg)
    real, threads = multivariate.domain_auroc, []

    def spy(ref, cur, seed, categorical):
        threads.append(threading.current_thread().name)
        return real(ref, cur, seed, categorical)

    monkeypatch.setattr(multivariate, "domain_auroc", spy)
    result = calculate_drift(con, cfg, profile, DAY)
    auc = next(m for m in result.multivariate if m.metric == "domain_auroc").value
    assert threads == ["domain-classifier_0"]

    state, s = profile["multivariate"], cfg.drift
    cur = multivariate._frame(con, cfg, day_relation(cfg, FEATURE, DAY), s.domain_rows)
    ref = multivariate._frame(con, cfg, reference_relation(cfg), len(cur))
    encoded = multivariate._encode(ref, state), multivariate._encode(cur, state)
    in_line = real(*encoded, s.seed, multivariate.categorical_mask(state))
    assert auc == in_line and auc > 0.7

    def broken(ref, cur, seed, categorical):
        raise RuntimeError("classifier failed")

    monkeypatch.setattr(multivariate, "domain_auroc", broken)
    with pytest.raises(RuntimeError, match="classifier failed"):
        calculate_drift(con, cfg, profile, DAY)


def test_the_multivariate_state_is_pandas_and_scikit_learns():
    """fit_multivariate aggregates in DuckDB and fits the PCA on the covariance: the same
    standardization as pandas, the same top categories as ``value_counts`` and the same
    principal subspace, error band and number of components as scikit-learn's full-SVD
    PCA, on a reference with NULLs, NaNs, text that does not cast and correlated columns."""
    from sklearn.decomposition import PCA

    from monitoring_pipelines.config import ModelConfig

    rng = np.random.default_rng(11)
    n = 60_000
    z = rng.normal(size=(n, 3))
    ref = pd.DataFrame(
        {
            "a": z[:, 0],
            "b": 0.8 * z[:, 0] + 0.2 * z[:, 1],
            "c": z[:, 1],
            "d": 3 * z[:, 2] + 1,
            "e": z[:, 0] - z[:, 2],
        }
    )
    ref.loc[::97, "a"] = np.nan
    ref["s"] = ref["c"].round(3).astype(str)
    ref.loc[::53, "s"] = "not a number"
    ref.loc[::41, "s"] = None
    ref["k"] = rng.choice(list("pqrstuvw"), n, p=[0.3, 0.2, 0.15, 0.12, 0.1, 0.07, 0.04, 0.02])
    con = duckdb.connect()
    con.register("_ref", ref)
    con.execute('CREATE TABLE "reference__mv" AS SELECT * FROM _ref')
    numeric = ["a", "b", "c", "d", "e", "s"]
    cfg = ModelConfig(
        name="mv",
        task="regression",
        logs={"path": "logs/{day}.parquet"},
        reference={"path": "ref.parquet"},
        columns={"score": None},
        features={"numeric": numeric, "categorical": ["k"]},
        drift={"pca_variance": 0.8, "pca_window_rows": 250},
    )
    state = multivariate.fit_multivariate(con, cfg)

    frame = con.execute('SELECT * FROM "reference__mv"').df()
    x = np.column_stack([pd.to_numeric(frame[c], errors="coerce") for c in numeric])
    mean, std = np.nanmean(x, axis=0), np.nanstd(x, axis=0, ddof=1)
    assert state["mean"] == pytest.approx(mean, abs=1e-12)
    assert state["std"] == pytest.approx(std, abs=1e-12)
    assert state["categories"]["k"] == frame["k"].value_counts().index.tolist()
    xs = (np.where(np.isnan(x), mean, x) - mean) / std
    pca = PCA(n_components=0.8, svd_solver="full").fit(xs)
    comp = np.array(state["pca"]["components"])
    assert len(comp) == pca.n_components_ < len(numeric)
    assert comp.T @ comp == pytest.approx(pca.components_.T @ pca.components_, abs=1e-9)
    err = ((xs - xs @ pca.components_.T @ pca.components_) ** 2).sum(axis=1)
    windows = [err[i : i + 250].mean() for i in range(0, n - 250 + 1, 250)]
    assert state["pca"]["window_mean"] == pytest.approx(np.mean(windows), rel=1e-9)
    assert state["pca"]["window_std"] == pytest.approx(np.std(windows, ddof=1), rel=1e-9)


def _set_reference_version(con, fingerprint: str) -> None:
    """The store's record of its loaded reference, as ``load_reference`` keeps it."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS reference_state (model VARCHAR PRIMARY KEY, "
        "fingerprint VARCHAR, path VARCHAR, loaded_at TIMESTAMP)"
    )
    con.execute("DELETE FROM reference_state WHERE model = 'toy'")
    con.execute("INSERT INTO reference_state VALUES ('toy', ?, 'ref', now())", [fingerprint])


def test_the_reference_sample_is_read_once_per_reference_version(tmp_path, monkeypatch):
    """The domain classifier's reference sample is read from the store once per loaded
    reference (a day's AUROC is the one computed from a fresh read), again after a new
    reference load, and every time when the store does not say which reference it holds."""
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    _correlated_day(con)
    cfg = toy_config()
    profile = fit_profile(con, cfg)
    multivariate._forget_reference_samples()
    reads, real = [], multivariate._frame

    def counting(con, cfg, relation, rows):
        reads.append(relation)
        return real(con, cfg, relation, rows)

    monkeypatch.setattr(multivariate, "_frame", counting)
    ref_rel = reference_relation(cfg)

    def auroc() -> float:
        result = calculate_drift(con, cfg, profile, DAY)
        return next(m.value for m in result.multivariate if m.metric == "domain_auroc")

    unversioned = [auroc(), auroc()]
    assert reads.count(ref_rel) == 2  # no version: read each time
    _set_reference_version(con, "f1")
    reads.clear()
    kept = [auroc(), auroc(), auroc()]
    assert reads.count(ref_rel) == 1 and len(set(kept)) == 1
    assert kept[0] == unversioned[0]  # the seeded sample: the figure of a fresh read
    sample = multivariate._reference_sample(con, cfg, 800)
    sample.iloc[:, 0] = 1e9  # the caller's copy: the kept sample stays as read
    assert multivariate._reference_sample(con, cfg, 800).iloc[0, 0] != 1e9
    # a new reference: read again
    con.execute("UPDATE reference__toy SET a = a * 2")
    _set_reference_version(con, "f2")
    reads.clear()
    auroc()
    assert reads.count(ref_rel) == 1
    multivariate._forget_reference_samples()
