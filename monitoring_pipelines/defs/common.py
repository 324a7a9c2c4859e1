"""What every day × model asset shares: its decorator and how it writes a metrics family."""

from collections.abc import Sequence

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import MODEL_DAYS
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import Metric, replace_metrics


def model_day_asset(
    *,
    key: str,
    group: str,
    description: str,
    deps: Sequence = (),
    check_specs: Sequence[dg.AssetCheckSpec] = (),
    kinds: Sequence[str] = ("duckdb", "python"),
):
    """``@dg.asset`` for one model's day: day × model partitions, the ``duckdb`` pool."""
    return dg.asset(
        key=key,
        partitions_def=MODEL_DAYS,
        group_name=group,
        description=description,
        deps=list(deps),
        check_specs=list(check_specs),
        kinds=set(kinds),
        pool=k.POOL,
    )


def headline(metrics: list[Metric]) -> dict[str, float]:
    """Subject-less figures as float metadata, which the UI plots over partitions."""
    return {m.metric: float(m.value) for m in metrics if not m.subject and m.value is not None}


def write_family(
    context: dg.AssetExecutionContext,
    monitoring: MonitoringResource,
    *,
    model: str,
    day,
    family: str,
    metrics: list[Metric],
) -> None:
    """Replace the (model, day, family) rows of ``metrics`` in one transaction."""
    with monitoring.connect() as con, transaction(con):
        replace_metrics(
            con, model=model, day=day, family=family, metrics=metrics, run_id=context.run_id
        )


def metric_check(check_name: str, metric: Metric) -> dg.AssetCheckResult:
    """A check judged by a metric's status: ``alert`` fails with ERROR, ``warn`` with WARN.
    The metadata says the value and the band it was held to."""
    nan = float("nan")
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=metric.status == "ok",
        severity=dg.AssetCheckSeverity.ERROR
        if metric.status == "alert"
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "metric": metric.metric,
            "value": nan if metric.value is None else float(metric.value),
            "lower": nan if metric.lower is None else float(metric.lower),
            "upper": nan if metric.upper is None else float(metric.upper),
            "status": metric.status,
        },
    )
