"""Data quality with Great Expectations 1.x: starter suites from reference data (DQ-1) and
daily validation with critical / warning severities (DQ-2). No Dagster import here."""

from monitoring_pipelines.quality.report import ExpectationOutcome, QualityReport, expectation_id
from monitoring_pipelines.quality.suite import (
    SuiteError,
    load_suite,
    suggest_suite,
    write_suite,
)
from monitoring_pipelines.quality.validate import (
    day_parameters,
    validate_day,
    validate_stored_day,
    warm_up,
)

__all__ = [
    "ExpectationOutcome",
    "QualityReport",
    "SuiteError",
    "day_parameters",
    "expectation_id",
    "load_suite",
    "suggest_suite",
    "validate_day",
    "validate_stored_day",
    "warm_up",
    "write_suite",
]
