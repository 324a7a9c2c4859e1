"""Outlier detectors against planted outliers, both backends, and the stored state."""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.outliers import lazy_alibi
from monitoring_pipelines.outliers.backends import AlibiMahalanobis, online_mahalanobis_scores
from monitoring_pipelines.outliers.daily import detect_outliers, rate_status, replace_outlier_rows
from monitoring_pipelines.outliers.detector import fit_detector, load_detector, save_detector
from monitoring_pipelines.outliers.encoding import OTHER, Encoder
from monitoring_pipelines.store.connection import transaction

COLORS = ("red", "green", "blue")


def _cfg(backend: str = "sklearn", **outliers) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            "name": "toy",
            "task": "binary",
            "logs": {"path": "l/{day}.parquet"},
            "reference": {"path": "r.parquet"},
            "features": {"numeric": ["x1", "x2", "x3"], "categorical": ["color"]},
            "outliers": {"backend": backend, **outliers},
        }
    )


def _rows(n: int, rng: np.random.Generator, prefix: str = "r") -> pd.DataFrame:
    """Correlated numerics (x2 follows x1) and a categorical whose level shifts x3."""
    x1 = rng.normal(10, 2, n)
    color = rng.choice(COLORS, n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame(
        {
            "prediction_id": [f"{prefix}{i}" for i in range(n)],
            "x1": x1,
            "x2": 3 * x1 + rng.normal(0, 1, n),
            "x3": rng.normal(0, 1, n) + np.where(color == "blue", 2.0, 0.0),
            "color": color,
        }
    )


def _planted(n_normal: int, n_out: int, rng: np.random.Generator):
    """A day of normal rows plus outliers: far in one feature (6-8 sd), or (the second half)
    breaking the x1-x2 relation, each value plausible alone. Returns the day, the outlier mask
    and the mask of the far ones."""
    day = _rows(n_normal + n_out, rng, prefix="d")
    out = np.zeros(len(day), dtype=bool)
    out[n_normal:] = True
    idx = np.flatnonzero(out)
    far, broken = idx[: n_out // 2], idx[n_out // 2 :]
    col = rng.choice(["x1", "x3"], len(far))
    for c in ("x1", "x3"):
        hit = far[col == c]
        sd = 2.0 if c == "x1" else 1.0
        day.loc[hit, c] += rng.choice([-1, 1], len(hit)) * rng.uniform(6, 8, len(hit)) * sd
    day.loc[broken, "x2"] = 3 * day.loc[broken, "x1"] + rng.choice([-1, 1], len(broken)) * 6
    return day, out, np.isin(np.arange(len(day)), far)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _rows(4000, np.random.default_rng(1))


@pytest.fixture(scope="module")
def fitted(reference):
    return {b: fit_detector(_cfg(b), reference) for b in ("sklearn", "alibi")}


@pytest.mark.parametrize("backend", ["sklearn", "alibi"])
def test_planted_outliers_are_ranked_first(fitted, backend):
    day, truth, far = _planted(2000, 60, np.random.default_rng(2))
    result = detect_outliers(_cfg(backend), fitted[backend], day)
    assert roc_auc_score(truth, result.rank) >= 0.95  # the rows' outlier score
    assert roc_auc_score(truth, result.scores["mahalanobis"]) >= 0.95
    # the axis-aligned isolation forest sees values far out, less so broken relations
    plain = ~truth | far
    assert roc_auc_score(far[plain], result.scores["iforest"][plain]) >= 0.85
    caught = set(result.flagged["prediction_id"])
    assert np.mean([i in caught for i in day.prediction_id[truth]]) >= 0.9


@pytest.mark.parametrize("backend", ["sklearn", "alibi"])
def test_reference_like_day_flags_about_the_configured_share(fitted, backend):
    day = _rows(5000, np.random.default_rng(3), prefix="d")
    result = detect_outliers(_cfg(backend), fitted[backend], day)
    expected = 1 - _cfg(backend).outliers.percentile / 100  # 1 %
    for d in ("iforest", "mahalanobis"):
        rate = result.metric("outlier_rate", f"detector={d}").value
        assert expected / 2 <= rate <= 2 * expected, (d, rate)
        assert result.metric("expected_outlier_rate", f"detector={d}").value == pytest.approx(
            expected, abs=0.002
        )
    overall = result.metric("outlier_rate")
    assert overall.status == "ok"
    flagged_ids = set(result.flagged["prediction_id"])
    assert overall.value == len(flagged_ids) / len(day)


def test_backends_agree(fitted):
    day, _, _ = _planted(1500, 40, np.random.default_rng(4))
    a = detect_outliers(_cfg("alibi"), fitted["alibi"], day)
    s = detect_outliers(_cfg("sklearn"), fitted["sklearn"], day)
    for d in ("iforest", "mahalanobis"):
        rho = spearmanr(a.scores[d], s.scores[d]).statistic
        assert rho > 0.9, (d, rho)
        fa = set(a.flagged.query("detector == @d")["prediction_id"])
        fs = set(s.flagged.query("detector == @d")["prediction_id"])
        assert len(fa & fs) / len(fa | fs) > 0.7
    # the stateless sklearn Mahalanobis is the exact squared distance of the numeric z-scores
    ref = fitted["sklearn"].encoder
    k = len(ref.numeric)
    assert 0 < k < len(ref.columns) and fitted["sklearn"].inputs == {"mahalanobis": k}
    X = ref.transform(day)[:, :k]
    Xref = ref.transform(_rows(4000, np.random.default_rng(1)))[:, :k]
    d = X - Xref.mean(axis=0)
    exact = np.einsum("ij,jk,ik->i", d, np.linalg.inv(np.cov(Xref, rowvar=False)), d)
    np.testing.assert_allclose(s.scores["mahalanobis"], exact, rtol=1e-6)


def test_a_day_of_outliers_alerts_and_names_extreme_features(fitted):
    rng = np.random.default_rng(5)
    day = _rows(400, rng, prefix="d")
    day.loc[:39, "x3"] = 9.0  # 10 % of the rows, 9 sd away
    day.loc[0, "color"] = "purple"  # unseen
    result = detect_outliers(_cfg(), fitted["sklearn"], day)
    rate = result.metric("outlier_rate")
    assert rate.value >= 0.1 and rate.status == "alert"
    assert rate.upper == pytest.approx(3 * result.metric("expected_outlier_rate").value)
    why = dict(zip(result.flagged.prediction_id, result.flagged.extreme_features, strict=True))
    assert "x3 z=" in why["d1"] and "color=purple (unseen)" in why["d0"]
    assert result.metric("extreme_rows", "feature=x3").value >= 40


def test_encoder_against_numpy(reference):
    enc = Encoder.fit(reference, ["x1", "x2"], ["color"], max_categories=2)
    z = enc.z(reference)
    x1 = reference.x1.to_numpy()
    np.testing.assert_allclose(z[:, 0], (x1 - x1.mean()) / x1.std())
    assert enc.columns == ["x1", "x2", "color=green", f"color={OTHER}"]  # red is the baseline
    X = enc.transform(pd.DataFrame({"x1": [np.nan], "x2": [0.0], "color": ["blue"]}))
    assert X[0, 0] == 0 and X[0, 2:].tolist() == [0.0, 1.0]


def test_one_hot_by_hand_with_numbers_as_levels_missing_and_unseen_values():
    ref = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "plan": ["a", "a", "a", "b", "b", "c"],  # a: baseline; b kept; c -> other
            "tier": [1, 1, 2, 2, 2, 3],  # numbers as levels: "2" baseline, "1" kept
        }
    )
    enc = Encoder.fit(ref, ["x"], ["plan", "tier"], max_categories=2)
    assert enc.columns == ["x", "plan=b", f"plan={OTHER}", "tier=1", f"tier={OTHER}"]
    day = pd.DataFrame(
        {
            "x": [3.5, np.nan, 1.0, 6.0],
            "plan": ["b", None, "a", "zzz"],  # missing and unseen share "other"
            "tier": ["1", 2.0, 3, None],  # "1" the text, 2.0 a float: neither is "2"
        }
    )
    X = enc.transform(day)
    z = (day.x.to_numpy() - 3.5) / ref.x.to_numpy().std()
    np.testing.assert_allclose(X[:, 0], np.nan_to_num(z, nan=0.0))
    assert X[:, 1:].tolist() == [
        [1.0, 0.0, 1.0, 0.0],  # b; "1" is level 1
        [0.0, 1.0, 0.0, 1.0],  # missing plan; "2.0" is not level 2: other
        [0.0, 0.0, 0.0, 1.0],  # a is the baseline; 3 is other
        [0.0, 1.0, 0.0, 1.0],  # unseen plan; missing tier
    ]


def test_rate_status_against_configured_ratios():
    cfg = _cfg(min_rows=100)
    assert rate_status(cfg, 0.019, 0.01, 1000) == "ok"
    assert rate_status(cfg, 0.021, 0.01, 1000) == "warn"
    assert rate_status(cfg, 0.031, 0.01, 1000) == "alert"
    assert rate_status(cfg, 0.5, 0.01, 99) == "ok"  # too few rows to judge


def test_state_and_rows_round_trip_in_duckdb(con, fitted):
    state = fitted["sklearn"]
    with transaction(con):
        save_detector(con, state)
        save_detector(con, state)
    loaded = load_detector(con, "toy")
    day = _rows(300, np.random.default_rng(6), prefix="d")
    assert load_detector(con, "other") is None
    np.testing.assert_array_equal(
        loaded.scores(loaded.encoder.transform(day))["iforest"],
        state.scores(state.encoder.transform(day))["iforest"],
    )
    flagged = detect_outliers(_cfg(), loaded, day).flagged
    for _ in range(2):
        with transaction(con):
            replace_outlier_rows(con, "toy", date(2026, 3, 1), flagged)
    (n,) = con.execute("SELECT count(*) FROM outlier_rows").fetchone()
    assert n == len(flagged)


def test_alibi_mahalanobis_scores_many_one_hot_columns():
    """Many small-variance one-hot columns make the raw covariance's determinant tiny; alibi
    would score every row 0 without the whitening."""
    rng = np.random.default_rng(7)
    levels = [f"c{i}" for i in range(12)]
    ref = _rows(3000, rng).assign(color=rng.choice(levels, 3000))
    day = _rows(1000, rng, prefix="d").assign(color=rng.choice(levels, 1000))
    cfg = ModelConfig.model_validate(
        {**_cfg("alibi").model_dump(mode="json"), "outliers": {"backend": "alibi"}}
    )
    X = Encoder.fit(ref, ["x1", "x2", "x3"], ["color"], 30).transform(ref)
    assert np.linalg.det(np.cov(X, rowvar=False)) < 1e-8
    alibi, plain = fit_detector(cfg, ref), fit_detector(_cfg("sklearn"), ref)
    assert alibi.expected_rates["mahalanobis"] == pytest.approx(0.01, abs=0.002)
    a = detect_outliers(cfg, alibi, day).scores["mahalanobis"]
    s = detect_outliers(_cfg("sklearn"), plain, day).scores["mahalanobis"]
    assert spearmanr(a, s).statistic > 0.95


@pytest.mark.parametrize("backend", ["sklearn", "alibi"])
def test_detectors_scored_side_by_side_give_their_own_scores(fitted, backend):
    """``scores`` runs the detectors on threads: each figure equals the detector's own
    score of the same rows, called alone, and scoring twice gives the same (frozen state)."""
    state = fitted[backend]
    X = state.encoder.transform(_planted(500, 20, np.random.default_rng(9))[0])
    together = state.scores(X)
    assert set(together) == set(state.detectors) and len(together) == 2
    for name, detector in state.detectors.items():
        alone = detector.score(X[:, : state.inputs[name]] if name in state.inputs else X)
        np.testing.assert_array_equal(together[name], alone)
    again = state.scores(X)
    for name in together:
        np.testing.assert_array_equal(again[name], together[name])


@pytest.mark.parametrize("backend", ["sklearn", "alibi"])
def test_row_independent_detectors_score_in_parts_with_the_same_figures(fitted, backend):
    """A day of many rows: the isolation forest (and the covariance Mahalanobis) score it
    in two parts side by side, alibi-detect's online Mahalanobis in one call; every figure
    equals the detector's own single call, to the bit."""
    from monitoring_pipelines.outliers import detector as detector_module

    state = copy.deepcopy(fitted[backend])
    X = state.encoder.transform(_planted(9000, 200, np.random.default_rng(4))[0])
    calls: dict[str, list[int]] = {name: [] for name in state.detectors}
    for name, d in state.detectors.items():
        real = d.score

        def spy(x, real=real, name=name):
            calls[name].append(len(x))
            return real(x)

        d.score = spy
    together = state.scores(X)
    for name, d in state.detectors.items():
        split = getattr(d, "row_independent", False)
        assert calls[name] == ([4600, 4600] if split else [9200]), (name, calls[name])
        alone = d.score(X[:, : state.inputs[name]] if name in state.inputs else X)
        np.testing.assert_array_equal(together[name], alone)
    assert any(getattr(d, "row_independent", False) for d in state.detectors.values())
    assert detector_module._parts(state.detectors["iforest"], 2 * 4096 - 1) == [(0, 8191)]


def test_the_reference_sample_is_fetched_by_position_as_pandas_samples(con):
    """reference_features gives fit_detector's sample of the reference (rows with an
    output) without loading the reference into pandas: the same rows, in the same order, as
    ``frame.sample(max_reference_rows, random_state=seed)`` of the whole frame, so the
    fitted thresholds are the same; under the limit, every row."""
    from monitoring_pipelines.outliers.detector import reference_features

    ref = _rows(3000, np.random.default_rng(7)).drop(columns="prediction_id")
    ref["prediction"] = np.where(np.arange(len(ref)) % 7 == 3, np.nan, 1.0)
    con.register("_ref", ref)
    con.execute('CREATE TABLE "reference__toy" AS SELECT * FROM _ref')
    cfg = _cfg(max_reference_rows=500, seed=3)
    full = con.execute(
        'SELECT x1, x2, x3, color FROM "reference__toy" WHERE prediction IS NOT NULL'
    ).df()
    got = reference_features(con, cfg)
    want = full.sample(500, random_state=3)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True))
    assert fit_detector(cfg, got).thresholds == fit_detector(cfg, full).thresholds
    everything = reference_features(con, _cfg(max_reference_rows=5000))
    pd.testing.assert_frame_equal(everything, full)
    assert "_outlier_picks" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}


def _alibi_mahalanobis(reference: np.ndarray, **kwargs):
    lazy_alibi.register()
    from alibi_detect.od import Mahalanobis

    model = Mahalanobis(threshold=np.inf, **kwargs)
    model.score(reference)  # learns the mean and covariance online
    return model


@pytest.mark.parametrize(
    ("n_components", "rows", "shift"),
    [(5, 3000, 0.0), (5, 3000, 0.7), (3, 2500, 0.3), (5, 1, 0.0), (5, 2, 0.0)],
)
def test_closed_form_mahalanobis_equals_alibis_loop(n_components, rows, shift):
    """The closed form gives alibi-detect's own ``Mahalanobis.score`` figures, row by row,
    whether the day looks like the reference or drifts, with fewer principal components than
    columns, and for one- and two-row batches; it leaves the state as it found it."""
    rng = np.random.default_rng(11)
    mix = rng.normal(size=(5, 5))
    model = _alibi_mahalanobis(rng.normal(size=(4000, 5)) @ mix, n_components=n_components)
    day = rng.normal(size=(rows, 5)) @ mix + shift * np.arange(rows)[:, None] / max(rows, 1)
    if rows > 10:
        day[7] += 40  # far enough out to be clipped in the running update
    n, mean, cov = model.n, model.mean.copy(), model.C.copy()
    ours = online_mahalanobis_scores(model, day)
    assert model.n == n and np.array_equal(model.mean, mean) and np.array_equal(model.C, cov)
    alibis = copy.deepcopy(model).score(day)
    np.testing.assert_allclose(ours, alibis, rtol=1e-9)
    if rows > 10:
        assert ours[7] > 100 * np.median(ours)


def test_closed_form_defers_to_alibi_where_alibi_would_not_invert():
    """No state learned, or a projected covariance whose determinant is below alibi's 1e-8
    (alibi then scores rows 0 while it accumulates): the closed form returns None and the
    backend runs alibi's own ``score``, giving alibi's figures."""
    lazy_alibi.register()
    from alibi_detect.od import Mahalanobis

    rng = np.random.default_rng(12)
    assert online_mahalanobis_scores(Mahalanobis(threshold=np.inf), rng.normal(size=(9, 3))) is None
    tiny = _alibi_mahalanobis(rng.normal(size=(500, 3)) * 1e-4, n_components=3)
    day = rng.normal(size=(300, 3)) * 1e-4
    assert online_mahalanobis_scores(tiny, day) is None
    detector = AlibiMahalanobis()
    detector.model, detector.mean, detector.whiten = tiny, np.zeros(3), np.eye(3)
    np.testing.assert_array_equal(detector.score(day), copy.deepcopy(tiny).score(day))


def test_fitted_alibi_detector_scores_as_alibi_does(fitted):
    """The stored detector's day scores equal alibi's own loop on each chunk of the whitened
    rows, each from a copy of the fitted state, as the backend scored before."""
    state = fitted["alibi"]
    detector = state.detectors["mahalanobis"]
    X = state.encoder.transform(_planted(2000, 60, np.random.default_rng(13))[0])
    X = X[:, : state.inputs["mahalanobis"]]
    white = detector._white(X)
    expected = copy.deepcopy(detector.model).score(white)
    np.testing.assert_allclose(detector.score(X), expected, rtol=1e-9)
