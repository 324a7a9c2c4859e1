"""Service health: is the model serving, on time, at the usual volume and latency?"""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, metric_check, model_day_asset, write_family
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.health.service_health import service_health as compute_health

# check name -> the health metric it judges
HEALTH_CHECKS = {
    "check_volume": "volume_ratio",
    "check_freshness": "missing_days",
    "check_failed_rate": "failed_rate",
    "check_latency_p99": "latency_p99_ms",
}


@model_day_asset(
    key=k.SERVICE_HEALTH,
    group=k.GROUP_HEALTH,
    deps=[k.PREDICTIONS],
    check_specs=[
        dg.AssetCheckSpec(name, asset=k.SERVICE_HEALTH, description=f"Config thresholds on {m}.")
        for name, m in HEALTH_CHECKS.items()
    ],
    description="Volume against expected, missing days, latency p50/p95/p99 (ms), failed-"
    "prediction rate and model versions seen, from the day's logs. Written to metrics "
    "(family 'health'). Not gated by data quality: a broken day is still a day served.",
)
def service_health(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    with monitoring.connect() as con:
        metrics = compute_health(con, monitoring.model(model), day)
    write_family(context, monitoring, model=model, day=day, family="health", metrics=metrics)
    by_name = {m.metric: m for m in metrics if not m.subject}
    return dg.MaterializeResult(
        metadata=headline(metrics),
        check_results=[metric_check(name, by_name[m]) for name, m in HEALTH_CHECKS.items()],
    )
