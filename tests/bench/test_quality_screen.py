"""The quality screen (clean passes without GX) gives exactly GX's outcomes."""

from __future__ import annotations

import numpy as np

from monitoring_pipelines.quality import validate_day
from monitoring_pipelines.quality.fastpath import screen
from monitoring_pipelines.quality.validate import _normalize, day_parameters
from tests.quality.conftest import DAY, churn_rows, stored_day


def _days(cfg):
    """A clean day, a broken one (nulls, out of range, bad category, duplicates, stray time)
    and an empty one."""
    good = stored_day(churn_rows(300, DAY, seed=3), cfg, DAY)
    bad = stored_day(churn_rows(300, DAY, seed=4), cfg, DAY)
    bad.loc[:40, "usage_gb"] = np.nan
    bad.loc[50:60, "discount_pct"] = 250.0
    bad.loc[70:75, "plan"] = "enterprise"
    bad.loc[80:82, "prediction_id"] = bad.loc[0, "prediction_id"]
    bad.loc[90, "timestamp"] = bad.loc[90, "timestamp"] - np.timedelta64(2, "D")
    bad = bad.drop(columns=["region"])
    return {"good": good, "bad": bad, "empty": good.iloc[:0]}


def test_screened_outcomes_equal_gx_outcomes(churn_cfg, churn_suite) -> None:
    result_format = "BASIC"  # BOOLEAN_ONLY: tests/quality (counts are None either way)
    for name, frame in _days(churn_cfg).items():
        fast = validate_day(frame, churn_suite, day=DAY, result_format=result_format)
        full = validate_day(
            frame, churn_suite, day=DAY, result_format=result_format, screened=False
        )
        assert len(fast.outcomes) == len(churn_suite["expectations"])
        for a, b in zip(fast.outcomes, full.outcomes, strict=True):
            assert a == b, (name, a.expectation_id)
        if name == "bad":
            assert fast.critical_failures and fast.row_count == len(frame)


def test_screen_takes_the_clean_passes_of_a_clean_day(churn_cfg, churn_suite) -> None:
    frame = _normalize(_days(churn_cfg)["good"], None)
    raws = churn_suite["expectations"]
    passed = screen(frame, raws, day_parameters(DAY), "BASIC")
    assert len(passed) >= 0.8 * len(raws)
    assert all(r.get("unexpected_count", 0) == 0 for r in passed.values())


def test_an_all_null_text_column_passes_its_type_check_as_in_gx() -> None:
    """A service-health ``error`` column is null on every clean day: the screen takes its
    type check with GX's outcome (percentages undefined), so GX is not needed for it."""
    import pandas as pd

    suite = {
        "name": "s",
        "expectations": [
            {
                "type": "expect_column_values_to_be_in_type_list",
                "kwargs": {"column": "error", "type_list": types},
                "severity": "critical",
            }
            for types in (["str", "string"], ["int"], ["str"])
        ],
    }
    frames = [
        pd.DataFrame({"error": pd.Series([None] * 5, dtype=object)}),
        pd.DataFrame({"error": [None, None, None]}),
    ]
    for frame in frames:
        assert len(screen(_normalize(frame, None), suite["expectations"], {}, "BASIC")) == 3
        for result_format in ("BOOLEAN_ONLY", "BASIC", "SUMMARY"):
            fast = validate_day(frame, suite, day=DAY, result_format=result_format)
            full = validate_day(frame, suite, day=DAY, result_format=result_format, screened=False)
            assert fast.outcomes == full.outcomes, result_format
            assert all(o.success for o in fast.outcomes)
    # a float column of NaN is checked on its dtype by GX: not screened
    nan = pd.DataFrame({"error": [np.nan] * 4})
    assert screen(_normalize(nan, None), suite["expectations"], {}, "BASIC") == {}
