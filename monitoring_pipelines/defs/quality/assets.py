"""Data quality: each day validated with Great Expectations against the model's suite."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset
from monitoring_pipelines.defs.partitions import BY_MODEL, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.quality.starter import suite_path, write_starter_suite
from monitoring_pipelines.quality.suite import load_suite_json
from monitoring_pipelines.quality.validate import validate_stored_day
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.quality import replace_quality
from monitoring_pipelines.store.sql import derived_folder, predictions_table


def _table(outcomes) -> str:
    rows = "\n".join(
        f"| {o.severity} | `{o.expectation_type}` | `{o.column or ''}` | "
        f"{o.unexpected_count if o.unexpected_count is not None else ''} | "
        f"{'' if o.unexpected_percent is None else f'{o.unexpected_percent:.2f}%'} | "
        f"{o.observed_value[:60]} |"
        for o in outcomes
    )
    head = (
        "| severity | expectation | column | unexpected | share | observed |\n"
        "|---|---|---|---|---|---|\n"
    )
    return head + rows if rows else "none"


@model_day_asset(
    key=k.DATA_QUALITY,
    group=k.GROUP_QUALITY,
    deps=[k.PREDICTIONS, dg.AssetDep(k.REFERENCE_DATA, partition_mapping=BY_MODEL)],
    kinds=("duckdb", "python", "great_expectations"),
    check_specs=[
        dg.AssetCheckSpec(
            "check_critical_expectations",
            asset=k.DATA_QUALITY,
            blocking=True,
            description="Critical expectations (structure, impossible values): a "
            "failure stops this day's downstream assets in the run.",
        ),
        dg.AssetCheckSpec(
            "check_warning_expectations",
            asset=k.DATA_QUALITY,
            description="Warning expectations (ranges, categories, volume): shown, never blocking.",
        ),
    ],
    description="The day validated with Great Expectations 1.x against expectations/<model>.json "
    "(a starter suite is generated from the reference when none exists). Per-expectation "
    "results go to quality_results, counts to metrics (family 'quality').",
)
def data_quality(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    path = suite_path(monitoring.paths, cfg)
    if not path.exists():
        write_starter_suite(monitoring.paths, cfg, overwrite=False)
        context.log.info(f"no suite for {model}: wrote a starter suite to {path}")
    with monitoring.connect() as con:
        suite = load_suite_json(path, derived_folder(con))
        report = validate_stored_day(con, predictions_table(model), suite, day=day)
        with transaction(con):
            replace_quality(con, cfg, day, report, run_id=context.run_id)
    th = cfg.thresholds.quality
    crit, warn = report.critical_failures, report.warning_failures
    return dg.MaterializeResult(
        metadata={
            **{k_: v for k_, v in report.summary().items() if isinstance(v, int | float)},
            "suite": dg.MetadataValue.path(str(path)),
            "failures": dg.MetadataValue.md(_table(report.failures)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="check_critical_expectations",
                passed=not report.blocks(th.max_critical_failures),
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "failed_expectations": ", ".join(
                        f"{o.expectation_type.removeprefix('expect_')}({o.column or 'table'})"
                        for o in crit
                    ),
                    "failed": len(crit),
                    "allowed": th.max_critical_failures,
                    "details": dg.MetadataValue.md(_table(crit)),
                },
            ),
            dg.AssetCheckResult(
                check_name="check_warning_expectations",
                passed=len(warn) <= th.max_warning_failures,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "failed": len(warn),
                    "allowed": th.max_warning_failures,
                    "details": dg.MetadataValue.md(_table(warn)),
                },
            ),
        ],
    )
