"""The operating point of binary classifiers with action thresholds."""

from dataclasses import replace

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, model_day_asset, write_family
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.performance.figures import figures_table, worst_check
from monitoring_pipelines.defs.performance.names import (
    ESTIMATED_PERFORMANCE,
    FAMILY_OPERATING_POINT,
    OPERATING_POINT,
)
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.performance.cbpe import BinaryCBPE
from monitoring_pipelines.performance.data import day_rows, labelled_rows
from monitoring_pipelines.performance.estimator import load_estimator
from monitoring_pipelines.performance.operating_point import operating_point as compute


@model_day_asset(
    key=OPERATING_POINT,
    group=k.GROUP_PERFORMANCE,
    deps=[k.GROUND_TRUTH, ESTIMATED_PERFORMANCE],
    check_specs=[
        dg.AssetCheckSpec(
            "check_operating_point",
            asset=OPERATING_POINT,
            description="Precision/recall at actions.hard inside the configured target band.",
        )
    ],
    description="What the action thresholds did on the day: shares of hard actions, soft "
    "actions (sent to people) and no-ops; precision and recall at each threshold, realized "
    "once labels join and estimated (CBPE) before. Written to metrics (family "
    "'operating_point', subject = the action). Empty for models without actions.",
)
def operating_point(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        cbpe = state.estimator if state and isinstance(state.estimator, BinaryCBPE) else None
        run = context.run_id  # the day's rows are read once for the run's steps
        rows = day_rows(con, cfg, day, run_id=run)
        metrics = compute(cfg, rows, labelled_rows(con, cfg, day, day, run_id=run), cbpe)
    write_family(
        context, monitoring, model=model, day=day, family=FAMILY_OPERATING_POINT, metrics=metrics
    )
    hard = [m for m in metrics if m.subject == "hard"]
    return dg.MaterializeResult(
        metadata={
            **headline(metrics),
            **{f"{m.metric}_{m.subject}": float(m.value) for m in metrics if m.subject},
            "figures": figures_table(metrics),
        },
        check_results=[
            worst_check(
                [replace(m, subject="") for m in hard],
                ["precision", "recall", "estimated_precision", "estimated_recall"],
                "check_operating_point",
            )
        ],
    )
