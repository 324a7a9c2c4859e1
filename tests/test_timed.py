"""``timed``: the seconds of an asset body added to its MaterializeResult, nothing else
changed; other returns pass through."""

from __future__ import annotations

import time

import dagster as dg

from monitoring_pipelines.defs.common import COMPUTE_SECONDS, timed


def test_timed_adds_compute_seconds_and_keeps_the_rest():
    check = dg.AssetCheckResult(check_name="c", passed=False)

    @timed
    def body(context, monitoring):
        time.sleep(0.05)
        return dg.MaterializeResult(
            metadata={"rows": 3},
            check_results=[check],
            data_version=dg.DataVersion("v1"),
            tags={"t": "x"},
        )

    out = body(None, monitoring=None)
    assert out.metadata["rows"] == 3
    assert 0.05 <= out.metadata[COMPUTE_SECONDS] < 1.0
    assert out.check_results == [check]
    assert out.data_version == dg.DataVersion("v1")
    assert out.tags == {"t": "x"}
    assert body.__wrapped__.__name__ == "body"


def test_timed_passes_other_returns_through():
    assert timed(lambda context: None)(None) is None
    result = dg.Output(1)
    assert timed(lambda: result)() is result
