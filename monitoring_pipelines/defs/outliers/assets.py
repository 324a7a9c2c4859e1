"""Outliers: the detectors fitted once per model on its reference, and every day's outlier
rate with its flagged rows (table ``outlier_rows``) kept for review."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, metric_check, model_day_asset
from monitoring_pipelines.defs.partitions import BY_MODEL, MODELS, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.outliers.daily import (
    FAMILY,
    OutlierDay,
    day_features,
    detect_outliers,
    replace_outlier_rows,
)
from monitoring_pipelines.outliers.detector import (
    fit_detector,
    load_detector,
    reference_features,
    save_detector,
)
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import Metric, replace_metrics

CHECK = "check_outlier_rate"


@dg.asset(
    key=k.OUTLIER_DETECTOR,
    partitions_def=MODELS,
    group_name=k.GROUP_REFERENCE,
    deps=[k.REFERENCE_DATA],
    kinds={"duckdb", "python", "scikit-learn"},
    pool=k.POOL,
    description="Fitted once per model on its reference: the feature encoding, the outlier "
    "detectors (isolation forest, Mahalanobis; alibi-detect or scikit-learn) and each one's "
    "threshold at a reference percentile, stored in outlier_detectors.",
)
def outlier_detector(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    cfg = monitoring.model(context.partition_key)
    if not cfg.outliers.enabled:
        return dg.MaterializeResult(metadata={"enabled": False})
    with monitoring.connect() as con:
        state = fit_detector(cfg, reference_features(con, cfg))
        with transaction(con):
            save_detector(con, state)
    return dg.MaterializeResult(
        metadata={
            "backend": state.backend,
            "reference_rows": state.reference_rows,
            "encoded_columns": len(state.encoder.columns),
            **{f"threshold_{d}": float(t) for d, t in state.thresholds.items()},
            **{f"expected_rate_{d}": float(r) for d, r in state.expected_rates.items()},
        }
    )


@model_day_asset(
    key=k.OUTLIERS,
    group=k.GROUP_OUTLIERS,
    deps=[k.DATA_QUALITY, dg.AssetDep(k.OUTLIER_DETECTOR, partition_mapping=BY_MODEL)],
    kinds=("duckdb", "python", "scikit-learn"),
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset=k.OUTLIERS,
            description="The day's outlier rate against the configured multiples of the "
            "rate expected from the reference.",
        )
    ],
    description="Every row of the day scored by the fitted detectors; the outlier rate per "
    "detector and overall (family 'outliers') and the flagged rows with their score and "
    "extreme features (table outlier_rows), replaced together.",
)
def outliers(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    if not cfg.outliers.enabled:
        return dg.MaterializeResult(
            metadata={"enabled": False},
            check_results=[dg.AssetCheckResult(check_name=CHECK, passed=True)],
        )
    with monitoring.connect() as con:
        state = load_detector(con, model)
        if state is None:
            raise dg.Failure(f"no outlier detector for {model}: run {k.REFERENCE_JOB}")
        result = detect_outliers(cfg, state, day_features(con, cfg, day))
        with transaction(con):
            replace_outlier_rows(con, model, day, result.flagged)
            replace_metrics(
                con, model=model, day=day, family=FAMILY, metrics=result.metrics,
                run_id=context.run_id,
            )  # fmt: skip
    rate = result.metric("outlier_rate") or Metric("outlier_rate", None)
    return dg.MaterializeResult(
        metadata={
            **headline(result.metrics),
            "detectors": dg.MetadataValue.md(_detectors_table(result)),
            "flagged_rows": dg.MetadataValue.md(_flagged_table(result)),
        },
        check_results=[_rate_check(rate, result)],
    )


def _rate_check(rate: Metric, result: OutlierDay) -> dg.AssetCheckResult:
    check = metric_check(CHECK, rate)
    expected = result.metric("expected_outlier_rate")
    return dg.AssetCheckResult(
        check_name=CHECK,
        passed=check.passed,
        severity=check.severity,
        metadata={
            "rate": check.metadata["value"],
            "expected_rate": float(expected.value) if expected else float("nan"),
            "limit": check.metadata["upper"],
            "status": rate.status,
        },
    )


def _detectors_table(result: OutlierDay) -> str:
    lines = ["| detector | outlier rows | rate | expected | alert above | status |",
             "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for m in result.metrics:
        if m.metric != "outlier_rate":
            continue
        rows = result.metric("outlier_rows", m.subject)
        expected = result.metric("expected_outlier_rate", m.subject)
        name = m.subject.removeprefix("detector=") or "any"
        lines.append(
            f"| {name} | {rows.value:.0f} | {_pct(m.value)} | {_pct(expected.value)} | "
            f"{_pct(m.upper)} | {m.status} |"
        )
    return "\n".join(lines)


def _flagged_table(result: OutlierDay, limit: int = 20) -> str:
    top = result.flagged.sort_values("score", ascending=False).head(limit)
    lines = ["| prediction id | detector | score | threshold | extreme features |",
             "|---|---|---:|---:|---|"]  # fmt: skip
    for r in top.itertuples():
        lines.append(
            f"| {r.prediction_id} | {r.detector} | {r.score:.3g} | {r.threshold:.3g} | "
            f"{r.extreme_features} |"
        )
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f} %"
