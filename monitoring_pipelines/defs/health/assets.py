"""Service health: is the model serving, on time, at the usual volume and latency?"""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import MODEL_DAYS, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.health.service_health import service_health as compute_health
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import replace_metrics

# check name -> the health metric it judges
HEALTH_CHECKS = {
    "check_volume": "volume_ratio",
    "check_freshness": "missing_days",
    "check_failed_rate": "failed_rate",
    "check_latency_p99": "latency_p99_ms",
}


@dg.asset(
    key=k.SERVICE_HEALTH,
    partitions_def=MODEL_DAYS,
    group_name=k.GROUP_HEALTH,
    deps=[k.PREDICTIONS],
    kinds={"duckdb", "python"},
    pool=k.POOL,
    check_specs=[
        dg.AssetCheckSpec(
            name, asset=k.SERVICE_HEALTH, description=f"Thresholds from config on {metric}."
        )
        for name, metric in HEALTH_CHECKS.items()
    ],
    description="Volume against expected, missing days, latency p50/p95/p99 (ms), failed-"
    "prediction rate and model versions seen, from the day's logs. Written to metrics "
    "(family 'health'). Not gated by data quality: a broken day is still a day served.",
)
def service_health(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        metrics = compute_health(con, cfg, day)
        with transaction(con):
            replace_metrics(
                con, model=model, day=day, family="health", metrics=metrics, run_id=context.run_id
            )
    by_name = {m.metric: m for m in metrics if not m.subject}
    checks = []
    for name, metric in HEALTH_CHECKS.items():
        m = by_name[metric]
        checks.append(
            dg.AssetCheckResult(
                check_name=name,
                passed=m.status == "ok",
                severity=dg.AssetCheckSeverity.ERROR
                if m.status == "alert"
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "value": m.value if m.value is not None else float("nan"),
                    "lower": m.lower if m.lower is not None else float("nan"),
                    "upper": m.upper if m.upper is not None else float("nan"),
                    "status": m.status,
                },
            )
        )
    meta = {m.metric: float(m.value) for m in metrics if not m.subject and m.value is not None}
    return dg.MaterializeResult(metadata=meta, check_results=checks)
