"""The review queue: rows sent to people (soft actions and outliers) against capacity, the
backlog and its projection, the control group's precision and the importance-sampled recall
audit (list under ``data/audits/<model>/<day>.csv``, table ``review_audits``)."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, model_day_asset
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.review.daily import FAMILY, ReviewDay, review_day
from monitoring_pipelines.review.store import (
    audit_file,
    replace_queue,
    save_audit,
    write_audit_file,
)
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import replace_metrics

CHECK = "check_review_capacity"


@model_day_asset(
    key=k.REVIEW_QUEUE,
    group=k.GROUP_REVIEW,
    deps=[k.DATA_QUALITY, k.GROUND_TRUTH, k.OUTLIERS],
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset=k.REVIEW_QUEUE,
            description="The day's review queue fits the reviewers' capacity per day.",
        )
    ],
    description="Rows sent to people (soft actions and outliers, deduplicated) against "
    "review.capacity_per_day, the backlog and its projection, the control group's precision "
    "and the Horvitz-Thompson recall from the audit of negatives (family 'review'); the queue "
    "in review_queue_rows, the audit sample in review_audits and data/audits/<model>/<day>.csv.",
)
def review_queue(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        result = review_day(con, cfg, day)
        with transaction(con):
            replace_queue(con, model, day, result.queue)
            if result.new_audit:
                save_audit(con, model, day, result.audit)
            replace_metrics(
                con, model=model, day=day, family=FAMILY, metrics=result.metrics,
                run_id=context.run_id,
            )  # fmt: skip
    meta = {**headline(result.metrics), "figures": dg.MetadataValue.md(_table(result))}
    if result.audit is not None:
        path = write_audit_file(audit_file(monitoring.paths.home, model, day), result.audit)
        meta["audit_list"] = dg.MetadataValue.path(str(path))
    for note in result.notes:
        context.log.info(note)
    return dg.MaterializeResult(metadata=meta, check_results=[_capacity_check(result)])


def _capacity_check(result: ReviewDay) -> dg.AssetCheckResult:
    queue, cap = result.metric("queue_rows"), result.metric("capacity")
    nan = float("nan")
    excess = result.metric("queue_excess")
    backlog, projected = result.metric("backlog"), result.metric("backlog_projected")
    capacity = cap.value if cap else None
    return dg.AssetCheckResult(
        check_name=CHECK,
        passed=capacity is None or queue.value <= capacity,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "queue_rows": float(queue.value),
            "capacity": nan if capacity is None else float(capacity),
            "exceeded_by": float(excess.value) if excess else 0.0,
            "exceeded_by_share": float(excess.value / capacity) if excess and capacity else 0.0,
            "backlog": float(backlog.value) if backlog else nan,
            "backlog_projected": float(projected.value) if projected else nan,
        },
    )


def _table(result: ReviewDay) -> str:
    lines = ["| metric | value | lower | upper | status |", "|---|---:|---:|---:|---|"]
    for m in result.metrics:
        lines.append(
            f"| {m.metric} | {_fmt(m.value)} | {_fmt(m.lower)} | {_fmt(m.upper)} | {m.status} |"
        )
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"
