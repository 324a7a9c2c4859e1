"""The reference profile (per model) and each day's drift against it."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import headline, metric_check, model_day_asset, write_family
from monitoring_pipelines.defs.partitions import BY_MODEL, MODELS, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.drift.daily import daily_drift, day_version
from monitoring_pipelines.drift.reference import fit_profile, load_profile, save_profile
from monitoring_pipelines.report.metadata import drift_chart, markdown_image
from monitoring_pipelines.retraining.retrain import champion_artifact
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.metrics import Metric

REFERENCE_PROFILE = k.REFERENCE_PROFILE
FEATURE_DRIFT = k.FEATURE_DRIFT
# check name -> the headline drift metric it judges
DRIFT_CHECKS = {
    "check_feature_drift": "drifted_share",
    "check_output_drift": "output_drift",
    "check_target_drift": "target_drift",
    "check_multivariate_drift": "domain_auroc",
}


@dg.asset(
    key=REFERENCE_PROFILE,
    partitions_def=MODELS,
    group_name=k.GROUP_REFERENCE,
    deps=[k.REFERENCE_DATA],
    kinds={"duckdb", "python"},
    pool=k.POOL,
    description="What drift is measured against, fitted once per model and model version: "
    "bin edges at the reference quantiles, category frequencies, feature importances "
    "(permutation importance of the saved model, else of a surrogate) and the multivariate "
    "detectors' state. Stored as JSON in drift_reference_profile.",
)
def reference_profile(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    cfg = monitoring.model(context.partition_key)
    with monitoring.connect() as con:
        model_path = champion_artifact(con, cfg, monitoring.paths.home)
        profile = fit_profile(con, cfg, model_path)
        with transaction(con):
            save_profile(con, profile)
    ranked = sorted(profile["importance"].items(), key=lambda kv: -kv[1])
    table = "| feature | importance share |\n|---|---|\n" + "\n".join(
        f"| `{f}` | {v:.3f} |" for f, v in ranked
    )
    return dg.MaterializeResult(
        metadata={
            "model_version": profile["model_version"],
            "rows": profile["rows"],
            "importance_method": profile["importance_method"],
            "importance": dg.MetadataValue.md(table),
        }
    )


def _check(name: str, metric: Metric | None) -> dg.AssetCheckResult:
    if metric is None:
        return dg.AssetCheckResult(
            check_name=name, passed=True, metadata={"status": "not measured on this day"}
        )
    return metric_check(name, metric)


@model_day_asset(
    key=FEATURE_DRIFT,
    group=k.GROUP_DRIFT,
    deps=[
        k.DATA_QUALITY,
        k.GROUND_TRUTH,
        dg.AssetDep(REFERENCE_PROFILE, partition_mapping=BY_MODEL),
    ],
    check_specs=[
        dg.AssetCheckSpec(name, asset=FEATURE_DRIFT, description=f"Config thresholds on {m}.")
        for name, m in DRIFT_CHECKS.items()
    ],
    description="Each feature, the model's outputs and the labels known so far against the "
    "reference profile: KS / chi-squared (corrected for many tests), PSI, Jensen-Shannon, "
    "normalized Wasserstein, unseen/vanished categories; importance-weighted drift; domain "
    "classifier AUROC and PCA reconstruction error; concept drift where labels exist; skew on "
    "the first production days; the trailing window if configured. An alert needs significance "
    "and a large effect. Written to metrics (family 'drift', subject = feature).",
)
def feature_drift(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    if not cfg.drift.enabled:
        return dg.MaterializeResult(
            metadata={"enabled": False},
            check_results=[_check(name, None) for name in DRIFT_CHECKS],
        )
    with monitoring.connect() as con:
        profile = load_profile(con, model, day_version(con, cfg, day))
        if profile is None:
            raise dg.Failure(f"no reference profile for {model}: run {k.REFERENCE_JOB} first")
        result, metrics = daily_drift(con, cfg, profile, day)
    write_family(context, monitoring, model=model, day=day, family="drift", metrics=metrics)
    by_name = {m.metric: m for m in metrics if not m.subject}
    with monitoring.connect() as con:
        chart = drift_chart(con, model, day)
    plots = (
        {"drift_by_feature": dg.MetadataValue.md(markdown_image(chart, "drift"))} if chart else {}
    )
    return dg.MaterializeResult(
        metadata={
            **headline(metrics),
            "most_drifted": dg.MetadataValue.md(result.table()),
            **plots,
        },
        check_results=[_check(name, by_name.get(m)) for name, m in DRIFT_CHECKS.items()],
    )
