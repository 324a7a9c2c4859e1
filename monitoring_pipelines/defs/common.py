"""What every day × model asset shares: its decorator and how it writes a metrics family."""

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

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
    """``@dg.asset`` for one model's day: day × model partitions, the ``duckdb`` pool; each
    materialization records ``compute_seconds`` (see :func:`timed`)."""
    asset = dg.asset(
        key=key,
        partitions_def=MODEL_DAYS,
        group_name=group,
        description=description,
        deps=list(deps),
        check_specs=list(check_specs),
        kinds=set(kinds),
        pool=k.POOL,
    )
    return lambda fn: asset(timed(fn))


COMPUTE_SECONDS = "compute_seconds"


def timed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the wall seconds of its body added to the ``MaterializeResult`` it returns
    as ``compute_seconds``: the project's own computation (reads, figures, writes), apart
    from Dagster's bookkeeping around the step (events, data versions, check evaluations),
    which the step's duration in the UI includes. Any other return passes unchanged."""

    @functools.wraps(fn)  # Dagster reads the parameters (context, resources) through it
    def run(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        if not isinstance(out, dg.MaterializeResult):
            return out
        seconds = round(time.perf_counter() - t0, 4)
        return dg.MaterializeResult(
            asset_key=out.asset_key,
            metadata={**(out.metadata or {}), COMPUTE_SECONDS: seconds},
            check_results=out.check_results,
            data_version=out.data_version,
            tags=out.tags,
            value=out.value,
        )

    return run


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


def breach_text(metric: Metric) -> tuple[float, str]:
    """(how far past its bound the value is, a sentence saying what breached): 0 and ''
    when the value is inside its band or has none."""
    v = metric.value
    if v is None:
        return 0.0, ""
    if metric.upper is not None and v > metric.upper:
        by = float(v - metric.upper)
        return by, f"{metric.metric} = {v:.4g} is {by:.4g} above its upper bound {metric.upper:.4g}"
    if metric.lower is not None and v < metric.lower:
        by = float(metric.lower - v)
        return by, f"{metric.metric} = {v:.4g} is {by:.4g} below its lower bound {metric.lower:.4g}"
    return 0.0, ""


def metric_check(check_name: str, metric: Metric) -> dg.AssetCheckResult:
    """A check judged by a metric's status: ``alert`` fails with ERROR, ``warn`` with WARN.
    The metadata says what breached (the metric and subject), by how much, and against which
    bound (the threshold from config or the band learned on the reference)."""
    nan = float("nan")
    by, text = breach_text(metric)
    if metric.status != "ok" and not text:
        text = f"{metric.metric} = {metric.value} judged {metric.status}"
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=metric.status == "ok",
        severity=dg.AssetCheckSeverity.ERROR
        if metric.status == "alert"
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "metric": metric.metric,
            "subject": metric.subject,
            "value": nan if metric.value is None else float(metric.value),
            "lower": nan if metric.lower is None else float(metric.lower),
            "upper": nan if metric.upper is None else float(metric.upper),
            "breached_by": by,
            "breach": text or "within bounds",
            "status": metric.status,
        },
    )
