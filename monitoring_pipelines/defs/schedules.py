"""The daily run: yesterday's partition of every model, once the day is complete."""

from datetime import timedelta

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import model_day_key


@dg.schedule(
    cron_schedule="0 6 * * *",
    job_name=k.MONITOR_JOB,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="06:00 UTC: monitor yesterday for every model.",
)
def daily_monitoring_schedule(context: dg.ScheduleEvaluationContext):
    day = (context.scheduled_execution_time - timedelta(days=1)).date()
    models = context.instance.get_dynamic_partitions(k.MODEL_DIM)
    if not models:
        return dg.SkipReason("no models registered yet (model_config_sensor adds them)")
    return [
        dg.RunRequest(
            run_key=f"daily:{m}:{day}",
            partition_key=model_day_key(m, day),
            tags={"model": m, "day": str(day)},
        )
        for m in sorted(models)
    ]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(schedules=[daily_monitoring_schedule])
