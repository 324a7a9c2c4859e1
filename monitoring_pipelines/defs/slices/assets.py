"""Segment performance and the worst slices of each model's day, with their checks."""

from datetime import timedelta

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, model_day_asset, write_family
from monitoring_pipelines.defs.partitions import BY_MODEL, MODELS, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.performance.estimator import load_estimator
from monitoring_pipelines.slices.baseline import baselines, reference_gaps
from monitoring_pipelines.slices.binning import fit_binning
from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED, read_rows, row_loss
from monitoring_pipelines.slices.search import SliceSearch, search_metrics
from monitoring_pipelines.slices.search import slices_table as top_table
from monitoring_pipelines.slices.segments import SegmentPerformance, segment_performance
from monitoring_pipelines.slices.window import window_search

FAMILY_SEGMENT = "segment"
FAMILY_SLICES = "slices"
FAMILY_SLICES_WINDOW = "slices_window"
DEPS = [
    k.DATA_QUALITY,
    k.GROUND_TRUTH,
    dg.AssetDep(k.PERFORMANCE_ESTIMATOR, partition_mapping=BY_MODEL),
    dg.AssetDep(k.SLICE_BASELINES, partition_mapping=BY_MODEL),
]
SEVERITY_ORDER = {"ok": 0, "warn": 1, "alert": 2}
SEVERITY = {"alert": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def _check(name: str, what: str, subject, gap, rel, usual, p_adj, st, threshold, whole):
    """A check result saying which group breached, by how much, against which threshold
    (the threshold applies to relative_gap - reference_relative_gap)."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=st == "ok",
        severity=SEVERITY.get(st, dg.AssetCheckSeverity.WARN),
        metadata={
            what: subject,
            "gap": float(gap),
            "relative_gap": float(rel),
            "reference_relative_gap": float(usual),
            "excess_relative_gap": float(rel - usual),
            "threshold_excess_gap": float(threshold),
            "p_adjusted": float(p_adj),
            "whole_mean_loss": float(whole),
            "status": st,
        },
    )


def segment_check(result: SegmentPerformance, cfg) -> dg.AssetCheckResult:
    """Judged by the worst segment: its relative loss gap against warn_gap / alert_gap."""
    g, s = result.worst, cfg.slices
    if g is None:
        return dg.AssetCheckResult(
            check_name="check_segment_performance", passed=True, metadata={"note": "no loss"}
        )
    threshold = s.alert_gap if g.status == "alert" else s.warn_gap
    return _check(
        "check_segment_performance", "segment", g.segment, g.gap, g.relative_gap,
        g.reference_relative_gap, g.p_adjusted, g.status, threshold, result.mean_loss,
    )  # fmt: skip


def slices_check(result: SliceSearch, cfg) -> dg.AssetCheckResult:
    """Judged by the worst-status ranked slice (the best-ranked among equals): its relative
    loss gap in excess of the usual against warn_gap / alert_gap."""
    if not result.slices:
        return dg.AssetCheckResult(
            check_name="check_worst_slices", passed=True, metadata={"note": "no slice tested"}
        )
    s = cfg.slices
    x = min(result.slices, key=lambda y: (-SEVERITY_ORDER[y.status], y.rank))
    threshold = s.alert_gap if x.status == "alert" else s.warn_gap
    return _check(
        "check_worst_slices", "slice", x.slice_id, x.gap, x.relative_gap,
        x.reference_relative_gap, x.p_adjusted, x.status, threshold, result.mean_loss,
    )  # fmt: skip


@dg.asset(
    key=k.SLICE_BASELINES,
    partitions_def=MODELS,
    group_name=k.GROUP_REFERENCE,
    deps=[k.REFERENCE_DATA, k.PERFORMANCE_ESTIMATOR],
    kinds={"duckdb", "python"},
    pool=k.POOL,
    description="Each one- and two-feature group's usual relative loss gap on the reference "
    "(realized loss from the reference's labels, estimated loss from the performance "
    "estimator), kept in table slice_baselines: computed once per reference, estimator and "
    "slice settings, so the daily segment and slice searches only look it up.",
)
def slice_baselines(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    cfg = monitoring.model(context.partition_key)
    s = cfg.slices
    if not (s.enabled and s.judge_against_reference):
        return dg.MaterializeResult(metadata={"note": "no baseline needed by slices settings"})
    metadata = {}
    with monitoring.connect() as con:
        state = load_estimator(con, cfg.name)
        binning = fit_binning(con, cfg)
        for source, gaps in baselines(con, cfg, state, binning, (REALIZED, ESTIMATED)).items():
            metadata[f"{source}_groups"] = len(gaps)
            if gaps:
                worst = max(gaps, key=gaps.get)
                metadata[f"{source}_hardest_group"] = worst
                metadata[f"{source}_hardest_relative_gap"] = float(gaps[worst])
    return dg.MaterializeResult(metadata=metadata)


@model_day_asset(
    key=k.SEGMENT_PERFORMANCE,
    group=k.GROUP_SEGMENTS,
    deps=DEPS,
    kinds=("duckdb", "python", "scikit-learn"),
    check_specs=[
        dg.AssetCheckSpec(
            "check_segment_performance",
            asset=k.SEGMENT_PERFORMANCE,
            description="The worst configured segment: its mean per-row loss against the "
            "whole day's (slices.warn_gap / alert_gap, significant after the correction).",
        )
    ],
    description="Performance per configured segment (subject 'column=value'): rows, label "
    "coverage, realized figures, estimated figures, and the gap of the segment's mean "
    "per-row loss (realized where labels exist, estimated where not) to the whole day's. "
    "Written to metrics (family 'segment').",
)
def segment_performance_asset(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    if not cfg.slices.enabled:
        write_family(context, monitoring, model=model, day=day, family=FAMILY_SEGMENT, metrics=[])
        return dg.MaterializeResult(
            metadata={"note": "slices.enabled is false"},
            check_results=[segment_check(SegmentPerformance(None, float("nan")), cfg)],
        )
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        binning = fit_binning(con, cfg)
        data = read_rows(con, cfg, day, day, run_id=context.run_id)
        loss = row_loss(cfg, state, data)
        usual = None
        if loss is not None and cfg.slices.judge_against_reference:
            usual = reference_gaps(con, cfg, state, binning, loss.source)
        result = segment_performance(con, cfg, state, binning, data, loss, usual)
    write_family(
        context, monitoring, model=model, day=day, family=FAMILY_SEGMENT, metrics=result.metrics
    )
    table = "| segment | rows | mean loss | gap | relative gap | on reference | p adjusted "
    table += "| status |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(
        f"| `{g.segment}` | {g.rows} | {g.mean_loss:.4g} | {g.gap:+.4g} | "
        f"{g.relative_gap:+.1%} | {g.reference_relative_gap:+.1%} | {g.p_adjusted:.3g} | "
        f"{g.status} |"
        for g in result.gaps
    )
    return dg.MaterializeResult(
        metadata={
            **headline(result.metrics),
            "loss_source": result.source or "none",
            "segments_table": dg.MetadataValue.md(table),
        },
        check_results=[segment_check(result, cfg)],
    )


@model_day_asset(
    key=k.WORST_SLICES,
    group=k.GROUP_SEGMENTS,
    deps=DEPS,
    kinds=("duckdb", "python"),
    check_specs=[
        dg.AssetCheckSpec(
            "check_worst_slices",
            asset=k.WORST_SLICES,
            description="The top-ranked slice: its mean per-row loss against the whole's "
            "(slices.warn_gap / alert_gap, significant after the correction).",
        )
    ],
    description="Automatic search for the worst one- and two-feature slices (numeric features "
    "in reference-quantile bins), ranked by their loss gap to the whole with a Welch test "
    "corrected for the slices tried; for the day (family 'slices') and the trailing window "
    "(family 'slices_window'); subject = slice id like 'distance_km=[3.2,5.1)&city=lyon'.",
)
def worst_slices(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    s = cfg.slices
    periods = [(FAMILY_SLICES, day), (FAMILY_SLICES_WINDOW, None)]
    if s.window_days > 1:
        periods[1] = (FAMILY_SLICES_WINDOW, day - timedelta(days=s.window_days - 1))
    results, usual, read = {}, {}, {}
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        binning = fit_binning(con, cfg)

        def reference_for(source: str) -> dict[str, float] | None:
            if s.judge_against_reference and source not in usual:
                usual[source] = reference_gaps(con, cfg, state, binning, source)
            return usual.get(source)

        for family, first in periods if s.enabled else []:
            if first is None:
                continue
            result = window_search(
                con, cfg, state, binning, first, day, reference_for, read, run_id=context.run_id
            )
            if result is not None:
                results[family] = result
    metadata = {}
    for family, _ in periods:
        result = results.get(family)
        metrics = search_metrics(result, s.top_k) if result else []
        write_family(context, monitoring, model=model, day=day, family=family, metrics=metrics)
        prefix = "" if family == FAMILY_SLICES else "window_"
        metadata.update({prefix + m: v for m, v in headline(metrics).items()})
        if result:
            metadata[prefix + "loss_source"] = result.source
            metadata[prefix + "top_slices"] = dg.MetadataValue.md(top_table(result, s.top_k))
    day_result = results.get(FAMILY_SLICES)
    check = (
        slices_check(day_result, cfg)
        if day_result
        else dg.AssetCheckResult(
            check_name="check_worst_slices", passed=True, metadata={"note": "no loss"}
        )
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])
