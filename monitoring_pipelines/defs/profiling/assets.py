"""Feature profile of each validated day."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset, write_family
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.profile.feature_profile import feature_profile as compute_profile


@model_day_asset(
    key=k.FEATURE_PROFILE,
    group=k.GROUP_PROFILING,
    deps=[k.DATA_QUALITY],
    description="Per-feature null rate, mean, std, quantiles (numeric) and distinct values and "
    "top-category share (categorical) of a day that passed its critical quality checks. "
    "Written to metrics (family 'profile').",
)
def feature_profile(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        metrics = compute_profile(con, cfg, day)
    write_family(context, monitoring, model=model, day=day, family="profile", metrics=metrics)
    rows = [m for m in metrics if m.metric in ("mean", "null_rate")]
    table = "| feature | statistic | value |\n|---|---|---|\n" + "\n".join(
        f"| `{m.subject}` | {m.metric} | {'' if m.value is None else round(m.value, 4)} |"
        for m in rows
    )
    worst_null = max((m.value or 0.0 for m in metrics if m.metric == "null_rate"), default=0.0)
    return dg.MaterializeResult(
        metadata={
            "max_null_rate": float(worst_null),
            "features": len(cfg.features.all),
            "profile": dg.MetadataValue.md(table),
        }
    )
