"""Sensors that follow the landing area: new model configs and late label files."""

import json

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.config import ConfigError
from monitoring_pipelines.defs.partitions import MODELS, model_day_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.ingest.label_watch import days_touched, new_label_files


@dg.sensor(
    job_name=k.REFERENCE_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers every model config file as a 'model' partition and loads "
    "its reference data: adding a model is adding a file.",
)
def model_config_sensor(context: dg.SensorEvaluationContext, monitoring: MonitoringResource):
    try:
        configs = monitoring.models()
    except ConfigError as err:
        return dg.SkipReason(f"invalid model config: {err}")
    known = set(context.instance.get_dynamic_partitions(k.MODEL_DIM))
    new = sorted(set(configs) - known)
    if not new:
        return dg.SkipReason("no new model configs")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"reference:{m}", partition_key=m) for m in new],
        dynamic_partitions_requests=[MODELS.build_add_request(new)],
    )


@dg.sensor(
    job_name=k.REFRESH_LABELS_JOB,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When label files land, re-joins labels for the past days they touch and "
    "re-computes those days' downstream assets.",
)
def late_labels_sensor(context: dg.SensorEvaluationContext, monitoring: MonitoringResource):
    cursor = json.loads(context.cursor) if context.cursor else {}
    requests, new_cursor = [], dict(cursor)
    for name, cfg in monitoring.models().items():
        if cfg.labels is None:
            continue
        pattern = monitoring.paths.resolve(cfg.labels.path)
        files, newest = new_label_files(pattern, cursor.get(name))
        if name not in cursor:  # first sight: the daily runs pick these up anyway
            new_cursor[name] = newest
            continue
        if not files:
            continue
        try:
            days = days_touched(
                monitoring.database,
                cfg,
                files,
                cfg.labels.format,
                follow_days=max(cfg.performance.window_days - 1, 0),
            )
        except OSError as err:  # store busy (a run holds the write lock): try next tick
            return dg.SkipReason(f"store not readable now: {err}")
        for day in days:
            requests.append(
                dg.RunRequest(
                    run_key=f"labels:{name}:{day}:{newest}",
                    partition_key=model_day_key(name, day),
                    tags={"model": name, "day": str(day), "trigger": "late_labels"},
                )
            )
        new_cursor[name] = newest
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(new_cursor, sort_keys=True))


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[model_config_sensor, late_labels_sensor])
