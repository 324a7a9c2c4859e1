"""A day's outcomes are stored in one statement, each field as the outcome has it (nulls for
the counts an expectation does not make), replacing the day's earlier rows."""

from __future__ import annotations

import json
from datetime import date

import duckdb

from monitoring_pipelines.quality.report import ExpectationOutcome, QualityReport
from monitoring_pipelines.store.quality import replace_quality
from monitoring_pipelines.store.schema import ensure_shared_tables

DAY = date(2025, 3, 4)


def _report(outcomes) -> QualityReport:
    return QualityReport(DAY, "churn.suite", 120, "BASIC", 0.25, tuple(outcomes))


OUTCOMES = [
    ExpectationOutcome(
        "age_between", "expect_column_values_to_be_between", "age", "critical", False,
        '{"min": -3}', 7, 5.833, {"kwargs": {"min_value": 0}, "sample": [-3, -1]},
    ),
    ExpectationOutcome(
        "columns_exist", "expect_table_columns_to_match_set", None, "warning", True,
        "null", None, None, {"reason": "ok 'quoted'"},
    ),
]  # fmt: skip


def test_outcomes_round_trip_field_by_field_and_replace_the_day(churn_cfg, tmp_path):
    con = duckdb.connect(str(tmp_path / "q.duckdb"))
    ensure_shared_tables(con)
    replace_quality(con, churn_cfg, DAY, _report(OUTCOMES[:1]))
    replace_quality(con, churn_cfg, DAY, _report(OUTCOMES))  # replaces, not adds
    rows = con.execute(
        'SELECT model, day, suite, expectation_id, expectation_type, "column", severity, '
        "success, observed_value, unexpected_count, unexpected_percent, details, "
        "validated_at IS NOT NULL FROM quality_results ORDER BY expectation_id"
    ).fetchall()
    assert rows == [
        (churn_cfg.name, DAY, "churn.suite", "age_between", OUTCOMES[0].expectation_type, "age",
         "critical", False, '{"min": -3}', 7, 5.833, json.dumps(OUTCOMES[0].details), True),
        (churn_cfg.name, DAY, "churn.suite", "columns_exist", OUTCOMES[1].expectation_type, None,
         "warning", True, "null", None, None, json.dumps(OUTCOMES[1].details), True),
    ]  # fmt: skip
    failures = con.execute(
        "SELECT value FROM metrics WHERE family = 'quality' AND metric = 'critical_failures'"
    ).fetchall()
    assert failures == [(1.0,)]
    replace_quality(con, churn_cfg, DAY, _report([]))  # an empty report clears the day
    assert con.execute("SELECT count(*) FROM quality_results").fetchone() == (0,)
    con.close()
