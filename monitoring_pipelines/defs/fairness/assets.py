"""Fairness: per sensitive attribute, figures per group and the gaps between groups, for the
day and a trailing window, judged against the model's fairness limits."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset, write_family
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.fairness import (
    WINDOW,
    Breach,
    breaches,
    fairness_figures,
    fairness_metrics,
    fairness_rows,
)
from monitoring_pipelines.fairness.data import window_first
from monitoring_pipelines.fairness.report import (
    breaches_table,
    gaps_table,
    groups_table,
    headline,
)

CHECK = "check_fairness"


def fairness_check(found: list[Breach]) -> dg.AssetCheckResult:
    """Fails (ERROR on an alert, WARN on a warning) when a judged gap is past its limit; the
    metadata names the worst breach: attribute, groups, value, limit and excess."""
    if not found:
        return dg.AssetCheckResult(check_name=CHECK, passed=True, metadata={"breaches": 0})
    worst = found[0]
    return dg.AssetCheckResult(
        check_name=CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR
        if worst.status == "alert"
        else dg.AssetCheckSeverity.WARN,
        metadata={
            "breaches": len(found),
            "attribute": worst.attribute,
            "metric": worst.metric,
            "status": worst.status,
            "value": worst.value,
            "threshold": worst.limit,
            "excess": worst.excess,
            "lower": float("nan") if worst.lower is None else worst.lower,
            "upper": float("nan") if worst.upper is None else worst.upper,
            "low_group": worst.low_group or "",
            "high_group": worst.high_group or "",
            "all_breaches": dg.MetadataValue.md(breaches_table(found)),
        },
    )


@model_day_asset(
    key=k.FAIRNESS,
    group=k.GROUP_FAIRNESS,
    deps=[k.DATA_QUALITY, k.GROUND_TRUTH],
    kinds=("duckdb", "python", "fairlearn"),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset=k.FAIRNESS,
            description="No judged fairness gap (demographic parity, equalized odds, accuracy, "
            "MAE gap) past its limit, for the day or the trailing window.",
        )
    ],
    description="Fairness per sensitive attribute with fairlearn: selection rate, accuracy, "
    "TPR, FPR (regression: MAE) per group with bootstrap intervals; demographic parity "
    "difference/ratio and equalized odds difference over the groups large enough; for the day "
    "and a trailing window (names prefixed 'window_'). Family 'fairness'.",
)
def fairness(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    settings = cfg.fairness
    if not settings.enabled or not cfg.sensitive:
        write_family(context, monitoring, model=model, day=day, family=k.FAIRNESS, metrics=[])
        return dg.MaterializeResult(metadata={"enabled": False}, check_results=[fairness_check([])])
    with monitoring.connect() as con:
        rows = fairness_rows(con, cfg, day, day)
        figures = fairness_figures(cfg, rows)
        window = []
        if settings.window_days:
            first = window_first(day, settings.window_days)
            window = fairness_figures(cfg, fairness_rows(con, cfg, first, day))
    if rows.absent:
        context.log.warning(f"sensitive columns not in the logs of {model}: {rows.absent}")
    metrics = fairness_metrics(cfg, figures) + fairness_metrics(cfg, window, WINDOW)
    write_family(context, monitoring, model=model, day=day, family=k.FAIRNESS, metrics=metrics)
    found = sorted(
        breaches(cfg, figures) + breaches(cfg, window, WINDOW),
        key=lambda b: (b.status != "alert", -b.excess),
    )
    return dg.MaterializeResult(
        metadata={
            **headline(metrics),
            "rows": len(rows),
            "labelled_rows": rows.labelled_count,
            "groups": dg.MetadataValue.md(groups_table(figures)),
            "gaps": dg.MetadataValue.md(gaps_table(figures, metrics)),
            "window_gaps": dg.MetadataValue.md(gaps_table(window, metrics, WINDOW)),
        },
        check_results=[fairness_check(found)],
    )
