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
