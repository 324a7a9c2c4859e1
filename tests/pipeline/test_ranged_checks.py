"""What Dagster does with per-day asset checks in one run over a range of days: the ground a
single run per backfill would stand on (see bench/RESULTS.md, *What would close the gap*).

The daily job runs one Dagster run per model and day because each day's checks must be
recorded against that day. In the Dagster this project pins, an asset whose outputs are
optional (``can_subset``) can take a range of partitions in one run
(``BackfillPolicy.single_run``), log one check evaluation per partition, and the instance
keeps each under its own partition, failures included. If an upgrade changes this, the plan
changes with it."""

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-06")
BAD_DAY = "2025-01-03"


@dg.multi_asset(
    specs=[dg.AssetSpec("daily_figure", partitions_def=DAYS)],
    check_specs=[dg.AssetCheckSpec("within_bounds", asset="daily_figure", partitions_def=DAYS)],
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
