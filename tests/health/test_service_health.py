"""Service health and feature profile figures against independent pandas/numpy computations."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.health.service_health import missing_days, service_health
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.profile.feature_profile import feature_profile
from tests.conftest import toy_frame, write_day

START = date(2026, 4, 1)


def _store(con, cfg, home, frames: dict[date, pd.DataFrame]):
    for d, f in frames.items():
        write_day(home, d, f)
        ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, d)


def _by_name(metrics):
    return {m.metric: m for m in metrics if not m.subject}


def test_latency_failures_and_versions_match_pandas(con, toy, home):
    f = toy_frame(START, n=1000, seed=3)
    f.loc[:14, "error"] = "timeout"
    f.loc[:14, ["prediction", "score"]] = None
    f.loc[500:, "model_version"] = "2.0"
    _store(con, toy, home, {START: f})
    m = _by_name(service_health(con, toy, START))
    lat = f["latency_ms"].to_numpy()
    assert m["latency_p50_ms"].value == pytest.approx(np.quantile(lat, 0.5))
    assert m["latency_p95_ms"].value == pytest.approx(np.quantile(lat, 0.95))
    assert m["latency_p99_ms"].value == pytest.approx(np.quantile(lat, 0.99))
    assert m["failed_rate"].value == pytest.approx(15 / 1000)
    assert m["failed_rate"].status == "warn"  # 1.5%: above warn 1%, below alert 2%
    shares = {
        x.subject: x.value
        for x in service_health(con, toy, START)
        if x.metric == "model_version_share"
    }
    assert shares == {"1.0": pytest.approx(0.5), "2.0": pytest.approx(0.5)}


def test_volume_against_trailing_median_and_a_drop_alerts(con, toy, home):
    sizes = [200, 220, 180, 210, 190, 60]
    days = [START + timedelta(days=i) for i in range(len(sizes))]
    _store(
        con,
        toy,
        home,
        {d: toy_frame(d, n=n, seed=i) for i, (d, n) in enumerate(zip(days, sizes, strict=True))},
    )
    m = _by_name(service_health(con, toy, days[-1]))
    assert m["expected_rows"].value == pytest.approx(np.median(sizes[:-1]))
    assert m["volume_ratio"].value == pytest.approx(60 / 200)
    assert m["volume_ratio"].status == "alert"
    normal = _by_name(service_health(con, toy, days[3]))
    assert normal["volume_ratio"].status == "ok"


def test_missing_days_count_gaps_since_monitoring_began(con, toy, home):
    days = [START, START + timedelta(days=1), START + timedelta(days=4)]
    _store(con, toy, home, {d: toy_frame(d, n=50, seed=i) for i, d in enumerate(days)})
    assert missing_days(con, toy, days[-1]) == [
        START + timedelta(days=2),
        START + timedelta(days=3),
    ]
    m = _by_name(service_health(con, toy, days[-1]))
    assert m["missing_days"].value == 2 and m["missing_days"].status == "warn"
    gap = _by_name(service_health(con, toy, START + timedelta(days=2)))
    assert gap["missing_days"].value == 1 and gap["missing_days"].status == "alert"
    assert gap["rows"].value == 0 and gap["rows"].status == "alert"
    assert _by_name(service_health(con, toy, days[1]))["missing_days"].value == 0


def test_latency_threshold_from_config(con, toy, home):
    cfg = toy.model_copy(
        update={
            "thresholds": toy.thresholds.model_copy(
                update={
                    "health": toy.thresholds.health.model_copy(update={"max_latency_p99_ms": 10.0})
                }
            )
        }
    )
    _store(con, cfg, home, {START: toy_frame(START)})
    assert _by_name(service_health(con, cfg, START))["latency_p99_ms"].status == "alert"


def test_feature_profile_matches_pandas(con, toy, home):
    f = toy_frame(START, n=500, seed=5)
    f.loc[:49, "x1"] = None
    f.loc[60, "x2"] = np.inf
    _store(con, toy, home, {START: f})
    prof = {(m.metric, m.subject): m.value for m in feature_profile(con, toy, START)}
    x1 = f["x1"].dropna()
    assert prof[("null_rate", "x1")] == pytest.approx(0.1)
    assert prof[("mean", "x1")] == pytest.approx(x1.mean())
    assert prof[("std", "x1")] == pytest.approx(x1.std(ddof=1))
    for stat, q in [("p05", 0.05), ("p50", 0.5), ("p95", 0.95)]:
        assert prof[(stat, "x1")] == pytest.approx(np.quantile(x1, q))
    x2 = f["x2"][np.isfinite(f["x2"])]
    assert prof[("nonfinite_rate", "x2")] == pytest.approx(1 / 500)
    assert prof[("max", "x2")] == pytest.approx(x2.max())
    assert prof[("distinct", "color")] == f["color"].nunique()
    assert prof[("top_share", "color")] == pytest.approx(
        f["color"].value_counts(normalize=True).iloc[0]
    )


def test_feature_profile_of_a_column_without_a_finite_value(con, toy, home):
    f = toy_frame(START, n=100, seed=6)
    f["x1"] = np.where(np.arange(100) % 2 == 0, np.nan, np.inf)
    _store(con, toy, home, {START: f})
    prof = {(m.metric, m.subject): m.value for m in feature_profile(con, toy, START)}
    assert prof[("nonfinite_rate", "x1")] == pytest.approx(1.0)
    for stat in ("mean", "min", "p05", "p50", "p95", "max"):
        assert prof[(stat, "x1")] is None, stat
    assert prof[("p50", "x2")] == pytest.approx(np.quantile(f["x2"], 0.5))
