"""The daily verdict per model: ok / warning / critical with ranked causes, and its alerts."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.alerts.episodes import update_episodes
from monitoring_pipelines.defs.common import model_day_asset
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource, NotifierResource
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import replace_metrics
from monitoring_pipelines.verdict.verdict import LEVELS, judge

FAMILY = "verdict"
# Everything the verdict reads: each vital sign's asset (by key; lineage in the UI).
VITAL_SIGNS = [
    k.DATA_QUALITY, k.SERVICE_HEALTH, k.GROUND_TRUTH, k.FEATURE_DRIFT, k.ESTIMATED_PERFORMANCE,
    k.REALIZED_PERFORMANCE, k.OPERATING_POINT, k.MODEL_COMPARISON, k.SEGMENT_PERFORMANCE,
    k.WORST_SLICES, k.FAIRNESS, k.OUTLIERS, k.REVIEW_QUEUE,
]  # fmt: skip


@model_day_asset(
    key=k.MODEL_HEALTH,
    group=k.GROUP_VERDICT,
    deps=VITAL_SIGNS,
    kinds=("duckdb", "python"),
    check_specs=[
        dg.AssetCheckSpec(
            "check_model_health",
            asset=k.MODEL_HEALTH,
            description="Fails (ERROR) on a critical verdict and warns on a warning one; the "
            "metadata ranks the causes.",
        )
    ],
    description="The root-cause summary to read first: the day's verdict (ok / warning / "
    "critical) from every vital sign's statuses in the metrics table, with the causes ranked "
    "(features by importance-weighted drift, segments by their contribution to the "
    "performance change, quality failures, ...). Family 'verdict'. A breach that starts or "
    "resolves sends one alert through the notifier.",
)
def model_health(
    context: dg.AssetExecutionContext,
    monitoring: MonitoringResource,
    notifier: NotifierResource,
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        rows = con.execute(
            "SELECT family, metric, subject, value, lower, upper, status FROM metrics "
            "WHERE model = ? AND day = ? AND family <> ?",
            [model, day, FAMILY],
        ).df()
        verdict = judge(rows, cfg.verdict)
        alerting = [c for c in verdict.causes if c.status == "alert"]
        breaches = {
            kind: "; ".join(c.detail for c in alerting if c.kind == kind)
            for kind in verdict.breaches()
        }
        with transaction(con):
            replace_metrics(
                con, model=model, day=day, family=FAMILY, metrics=verdict.metrics(),
                run_id=context.run_id,
            )  # fmt: skip
            events = update_episodes(con, model, day, breaches)
    sender = notifier.notifier()
    for e in events:
        sender.send("breach", e.as_dict(), e.text())
        context.log.warning(e.text())
    triggers = [b for b in verdict.breaches() if b in cfg.retraining.triggers]
    retrain = "+".join(triggers) if verdict.level == "critical" and cfg.retraining.enabled else ""
    return dg.MaterializeResult(
        metadata={
            "health": float(verdict.code),
            "verdict": verdict.level,
            "summary": verdict.summary(),
            "causes": dg.MetadataValue.md(verdict.table()),
            "breaches": ", ".join(verdict.breaches()),
            "retrain_breach": retrain,
            "alerts_sent": len(events),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="check_model_health",
                passed=verdict.level == "ok",
                severity=dg.AssetCheckSeverity.ERROR
                if verdict.level == LEVELS[2]
                else dg.AssetCheckSeverity.WARN,
                metadata={
                    "verdict": verdict.level,
                    "top_causes": dg.MetadataValue.md(verdict.table()),
                },
            )
        ],
    )
