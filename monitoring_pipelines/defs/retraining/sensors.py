"""The retraining sensor: a critical verdict whose breach is a retraining trigger launches
retrain_model_job for that model.

It reads the verdicts from Dagster's event log (model_health materializations and their
``retrain_breach`` metadata), never from DuckDB, so it cannot contend with a run for the store.
One run per (model, day, breach) through the run_key; a cool-down in data days since the last
retraining's trigger day; never a second retraining of a model while one is queued or running;
the cursor (the last event log id read) is advanced in the same result as the run requests."""

from datetime import date

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import MODEL_DAYS
from monitoring_pipelines.defs.resources import MonitoringResource

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
MODEL_TAG, DAY_TAG, BREACH_TAG = "monitoring/model", "monitoring/day", "monitoring/breach"
BATCH = 1000


def parse_model_day(key: str) -> tuple[str, str]:
    """(model, day) of a day x model partition key string, without loading the dynamic
    partitions (a sensor ticked outside the daemon has no partition loading context)."""
    parts = dict(zip(MODEL_DAYS.partition_dimension_names, key.split("|"), strict=True))
    return parts[k.MODEL_DIM], parts[k.DAY_DIM]


def retrain_request(model: str, day: str, breach: str, trigger: str) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"retrain:{model}:{day}:{breach}",
        partition_key=model,
        run_config={"ops": {k.MODEL_REGISTRY: {"config": {"day": day, "breach": breach}}}},
        tags={MODEL_TAG: model, DAY_TAG: day, BREACH_TAG: breach, "trigger": trigger},
    )


def _retrain_runs(instance: dg.DagsterInstance, model: str, statuses=None):
    return instance.get_runs(
        filters=dg.RunsFilter(job_name=k.RETRAIN_JOB, tags={MODEL_TAG: model}, statuses=statuses)
    )


def _last_trigger_day(instance: dg.DagsterInstance, model: str) -> date | None:
    days = [
        date.fromisoformat(r.tags[DAY_TAG])
        for r in _retrain_runs(instance, model)
        if r.tags.get(DAY_TAG) and r.status != dg.DagsterRunStatus.FAILURE
    ]
    return max(days) if days else None


@dg.sensor(
    name="retraining_sensor",
    job_name=k.RETRAIN_JOB,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches retrain_model_job when a day's verdict is critical for a cause in "
    "the model's retraining.triggers: one run per model, day and breach; cool-down of "
    "retraining.cooldown_days data days; never two retrainings of one model in flight.",
)
def retraining_sensor(
    context: dg.SensorEvaluationContext, monitoring: MonitoringResource
) -> dg.SensorResult:
    after = int(context.cursor) if context.cursor else None
    result = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(k.MODEL_HEALTH), after_storage_id=after),
        limit=BATCH,
        ascending=True,
    )
    cursor = after
    requests: list[dg.RunRequest] = []
    skipped: list[str] = []
    requested: set[str] = set()
    for record in result.records:
        cursor = record.storage_id
        mat = record.asset_materialization
        if mat is None or mat.partition is None:
            continue
        breach_md = mat.metadata.get("retrain_breach")
        breach = breach_md.value if breach_md is not None else ""
        if not breach:
            continue
        model, day = parse_model_day(str(mat.partition))
        try:
            cfg = monitoring.model(model)
        except Exception as e:  # a model whose config went away: skip, do not lose the tick
            skipped.append(f"{model} {day}: {e}")
            continue
        if not cfg.retraining.enabled:
            continue
        if model in requested or _retrain_runs(context.instance, model, IN_FLIGHT):
            skipped.append(f"{model} {day}: a retraining is already in flight")
            continue
        last = _last_trigger_day(context.instance, model)
        if (
            last is not None
            and (date.fromisoformat(day) - last).days < cfg.retraining.cooldown_days
        ):
            skipped.append(f"{model} {day}: cool-down since the retraining of {last}")
            continue
        requests.append(retrain_request(model, day, breach, "sensor"))
        requested.add(model)
    for line in skipped:
        context.log.info(line)
    return dg.SensorResult(
        run_requests=requests,
        cursor=None if cursor is None else str(cursor),
        skip_reason=None if requests else dg.SkipReason("; ".join(skipped) or "no new breach"),
    )
