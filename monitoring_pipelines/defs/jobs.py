"""Jobs, selected by group and key names from constants (no asset imports)."""

from __future__ import annotations

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import MODEL_DAYS, MODELS

monitor_job = dg.define_asset_job(
    k.MONITOR_JOB,
    selection=dg.AssetSelection.groups(*k.DAILY_GROUPS),
    partitions_def=MODEL_DAYS,
    description="Everything for one model's day: ingest, labels, quality, health, profile, and "
    "every vital sign downstream.",
)
reference_job = dg.define_asset_job(
    k.REFERENCE_JOB,
    selection=dg.AssetSelection.groups(k.GROUP_REFERENCE),
    partitions_def=MODELS,
    description="(Re)load a model's reference data and what is fitted on it.",
)
refresh_labels_job = dg.define_asset_job(
    k.REFRESH_LABELS_JOB,
    selection=dg.AssetSelection.assets(k.GROUND_TRUTH).downstream(),
    partitions_def=MODEL_DAYS,
    description="Re-join labels for a past day and re-compute everything that uses them.",
)

retrain_job = dg.define_asset_job(
    k.RETRAIN_JOB,
    selection=dg.AssetSelection.assets(k.MODEL_REGISTRY)
    | dg.AssetSelection.groups(k.GROUP_REFERENCE),
    partitions_def=MODELS,
    description="Retrain a model (train a challenger, judge it against the champion, register "
    "it, promote it if better), then refit what is fitted on the reference, so a promoted "
    "version is monitored against what it learned from. Launched by retraining_sensor, from "
    "the launchpad (partition = model; config: day, breach) or `monitoring-pipelines retrain`.",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(jobs=[monitor_job, reference_job, refresh_labels_job, retrain_job])
