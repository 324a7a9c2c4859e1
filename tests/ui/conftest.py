"""A metrics table written through the store's own API, with every family a report shows
(including the verdict) and a hostile subject, for the report and export tests."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from monitoring_pipelines.store.connection import connect, transaction
from monitoring_pipelines.store.metrics import Metric, replace_metrics
from monitoring_pipelines.store.schema import ensure_shared_tables

LAST = date(2026, 1, 20)
HOSTILE = 'a "quoted" \\ back\nslash'


def synthetic_families(day_index: int, features: int, rng) -> dict[str, list[Metric]]:
    """One day's metrics of every family; feature f0 drifts (alert) from day 5 on."""
    drifting = day_index >= 5
    drift = []
    for i in range(features):
        effect = float(rng.uniform(0, 0.5)) + (3.0 if drifting and i == 0 else 0.0)
        status = "alert" if effect >= 1 else "ok"
        drift += [
            Metric("drift_effect", effect, f"f{i}", status=status),
            Metric("psi", effect / 5, f"f{i}"),
            Metric("weighted_drift", effect / features, f"f{i}"),
            Metric("importance", 1 / features, f"f{i}"),
            Metric("p_value_adjusted", 1e-9 if status == "alert" else 0.9, f"f{i}"),
        ]
    share = sum(m.status == "alert" for m in drift) / features
    drift.append(Metric("drifted_share", share, upper=0.0, status="alert" if share else "ok"))
    est = [
        Metric("accuracy", 0.85 - 0.01 * day_index, lower=0.8 - 0.01 * day_index, upper=0.9),
        Metric("roc_auc", 0.8, lower=0.75, upper=0.85),
    ]
    families = {
        "drift": drift,
        "estimated_performance": est,
        "performance": [Metric("accuracy", 0.84, lower=0.8, upper=0.88), Metric("coverage", 1.0)],
        "quality": [
            Metric("critical_failures", 0.0),
            Metric("success_share", 1.0),
            Metric("unexpected_percent", 3.0, "expect_x_between", status="warn"),
        ],
        "health": [
            Metric("rows", 1_000_000.0),
            Metric("expected_rows", 1_000_000.0),
            Metric("latency_p99_ms", 40.0 + day_index),
        ],
        "fairness": [
            Metric("demographic_parity_difference", 0.3, "age_band", status="alert"),
            Metric("selection_rate", 0.4, "age_band=18-25"),
            Metric("selection_rate", 0.1, "age_band=26-40"),
        ],
        "segment": [Metric("gap", 0.2, "city=lyon", status="warn"), Metric("segments", 3.0)],
        "slices": [Metric("gap", 0.25, "plan=basic & region=north", status="alert")],
        "outliers": [Metric("outlier_rate", 0.012, upper=0.03), Metric("rows", 1e6)],
        "review": [Metric("queue_rate", 0.05), Metric("backlog", 120.0, HOSTILE)],
        "my-custom.family": [Metric("score/mean", 0.5)],
    }
    if drifting:
        families["verdict"] = [
            Metric("health", 2.0, status="alert"),
            Metric("cause", 0.9, "drift:f0", status="alert"),
            Metric("cause", 0.4, "fairness:age_band", status="alert"),
            Metric("cause", 0.1, "segment:city=lyon", status="warn"),
        ]
    return families


def write_store(database, model: str = "m", days: int = 10, features: int = 8, seed: int = 0):
    """Write ``days`` days ending on :data:`LAST` of synthetic metrics for ``model``."""
    rng = np.random.default_rng(seed)
    con = connect(database)
    ensure_shared_tables(con)
    with transaction(con):
        for i in range(days):
            day = LAST - timedelta(days=days - 1 - i)
            for family, metrics in synthetic_families(i, features, rng).items():
                replace_metrics(con, model=model, day=day, family=family, metrics=metrics)
    return con


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A DuckDB file with 10 days of every family for model 'm' (the verdict from day 5);
    shared by a module's tests, which only read it."""
    con = write_store(tmp_path_factory.mktemp("store") / "store.duckdb")
    yield con
    con.close()
