"""Raw material: the reference data, each day's prediction logs and the labels that join them."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset
from monitoring_pipelines.defs.partitions import MODELS, split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import (
    fingerprint,
    load_reference,
    reference_source,
    stored_fingerprint,
)


def _failure(err: IngestionError) -> dg.Failure:
    return dg.Failure(
        description=f"quarantined {err.kind} file: {err}",
        metadata={"file": err.file, "column": err.column or "", "reason": err.reason},
    )


@dg.asset(
    key=k.REFERENCE_DATA,
    partitions_def=MODELS,
    group_name=k.GROUP_REFERENCE,
    kinds={"duckdb", "python"},
    pool=k.POOL,
    deps=[k.MODEL_REGISTRY],
    output_required=False,
    description="The model's reference (training) data, loaded into reference__<model>: the "
    "configured reference file, or once a retrained version is promoted, what that champion "
    "was trained on (its rows scored by it). Drift, estimated performance, outliers and the "
    "starter quality suite are measured against it. In a retraining run whose challenger was "
    "not promoted the reference is unchanged: it is not reloaded and nothing downstream is "
    "refitted (those steps are skipped).",
)
def reference_data(context: dg.AssetExecutionContext, monitoring: MonitoringResource):
    cfg = monitoring.model(context.partition_key)
    with monitoring.connect() as con:
        configured = monitoring.paths.resolve(cfg.reference.path)
        cfg, path, version = reference_source(con, cfg, configured)
        if (
            _retraining_run(context)
            and path.exists()
            and stored_fingerprint(con, cfg.name) == fingerprint(cfg, path)
        ):
            context.log.info(
                f"{cfg.name}: the reference ({path}) is unchanged by this retraining: "
                "not reloaded, nothing downstream refitted"
            )
            return
        try:
            rows = load_reference(con, cfg, path)
        except IngestionError as err:
            raise _failure(err) from None
    yield dg.MaterializeResult(
        metadata={
            "rows": rows,
            "path": dg.MetadataValue.path(str(path)),
            "champion_version": version or "as configured",
            "fingerprint": fingerprint(cfg, path),
        }
    )


def _retraining_run(context: dg.AssetExecutionContext) -> bool:
    """Whether this run also retrains the model (the retraining job, or any run selecting
    model_registry): then an unchanged reference need not be reloaded."""
    if context.job_name == k.RETRAIN_JOB:
        return True
    selection = context.run.asset_selection or set()
    return dg.AssetKey(k.MODEL_REGISTRY) in selection


@model_day_asset(
    key=k.PREDICTIONS,
    group=k.GROUP_INGESTION,
    check_specs=[
        dg.AssetCheckSpec(
            "check_schema_unchanged",
            asset=k.PREDICTIONS,
            description="Warns when the day's logs add, miss or retype a declared column.",
        )
    ],
    description="One day of a model's prediction log, validated and stored in "
    "predictions__<model> (the day replaced atomically). A bad file is quarantined with an "
    "error naming file, column and reason; the day's stored rows stay untouched.",
)
def predictions(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    p = monitoring.paths
    with monitoring.connect() as con:
        try:
            res = ingest_predictions(
                con, cfg, p.resolve(cfg.logs.path), p.quarantine_dir, day, run_id=context.run_id
            )
        except IngestionError as err:
            raise _failure(err) from None
    if res.kept_previous:
        context.log.warning(f"no log file for {model} on {day}; kept {res.rows} stored rows")
    table = "\n".join(
        f"| `{c.column}` | {c.change} | {c.expected or ''} | {c.observed or ''} |"
        for c in res.schema_changes
    )
    changes_md = "| column | change | expected | observed |\n|---|---|---|---|\n" + table
    return dg.MaterializeResult(
        metadata={
            "rows": res.rows,
            "files": len(res.files),
            "schema_changes": len(res.schema_changes),
            "no_file_landed": res.kept_previous,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="check_schema_unchanged",
                passed=not res.schema_changes,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"changes": dg.MetadataValue.md(changes_md) if table else "none"},
            )
        ],
    )


@model_day_asset(
    key=k.GROUND_TRUTH,
    group=k.GROUP_INGESTION,
    deps=[k.PREDICTIONS],
    description="Labels joined to the day's predictions by prediction id (labels land late, "
    "for any day). Ingests new label files first; tracks label coverage and delay. The "
    "late_labels_sensor re-materializes old days (and their downstream) when labels arrive.",
)
def ground_truth(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    cfg = monitoring.model(model)
    if cfg.labels is None:
        return dg.MaterializeResult(metadata={"label_coverage": 0.0, "labels_configured": False})
    p = monitoring.paths
    with monitoring.connect() as con:
        synced = sync_label_files(con, cfg, p.resolve(cfg.labels.path), p.quarantine_dir)
        cov = build_ground_truth(con, cfg, day, run_id=context.run_id)
    for err in synced.errors:
        context.log.error(f"quarantined label file: {err}")
    return dg.MaterializeResult(
        metadata={
            "label_coverage": float(cov.coverage),
            "labelled_rows": cov.labelled,
            "predictions": cov.predictions,
            "new_label_files": len(synced.files),
            "rejected_label_files": len(synced.errors),
            "label_delay_p50_days": float(cov.delay_p50_days or 0.0),
        }
    )
