"""Synthetic churn-model data shaped like a stored day (``expected_columns`` + system columns)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import ModelConfig, load_model_config
from monitoring_pipelines.quality import suggest_suite
from monitoring_pipelines.store.columns import expected_columns

REPO = Path(__file__).resolve().parents[2]
DAY = date(2024, 3, 15)
PLANS = ["basic", "standard", "premium"]
REGIONS = ["north", "south", "east", "west"]
PAYMENTS = ["card", "bank", "paypal"]


def churn_rows(n: int, day: date, seed: int, *, id_prefix: str = "p") -> pd.DataFrame:
    """``n`` churn predictions on ``day``: the log columns of config/models/churn.yaml."""
    rng = np.random.default_rng(seed)
    start = datetime(day.year, day.month, day.day)
    seconds = np.sort(rng.uniform(0, 86_399, n))
    score = rng.beta(2, 5, n)
    discount = rng.uniform(0, 30, n)
    discount[rng.random(n) < 0.05] = np.nan
    payment = rng.choice(PAYMENTS, n).astype(object)
    payment[rng.random(n) < 0.02] = None
    return pd.DataFrame(
        {
            "prediction_id": [f"{id_prefix}{seed}-{i}" for i in range(n)],
            "timestamp": (pd.Timestamp(start) + pd.to_timedelta(seconds, unit="s")).as_unit("us"),
            "prediction": np.where(score >= 0.5, "1", "0").astype(object),
            "score": score,
            "model_version": "v1",
            "error": pd.Series([None] * n, dtype=object),
            "latency_ms": rng.lognormal(3.5, 0.4, n),
            "tenure_months": rng.integers(0, 73, n).astype(float),
            "monthly_charges": rng.uniform(20, 120, n),
            "support_calls": rng.poisson(1.5, n).astype(float),
            "usage_gb": rng.lognormal(2.5, 0.8, n),
            "days_since_login": np.minimum(rng.exponential(6, n), 90.0),
            "discount_pct": discount,
            "plan": rng.choice(PLANS, n, p=[0.5, 0.3, 0.2]).astype(object),
            "region": rng.choice(REGIONS, n).astype(object),
            "payment_method": payment,
            "gender": rng.choice(["f", "m", "x"], n, p=[0.49, 0.49, 0.02]).astype(object),
            "age_band": rng.choice(["18-29", "30-44", "45-64", "65+"], n).astype(object),
        }
    )


def stored_day(frame: pd.DataFrame, cfg: ModelConfig, day: date) -> pd.DataFrame:
    """``frame`` as the store returns it: the declared columns in storage order (a declared
    column missing from the file is all-NULL) plus ``_day``, ``_source_file``, ``_ingested_at``."""
    out = pd.DataFrame(index=frame.index)
    for col, typ in expected_columns(cfg).items():
        if col in frame.columns:
            out[col] = frame[col]
        elif typ == "DOUBLE":
            out[col] = np.nan
        else:
            out[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    out["_day"] = pd.Timestamp(day).as_unit("us")
    out["_source_file"] = f"landing/churn/{day}.parquet"
    out["_ingested_at"] = pd.Timestamp("2024-04-01 02:00").as_unit("us")
    return out.reset_index(drop=True)


@pytest.fixture(scope="session")
def churn_cfg() -> ModelConfig:
    return load_model_config(REPO / "config" / "models" / "churn.yaml")


@pytest.fixture(scope="session")
def churn_reference() -> pd.DataFrame:
    """14 days of about 1,500 rows each, with labels (timestamps span the days)."""
    days = [
        churn_rows(1400 + 20 * k, DAY - timedelta(days=30 - k), seed=100 + k, id_prefix="r")
        for k in range(14)
    ]
    ref = pd.concat(days, ignore_index=True)
    hit = np.random.default_rng(7).random(len(ref)) < ref["score"]
    ref["label"] = np.where(hit, "1", "0")
    return ref


@pytest.fixture(scope="session")
def churn_suite(churn_cfg: ModelConfig, churn_reference: pd.DataFrame) -> dict:
    return suggest_suite(churn_cfg, churn_reference)


@pytest.fixture()
def good_rows() -> pd.DataFrame:
    """A reference-like day of 1,500 log rows (before storage)."""
    return churn_rows(1500, DAY, seed=1)


def store_table(con, frame: pd.DataFrame, cfg: ModelConfig, name: str = "day_rows") -> str:
    """``frame`` (shaped by :func:`stored_day`) as a DuckDB table typed as the store types it
    (declared columns as ``expected_columns``, ``_day`` a DATE); a column ``frame`` lacks is
    left out. Returns the table's quoted name."""
    from monitoring_pipelines.store.columns import SYSTEM_COLUMNS
    from monitoring_pipelines.store.sql import qi

    declared = {**expected_columns(cfg), **SYSTEM_COLUMNS}
    con.register("_frame", frame)
    try:
        types = dict(
            con.execute("DESCRIBE SELECT * FROM _frame").fetchall()[i][:2]
            for i in range(len(frame.columns))
        )
        cols = ", ".join(f"{qi(c)} {declared.get(c, types[c])}" for c in frame.columns)
        con.execute(f"CREATE OR REPLACE TABLE {qi(name)} ({cols})")
        con.execute(f"INSERT INTO {qi(name)} BY NAME SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
    return qi(name)
