"""Performance: the estimator fitted on the reference, estimated figures for every day, and
realized figures (beside the estimate, with the estimation error) once labels join."""

from datetime import timedelta

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.config import Task
from monitoring_pipelines.defs.common import headline, model_day_asset, write_family
from monitoring_pipelines.defs.partitions import BY_MODEL, MODELS, split_key
from monitoring_pipelines.defs.performance.figures import figures_table, worst_check
from monitoring_pipelines.defs.performance.names import (
    ESTIMATED_PERFORMANCE,
    FAMILY_ESTIMATED,
    FAMILY_ESTIMATION_ERROR,
    FAMILY_REALIZED,
    FAMILY_REALIZED_WINDOW,
    PERFORMANCE_ESTIMATOR,
    REALIZED_PERFORMANCE,
)
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.performance.data import (
    day_of,
    day_rows,
    labelled_rows,
    reference_rows,
    served_count,
    stored_metrics,
)
from monitoring_pipelines.performance.estimated import estimated_performance as estimate
from monitoring_pipelines.performance.estimated import estimation_error
from monitoring_pipelines.performance.estimator import fit_estimator, load_estimator, save_estimator
from monitoring_pipelines.performance.realized import realized_performance as realize
from monitoring_pipelines.report.metadata import markdown_image, performance_chart
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import replace_families


@dg.asset(
    key=PERFORMANCE_ESTIMATOR,
    partitions_def=MODELS,
    group_name=k.GROUP_REFERENCE,
    deps=[k.REFERENCE_DATA],
    kinds={"duckdb", "python", "scikit-learn"},
    pool=k.POOL,
    description="Fitted once per model on its reference: bands of every realized metric over "
    "reference windows, and the performance estimator (CBPE score calibrators for "
    "classifiers, DLE loss models for regressors), stored in performance_estimators.",
)
def performance_estimator(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    cfg = monitoring.model(context.partition_key)
    with monitoring.connect() as con:
        # classifiers' estimators need only the outputs; DLE (regression) also the features
        features = None if cfg.task is Task.regression else []
        state = fit_estimator(cfg, reference_rows(con, cfg, columns=features))
        with transaction(con):
            save_estimator(con, state)
    for note in state.notes:
        context.log.warning(note)
    return dg.MaterializeResult(
        metadata={
            "reference_rows": state.reference_rows,
            "estimator": type(state.estimator).__name__ if state.estimator else "none",
            **{f"reference_{m}": v for m, v in state.reference.items()},
        }
    )


@model_day_asset(
    key=ESTIMATED_PERFORMANCE,
    group=k.GROUP_PERFORMANCE,
    deps=[k.DATA_QUALITY, dg.AssetDep(PERFORMANCE_ESTIMATOR, partition_mapping=BY_MODEL)],
    kinds=("duckdb", "python", "scikit-learn"),
    check_specs=[
        dg.AssetCheckSpec(
            "check_estimated_performance",
            asset=ESTIMATED_PERFORMANCE,
            description="The worst judged estimated figure against its reference band.",
        )
    ],
    description="The day's performance estimated without labels: CBPE (classifiers: accuracy, "
    "precision, recall, F1, ROC AUC, ...) or DLE (regressors: MAE, RMSE), with sampling-error "
    "bands. Written to metrics (family 'estimated_performance').",
)
def estimated_performance(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        if state is None:
            raise dg.Failure(f"no performance estimator for {model}: run {k.REFERENCE_JOB}")
        metrics = estimate(cfg, state, day_rows(con, cfg, day, run_id=context.run_id))
    write_family(
        context, monitoring, model=model, day=day, family=FAMILY_ESTIMATED, metrics=metrics
    )
    return dg.MaterializeResult(
        metadata={**headline(metrics), "figures": figures_table(metrics)},
        check_results=[
            worst_check(metrics, cfg.performance.alert_metrics, "check_estimated_performance")
        ],
    )


@model_day_asset(
    key=REALIZED_PERFORMANCE,
    group=k.GROUP_PERFORMANCE,
    deps=[k.GROUND_TRUTH, ESTIMATED_PERFORMANCE],
    check_specs=[
        dg.AssetCheckSpec(
            "check_realized_performance",
            asset=REALIZED_PERFORMANCE,
            description="The worst judged realized figure against its reference band "
            "(at most a warning while labels are partial).",
        )
    ],
    description="The day's realized performance on its labelled predictions, each figure with "
    "a bootstrap interval and the label coverage it used (family 'performance'); re-computed "
    "when late labels arrive. Beside it, estimated minus realized per metric (family "
    "'estimation_error').",
)
def realized_performance(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    with monitoring.connect() as con:
        state = load_estimator(con, model)
        bands = state.bands if state else None
        first = day - timedelta(days=max(cfg.performance.window_days, 1) - 1)
        read = labelled_rows(con, cfg, first, day, run_id=context.run_id)  # the window's rows
        rows = read if first == day else day_of(read, day)
        served = served_count(con, cfg, day, day)
        metrics = realize(cfg, rows, served=served, bands=bands)
        families = [(FAMILY_REALIZED, metrics)]
        if cfg.performance.window_days:
            window = realize(cfg, read, served=served_count(con, cfg, first, day), bands=bands)
            families.append((FAMILY_REALIZED_WINDOW, window))
        estimated = stored_metrics(con, model, day, FAMILY_ESTIMATED)
        errors = estimation_error(cfg, estimated, metrics)
        families.append((FAMILY_ESTIMATION_ERROR, errors))
        with transaction(con):
            replace_families(
                con, model=model, day=day, families=dict(families), run_id=context.run_id
            )
    with monitoring.connect() as con:
        chart = performance_chart(con, model, day, cfg.performance.alert_metrics)
    if chart:
        side_chart = {"realized_vs_estimated": dg.MetadataValue.md(markdown_image(chart, "perf"))}
    else:
        side_chart = {}
    side = {
        f"estimated_{m.metric}": float(m.value)
        for m in estimated
        if not m.subject and m.value is not None
    }
    return dg.MaterializeResult(
        metadata={
            **headline(metrics),
            **side,
            **{f"estimation_error_{m.metric}": float(m.value) for m in errors},
            "figures": figures_table(metrics),
            **side_chart,
        },
        check_results=[
            worst_check(metrics, cfg.performance.alert_metrics, "check_realized_performance")
        ],
    )
