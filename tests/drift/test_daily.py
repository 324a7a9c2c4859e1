"""Outputs' vital signs, the trailing window of a low-volume model, training-serving skew."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from monitoring_pipelines.drift.daily import daily_drift
from monitoring_pipelines.drift.reference import fit_profile
from tests.drift.helpers import toy_config, toy_tables

DAY = date(2025, 3, 3)
REF = "SELECT random() AS a, random() AS b, ['x', 'y'][1 + (i % 2)] AS c FROM range(3000) t(i)"


def _low_volume(con, rows_per_day: int, shift: float) -> None:
    """Three days of ``rows_per_day`` rows each, ``a`` moved by ``shift``."""
    toy_tables(
        con,
        "toy",
        REF,
        f"SELECT random() + {shift} AS a, random() AS b, "
        f"['x', 'y'][1 + (i % 2)] AS c FROM range({rows_per_day}) t(i)",
        DAY,
    )
    for back in (1, 2):
        con.execute(
            f"INSERT INTO predictions__toy SELECT random() + {shift}, random(), "
            f"['x', 'y'][1 + (i % 2)], NULL, NULL, ? FROM range({rows_per_day}) t(i)",
            [DAY - timedelta(days=back)],
        )
    con.execute("UPDATE predictions__toy SET prediction = a + b")


def test_a_low_volume_model_is_judged_on_its_trailing_window():
    con = duckdb.connect()
    con.execute("SELECT setseed(0.5)")
    _low_volume(con, rows_per_day=25, shift=0.5)
    cfg = toy_config(window_days=3, multivariate=False)
    result, metrics = daily_drift(con, cfg, fit_profile(con, cfg), DAY)
    by = {(m.metric, m.subject): m for m in metrics}
    assert by[("drift_effect", "a")].value is None  # 25 rows: too few to judge the day
    assert by[("window_rows", "a")].value == 75
    assert by[("window_drift_effect", "a")].status == "alert"
    assert by[("window_drift_effect", "b")].status == "ok"


@pytest.mark.parametrize("numeric_test", ["ks", "binned"])
def test_failed_predictions_are_left_out_of_the_outputs_drift_not_the_features(numeric_test):
    """Outputs are read beside the features, with a failed prediction's output as NULL: their
    figures equal those of a day without the failed rows; the features keep every row."""
    day_sql = (
        "SELECT random() + 0.3 AS a, random() AS b, ['x', 'y'][1 + (i % 2)] AS c, i "
        "FROM range(2000) t(i)"
    )
    cfg = toy_config(multivariate=False, numeric_test=numeric_test)
    out = {}
    for name, drop in (("with_failures", False), ("without", True)):
        con = duckdb.connect()
        con.execute("SELECT setseed(0.25)")
        toy_tables(con, "toy", REF, day_sql, DAY)
        # 300 failed predictions whose logged output is garbage
        con.execute(
            "UPDATE predictions__toy SET error = 'timeout', prediction = 1000 WHERE i < 300"
        )
        if drop:
            con.execute("DELETE FROM predictions__toy WHERE error IS NOT NULL")
        result, _ = daily_drift(con, cfg, fit_profile(con, cfg), DAY)
        out[name] = {c.spec.subject: c for c in result.columns}
    failed, clean = out["with_failures"]["output:prediction"], out["without"]["output:prediction"]
    assert failed.rows == clean.rows == 1700
    for figure in ("statistic", "p_value", "psi", "js", "wasserstein", "wasserstein_bound"):
        assert getattr(failed, figure) == pytest.approx(getattr(clean, figure), nan_ok=True)
    assert failed.status == clean.status
    assert out["with_failures"]["a"].rows == 2000 and out["without"]["a"].rows == 1700


def test_the_first_production_days_are_reported_as_skew():
    con = duckdb.connect()
    con.execute("SELECT setseed(0.25)")
    _low_volume(con, rows_per_day=400, shift=0.5)
    cfg = toy_config(skew_days=3, multivariate=False)
    _, metrics = daily_drift(con, cfg, fit_profile(con, cfg), DAY)  # production day 3
    by = {(m.metric, m.subject): m for m in metrics}
    assert by[("production_day", "")].value == 3
    assert by[("training_serving_skew", "a")].status == "alert"
    assert by[("skewed_features", "")].value == 1
    cfg = toy_config(skew_days=2, multivariate=False)
    _, metrics = daily_drift(con, cfg, fit_profile(con, cfg), DAY)
    assert not [m for m in metrics if m.metric == "training_serving_skew"]


def test_output_vital_signs_and_output_drift():
    con = duckdb.connect()
    con.execute("SELECT setseed(0.75)")
    _low_volume(con, rows_per_day=500, shift=0.5)
    cfg = toy_config(multivariate=False)
    result, metrics = daily_drift(con, cfg, fit_profile(con, cfg), DAY)
    by = {(m.metric, m.subject): m for m in metrics}
    pred = con.execute("SELECT prediction FROM predictions__toy WHERE _day = ?", [DAY]).fetchnumpy()
    values = np.asarray(pred["prediction"])
    assert by[("mean", "output:prediction")].value == pytest.approx(values.mean())
    assert by[("p95", "output:prediction")].value == pytest.approx(np.quantile(values, 0.95))
    assert by[("drift_effect", "output:prediction")].status == "alert"
    assert by[("output_drift", "")].status == "alert"


def test_thresholds_learned_on_reference_windows():
    from monitoring_pipelines.drift.learned import thresholds

    con = duckdb.connect()
    con.execute("SELECT setseed(0.1)")
    _low_volume(con, rows_per_day=400, shift=0.0)
    cfg = toy_config(learned_thresholds=True, multivariate=False)
    profile = fit_profile(con, cfg)
    learned = profile["columns"]["a"]["learned"]
    assert 0 < learned["psi"] < 0.2 and 0 < learned["wasserstein"] < 0.3
    assert thresholds(profile["columns"]["a"], cfg.drift) == (
        learned["psi"],
        learned["js"],
        learned["wasserstein"],
    )
    assert set(profile["columns"]["c"]["learned"]) == {"psi", "js"}
    result, _ = daily_drift(con, cfg, profile, DAY)
    assert {c.spec.subject: c.status for c in result.columns}["a"] == "ok"
    con.execute("UPDATE predictions__toy SET a = a + 0.15")
    result, _ = daily_drift(con, cfg, profile, DAY)
    assert {c.spec.subject: c.status for c in result.columns}["a"] == "alert"


def test_without_model_or_logged_prediction_there_is_no_weighting():
    con = duckdb.connect()
    _low_volume(con, rows_per_day=400, shift=0.5)
    con.execute("ALTER TABLE reference__toy DROP COLUMN prediction")
    cfg = toy_config(multivariate=False)
    profile = fit_profile(con, cfg)
    assert profile["importance"] == {} and "unavailable" in profile["importance_method"]
    result, metrics = daily_drift(con, cfg, profile, DAY)
    by = {(m.metric, m.subject): m for m in metrics}
    assert by[("drift_effect", "a")].status == "alert"  # not capped: importance unknown
    assert by[("max_weighted_drift", "")].value is None
    assert result.ranking()[0].spec.subject == "a"
