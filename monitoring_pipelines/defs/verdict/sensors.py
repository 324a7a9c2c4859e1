"""Alert on failed runs."""

import dagster as dg

from monitoring_pipelines.defs.resources import NotifierResource


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends an alert through the notifier for every failed run.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, notifier: NotifierResource) -> None:
    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    notifier.notifier().send(
        "run_failed",
        {"run_id": run.run_id, "job": run.job_name, "tags": dict(run.tags)},
        f"run {run.run_id} of {run.job_name} failed: {message}",
    )
