"""What Dagster does with per-day asset checks in one run over a range of days: the ground a
single run per backfill would stand on (see bench/RESULTS.md, *What would close the gap*).

The daily job runs one Dagster run per model and day because each day's checks must be
recorded against that day. In the Dagster this project pins, an asset whose outputs are
optional (``can_subset``) can take a range of partitions in one run
(``BackfillPolicy.single_run``), log one check evaluation per partition, and the instance
keeps each under its own partition, failures included. On the project's day x model
partitions (2026-12-08): a range over one model's days is that model's days only; per-day
metadata costs a second materialization a day; and a blocking check blocks a whole range or
nothing, so a ranged design must skip a blocked day's downstream work itself. If an upgrade
changes any of this, the plan changes with it."""

import warnings

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation

# single-run backfills and partitioned checks are beta and preview in the pinned Dagster:
# what these tests pin down, knowingly
pytestmark = [
    pytest.mark.filterwarnings("ignore::dagster.BetaWarning"),
    pytest.mark.filterwarnings("ignore::dagster.PreviewWarning"),
]

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-06")
BAD_DAY = "2025-01-03"
with warnings.catch_warnings():  # built at import, outside pytestmark's reach
    warnings.simplefilter("ignore", dg.PreviewWarning)
    WITHIN_BOUNDS = dg.AssetCheckSpec("within_bounds", asset="daily_figure", partitions_def=DAYS)


@dg.multi_asset(
    specs=[dg.AssetSpec("daily_figure", partitions_def=DAYS)],
    check_specs=[WITHIN_BOUNDS],
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def daily_figure(context: dg.AssetExecutionContext):
    for day in context.partition_keys:
        context.log_event(
            AssetCheckEvaluation(
                asset_key=dg.AssetKey("daily_figure"),
                check_name="within_bounds",
                passed=day != BAD_DAY,
                metadata={"day": day},
                partition=day,
                severity=dg.AssetCheckSeverity.WARN,
            )
        )
    yield dg.MaterializeResult(
        asset_key="daily_figure", metadata={"days": len(context.partition_keys)}
    )


def test_one_run_over_four_days_records_each_days_check_under_its_day():
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [daily_figure],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": "2025-01-01",
            "dagster/asset_partition_range_end": "2025-01-04",
        },
    )
    assert result.success
    materialized = sorted(
        e.partition for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
    )
    assert materialized == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
    key = dg.AssetCheckKey(dg.AssetKey("daily_figure"), "within_bounds")
    history = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
    by_day = {r.partition: r.status.value for r in history}
    assert by_day == {
        "2025-01-01": "SUCCEEDED",
        "2025-01-02": "SUCCEEDED",
        "2025-01-03": "FAILED",
        "2025-01-04": "SUCCEEDED",
    }
    assert len({r.run_id for r in history}) == 1  # one run, four days


# The project's own partitions: day x model, the model dimension dynamic (defs/partitions.py).
# What one run over one model's range of days does there, settled against the pinned Dagster
# (the open questions of *What would close the gap*): the range, per-day metadata, blocking.
MD_DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-08")
MD = dg.MultiPartitionsDefinition(
    {"day": MD_DAYS, "model": dg.DynamicPartitionsDefinition(name="ranged_model")}
)
RANGE = {
    "dagster/asset_partition_range_start": "2025-01-02|m2",
    "dagster/asset_partition_range_end": "2025-01-05|m2",
}
M2_DAYS = [f"2025-01-0{d}|m2" for d in (2, 3, 4, 5)]


def _ranged_pair(upstream_body, *, skippable=False, check_specs=()):
    """An upstream multi-asset running ``upstream_body(context)`` over the range in one step,
    and a downstream asset recording the partitions it was given."""
    seen: dict[str, list[str]] = {}

    @dg.multi_asset(
        name="ranged_up",
        specs=[dg.AssetSpec("ranged_up", partitions_def=MD, skippable=skippable)],
        check_specs=list(check_specs),
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
    )
    def up(context: dg.AssetExecutionContext):
        seen["up"] = sorted(str(k) for k in context.partition_keys)
        yield from upstream_body(context)

    @dg.asset(partitions_def=MD, deps=["ranged_up"], backfill_policy=dg.BackfillPolicy.single_run())
    def ranged_down(context: dg.AssetExecutionContext) -> None:
        seen["down"] = sorted(str(k) for k in context.partition_keys)

    return [up, ranged_down], seen


def _run(assets):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("ranged_model", ["m1", "m2", "m3"])
    return dg.materialize(assets, instance=instance, raise_on_error=False, tags=RANGE)


def _materializations(result, key: str) -> list[tuple[str, dict]]:
    out = []
    for e in result.all_events:
        if e.event_type_value == "ASSET_MATERIALIZATION":
            m = e.event_specific_data.materialization
            if m.asset_key.to_user_string() == key:
                out.append((m.partition, {k: v.value for k, v in m.metadata.items()}))
    return sorted(out, key=lambda pm: (pm[0], sorted(pm[1])))


def test_a_range_over_one_models_days_is_that_models_days_only():
    """A multi-partition range is the product of each dimension's range: from 2025-01-02|m2
    to 2025-01-05|m2 is m2's four days, not the other models' keys sorted between them."""

    def body(context):
        yield dg.MaterializeResult(asset_key="ranged_up")

    assets, seen = _ranged_pair(body)
    result = _run(assets)
    assert result.success
    assert seen == {"up": M2_DAYS, "down": M2_DAYS}
    assert [p for p, _ in _materializations(result, "ranged_up")] == M2_DAYS


def test_per_day_metadata_costs_a_second_materialization_per_day():
    """One result for the range gives every day the same metadata. Per-day metadata can be
    logged as each day's own materialization, but the output still records one per day too:
    two per day, the range's one last. Without the output the downstream step is skipped."""

    def both(context):
        for key in context.partition_keys:
            context.log_event(
                dg.AssetMaterialization("ranged_up", partition=key, metadata={"day": str(key)})
            )
        yield dg.MaterializeResult(asset_key="ranged_up", metadata={"days": 4})

    assets, seen = _ranged_pair(both)
    result = _run(assets)
    mats = _materializations(result, "ranged_up")
    assert len(mats) == 8  # two per day
    want = [(k, {"day": k}) for k in M2_DAYS] + [(k, {"days": 4}) for k in M2_DAYS]
    assert mats == sorted(want, key=lambda pm: (pm[0], sorted(pm[1])))
    latest = {}  # in the order logged: what the UI shows as each day's latest
    for e in result.all_events:
        if e.event_type_value == "ASSET_MATERIALIZATION":
            m = e.event_specific_data.materialization
            if m.asset_key == dg.AssetKey("ranged_up"):
                latest[m.partition] = {k: v.value for k, v in m.metadata.items()}
    assert latest == {k: {"days": 4} for k in M2_DAYS}
    assert seen["down"] == M2_DAYS

    def logged_only(context):
        for key in context.partition_keys:
            context.log_event(
                dg.AssetMaterialization("ranged_up", partition=key, metadata={"day": str(key)})
            )
        yield from ()

    assets, seen = _ranged_pair(logged_only, skippable=True)
    result = _run(assets)
    assert len(_materializations(result, "ranged_up")) == 4
    assert "down" not in seen  # skipped: the output was not produced
    assert any(e.event_type_value == "STEP_SKIPPED" for e in result.all_events)


def test_a_blocking_check_blocks_the_whole_range_or_nothing():
    """Per-day blocking does not carry over to a ranged run: a failed blocking result fails
    the whole step (no downstream day runs), and per-day evaluations logged with their
    partition are recorded but gate nothing (every downstream day runs, the bad one too).
    A ranged design has to skip a blocked day's downstream work itself."""
    spec = dg.AssetCheckSpec("ok_day", asset="ranged_up", blocking=True, partitions_def=MD)
    bad = "2025-01-03|m2"

    def per_day(context):
        for key in context.partition_keys:
            context.log_event(
                AssetCheckEvaluation(
                    asset_key=dg.AssetKey("ranged_up"),
                    check_name="ok_day",
                    passed=str(key) != bad,
                    partition=key,
                    severity=dg.AssetCheckSeverity.ERROR,
                )
            )
        yield dg.MaterializeResult(asset_key="ranged_up")

    assets, seen = _ranged_pair(per_day, check_specs=[spec])
    result = _run(assets)
    assert result.success and seen["down"] == M2_DAYS  # the bad day's downstream ran
    failed = [
        e.event_specific_data.partition
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed
    ]
    assert failed == [bad]

    def one_result(context):
        yield dg.MaterializeResult(
            asset_key="ranged_up",
            check_results=[dg.AssetCheckResult(check_name="ok_day", passed=False)],
        )

    assets, seen = _ranged_pair(one_result, check_specs=[spec])
    result = _run(assets)
    assert not result.success and "down" not in seen  # no day went downstream
