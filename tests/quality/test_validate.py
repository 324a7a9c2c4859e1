"""validate_day: a good day passes, broken days fail critically, drift and volume only warn."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.quality import QualityReport, validate_day, validate_stored_day
from tests.quality.conftest import DAY, PLANS, store_table, stored_day


def run(rows: pd.DataFrame, cfg: ModelConfig, suite: dict) -> QualityReport:
    """The day validated where it is stored (as the data_quality asset does), after checking
    that it gives the outcomes of validating the whole day read into pandas."""
    frame = stored_day(rows, cfg, DAY)
    con = duckdb.connect()
    stored = validate_stored_day(con, store_table(con, frame, cfg), suite, day=DAY)
    read = con.execute("SELECT * FROM day_rows").df()  # the day as the store gives it
    assert stored.outcomes == validate_day(read, suite, day=DAY).outcomes
    assert stored.row_count == len(frame)
    return stored


def failed(outcomes, kind: str) -> set[str | None]:
    """Columns of the failed outcomes of type ``expect_<kind>``."""
    return {o.column for o in outcomes if o.expectation_type == f"expect_{kind}"}


def test_reference_like_day_passes_everything(good_rows, churn_cfg, churn_suite) -> None:
    report = run(good_rows, churn_cfg, churn_suite)
    assert report.success, [(o.expectation_id, o.details) for o in report.failures]
    assert len(report.outcomes) == len(churn_suite["expectations"])
    assert [o.expectation_type for o in report.outcomes] == [
        e["type"] for e in churn_suite["expectations"]
    ]
    assert report.row_count == len(good_rows) and not report.blocks()


def _renamed(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns=["usage_gb"])  # renamed upstream: stored all-NULL


def _null_burst(col: str):
    def make(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        rows.loc[np.random.default_rng(5).random(len(rows)) < 0.4, col] = None
        return rows

    return make


def _set(col: str, value: float, n: int):
    def make(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        rows.loc[rows.index[:n], col] = value
        return rows

    return make


@pytest.mark.parametrize(
    ("make", "column"),
    [
        (_renamed, "usage_gb"),
        (_null_burst("monthly_charges"), "monthly_charges"),
        (_null_burst("discount_pct"), "discount_pct"),
        (_null_burst("plan"), "plan"),
        (_set("tenure_months", -4.0, 3), "tenure_months"),
        (_set("discount_pct", 250.0, 2), "discount_pct"),
        (_set("score", 1.3, 1), "score"),
    ],
    ids=[
        "renamed",
        "null-burst-num",
        "null-burst-sparse",
        "null-burst-cat",
        "negative-tenure",
        "pct-250",
        "score-above-1",
    ],
)
def test_broken_day_fails_a_critical_expectation_naming_the_column(
    make, column, good_rows, churn_cfg, churn_suite
) -> None:
    report = run(make(good_rows), churn_cfg, churn_suite)
    assert column in {o.column for o in report.critical_failures}
    assert report.blocks()
    other = {o.column for o in report.critical_failures} - {column}
    assert not other, other


def test_one_std_covariate_drift_fails_no_critical_expectation(
    good_rows, churn_cfg, churn_suite, churn_reference
) -> None:
    rows = good_rows.copy()
    for col in churn_cfg.features.numeric:
        rows[col] = rows[col] + churn_reference[col].std()
    rows["plan"] = np.random.default_rng(3).choice(PLANS, len(rows), p=[0.1, 0.3, 0.6])
    report = run(rows, churn_cfg, churn_suite)
    assert not report.critical_failures, [o.expectation_id for o in report.critical_failures]
    assert report.warning_failures  # drift of this size leaves the reference ranges: a warning


def test_timestamps_must_fall_inside_the_partition_day(good_rows, churn_cfg, churn_suite) -> None:
    rows = good_rows.copy()
    rows.loc[0, "timestamp"] = pd.Timestamp(DAY) - pd.Timedelta(seconds=1)  # previous day
    rows.loc[1, "timestamp"] = pd.Timestamp(DAY) + pd.Timedelta(days=1)  # next midnight
    report = run(rows, churn_cfg, churn_suite)
    [ts] = [o for o in report.critical_failures if o.column == "timestamp"]
    assert ts.expectation_type == "expect_column_values_to_be_between"
    assert ts.unexpected_count == 2
    assert ts.details["kwargs"]["min_value"] == {"$PARAMETER": "day_start"}
    # the same rows validated as the previous day's partition: now the other rows are outside
    prev = validate_day(stored_day(rows, churn_cfg, DAY), churn_suite, day=DAY - timedelta(days=1))
    [ts_prev] = [o for o in prev.critical_failures if o.column == "timestamp"]
    assert ts_prev.unexpected_count == len(rows) - 1


def test_volume_drop_fails_only_warnings(good_rows, churn_cfg, churn_suite) -> None:
    report = run(good_rows.sample(frac=0.3, random_state=0), churn_cfg, churn_suite)
    assert not report.critical_failures
    assert "expect_table_row_count_to_be_between" in {
        o.expectation_type for o in report.warning_failures
    }
    [rows] = [o for o in report.warning_failures if o.expectation_type.startswith("expect_table")]
    assert json.loads(rows.observed_value) == 450


def test_unexpected_counts_match_pandas(good_rows, churn_cfg, churn_suite) -> None:
    rows = good_rows.copy()
    rng = np.random.default_rng(11)
    rows.loc[rng.random(len(rows)) < 0.03, "plan"] = "enterprise"
    rows.loc[rng.random(len(rows)) < 0.10, "payment_method"] = None
    rows.loc[5:9, "prediction_id"] = rows.loc[0, "prediction_id"]
    rows.loc[rng.random(len(rows)) < 0.05, "days_since_login"] = 500.0
    stored = stored_day(rows, churn_cfg, DAY)
    report = validate_day(stored, churn_suite, day=DAY)
    by = {(o.expectation_type, o.column, o.severity): o for o in report.failures}

    plan = by["expect_column_values_to_be_in_set", "plan", "warning"]
    bad_plan = (~stored.plan.isin(PLANS) & stored.plan.notna()).sum()
    assert plan.unexpected_count == bad_plan
    assert plan.unexpected_percent == pytest.approx(100 * bad_plan / stored.plan.notna().sum())
    assert "enterprise" in plan.details["partial_unexpected_list"]

    pay = by["expect_column_values_to_not_be_null", "payment_method", "warning"]
    assert pay.unexpected_count == stored.payment_method.isna().sum()
    assert pay.unexpected_percent == pytest.approx(100 * stored.payment_method.isna().mean())

    ids = by["expect_column_values_to_be_unique", "prediction_id", "critical"]
    assert ids.unexpected_count == stored.prediction_id.duplicated(keep=False).sum() == 6

    login = by["expect_column_values_to_be_between", "days_since_login", "warning"]
    upper = login.details["kwargs"]["max_value"]
    assert login.unexpected_count == (stored.days_since_login > upper).sum()


def test_empty_day_is_reported_not_raised(churn_cfg, churn_suite, good_rows) -> None:
    report = validate_day(stored_day(good_rows.iloc[:0], churn_cfg, DAY), churn_suite, day=DAY)
    assert report.row_count == 0 and report.blocks()
    assert {o.expectation_type for o in report.critical_failures} == {
        "expect_table_row_count_to_be_between"
    }


def test_missing_column_is_a_failed_expectation(good_rows, churn_cfg, churn_suite) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY).drop(columns=["region"])
    report = validate_day(frame, churn_suite, day=DAY)
    region = [o for o in report.outcomes if o.column == "region"]
    assert region and not any(o.success for o in region)
    assert {o.column for o in report.failures} == {"region"}
    assert "region" in failed(report.critical_failures, "column_to_exist")
    assert any("region" in msg for o in region for msg in o.details.get("exceptions", []))


def test_severity_from_gx_field_else_meta(good_rows, churn_cfg) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY)
    suite = {
        "name": "hand_written",
        "expectations": [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "plan", "value_set": ["basic"]},
                "meta": {"severity": "warning"},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "region", "value_set": ["north"]},
                "severity": "info",
                "meta": {"severity": "critical"},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "gender", "value_set": ["f"]},
            },
        ],
    }
    report = validate_day(frame, suite, day=DAY)
    assert [o.severity for o in report.outcomes] == ["warning", "info", "critical"]
    assert [o.column for o in report.critical_failures] == ["gender"]
    assert [o.column for o in report.warning_failures] == ["plan"]


def test_extension_dtypes_do_not_fail_type_checks(good_rows, churn_cfg, churn_suite) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY)
    frame["plan"] = frame["plan"].astype("string[pyarrow]")
    frame["region"] = frame["region"].astype("category")
    frame["support_calls"] = frame["support_calls"].astype("Int64")
    frame["timestamp"] = frame["timestamp"].dt.tz_localize("UTC")
    report = validate_day(frame, churn_suite, day=DAY)
    assert report.success, [(o.expectation_id, o.observed_value) for o in report.failures]


def test_report_records_are_flat_and_ids_stable(good_rows, churn_cfg, churn_suite) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY)
    first = validate_day(frame, churn_suite, day=DAY, result_format="BOOLEAN_ONLY")
    second = validate_day(frame, churn_suite, day=DAY)
    ids = [o.expectation_id for o in first.outcomes]
    assert ids == [o.expectation_id for o in second.outcomes] and len(set(ids)) == len(ids)
    assert all(o.unexpected_count is None for o in first.outcomes)  # BOOLEAN_ONLY: no counts
    records = second.to_records()
    assert len(records) == len(ids)
    for rec in records:
        json.loads(rec["details"]), json.loads(rec["observed_value"])
        assert rec["day"] == DAY and rec["suite_name"] == "churn"
    assert second.summary()["failed"] == 0


def test_schema_expectations_see_every_column(good_rows, churn_cfg) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY)
    suite = {
        "name": "schema",
        "expectations": [
            {
                "type": "expect_table_column_count_to_equal",
                "kwargs": {"value": len(frame.columns)},
            }
        ],
    }
    assert validate_day(frame, suite, day=DAY).success


def test_text_in_a_numeric_column_fails_the_type_check(good_rows, churn_cfg, churn_suite) -> None:
    frame = stored_day(good_rows, churn_cfg, DAY)
    frame["usage_gb"] = frame["usage_gb"].astype(object)
    frame.loc[:4, "usage_gb"] = "n/a"
    report = validate_day(frame, churn_suite, day=DAY)
    [types] = [o for o in report.critical_failures if o.expectation_type.endswith("type_list")]
    assert types.column == "usage_gb" and types.unexpected_count == 5
    assert types.details["partial_unexpected_list"] == ["n/a"] * 5
