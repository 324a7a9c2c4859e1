"""Model comparison: the model versions serving a day, side by side."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset, write_family
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.performance.figures import figures_table
from monitoring_pipelines.defs.performance.names import (
    ESTIMATED_PERFORMANCE,
    FAMILY_MODEL_COMPARISON,
    MODEL_COMPARISON,
)
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.performance.data import day_rows, labelled_rows
from monitoring_pipelines.performance.estimator import load_estimator
from monitoring_pipelines.performance.shadow import shadow_comparison
from monitoring_pipelines.performance.versions import version_comparison


@model_day_asset(
    key=MODEL_COMPARISON,
    group=k.GROUP_PERFORMANCE,
    deps=[k.GROUND_TRUTH, ESTIMATED_PERFORMANCE],
    description="When several model versions serve the day (champion and challenger on split "
    "traffic, a rollout): each version's traffic share, estimated and realized figures "
    "(subject 'version=<v>'), and how far a challenger's output is from the champion's "
    "(mean shift, KS statistic, decision change); with a shadow/challenger column, the "
    "challenger against the champion on the same rows (flipped decisions, output shift, "
    "realized figures of both on identical labelled rows). Family 'model_comparison'.",
)
def model_comparison(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        run = context.run_id  # the day's rows are read once for the run's steps
        rows = day_rows(con, cfg, day, run_id=run)
        labelled = labelled_rows(con, cfg, day, day, run_id=run)
        metrics = version_comparison(cfg, rows, labelled, state)
        metrics += shadow_comparison(cfg, rows, labelled)
    write_family(
        context, monitoring, model=model, day=day, family=FAMILY_MODEL_COMPARISON, metrics=metrics
    )
    shares = {
        f"traffic_share_{m.subject}": float(m.value) for m in metrics if m.metric == "traffic_share"
    }
    return dg.MaterializeResult(
        metadata={"versions": len(shares), **shares, "figures": figures_table(metrics)}
    )
