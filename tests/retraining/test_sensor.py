"""retraining_sensor with build_sensor_context: one request per breach, none on the next tick,
a cool-down in data days, never two retrainings of a model in flight."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.defs.retraining.sensors import retraining_sensor


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def verdict(instance, day: str, breach: str, model: str = "toy") -> None:
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=k.MODEL_HEALTH,
            partition=str(model_day_key(model, day)),
            metadata={"retrain_breach": breach, "verdict": "critical" if breach else "ok"},
        )
    )


def tick(instance, home, cursor):
    ctx = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"monitoring": MonitoringResource.from_paths(home)},
    )
    result = retraining_sensor(ctx)
    return result.run_requests or [], result.cursor


def launched(instance, request, status=dg.DagsterRunStatus.SUCCESS):
    """Record the requested run as the daemon would have launched it."""
    create_run_for_test(
        instance,
        job_name=k.RETRAIN_JOB,
        tags={**request.tags, "dagster/run_key": request.run_key},
        status=status,
    )


def test_one_breach_one_request_then_none_and_cooldown(instance, home, toy):
    verdict(instance, "2026-03-01", "")  # an ok day: nothing
    verdict(instance, "2026-03-02", "drift")
    requests, cursor = tick(instance, home, None)
    assert len(requests) == 1
    req = requests[0]
    assert req.partition_key == "toy"
    assert req.run_key == "retrain:toy:2026-03-02:drift"
    assert req.run_config["ops"][k.MODEL_REGISTRY]["config"] == {
        "day": "2026-03-02",
        "breach": "drift",
    }
    launched(instance, req)
    # the same breach on the next tick: nothing new read, nothing requested
    assert tick(instance, home, cursor)[0] == []
    # the breach goes on the next days, inside the 7-day cool-down: no request
    for d in ("2026-03-03", "2026-03-08"):
        verdict(instance, d, "drift")
    requests, cursor = tick(instance, home, cursor)
    assert requests == []
    # after the cool-down (7 data days after 03-02): one request
    verdict(instance, "2026-03-09", "drift+performance")
    requests, cursor = tick(instance, home, cursor)
    assert [r.run_key for r in requests] == ["retrain:toy:2026-03-09:drift+performance"]


def test_no_second_retraining_while_one_is_in_flight(instance, home, toy):
    verdict(instance, "2026-03-02", "drift")
    (req,), cursor = tick(instance, home, None)
    launched(instance, req, status=dg.DagsterRunStatus.STARTED)
    verdict(instance, "2026-03-20", "performance")  # past the cool-down, but one is running
    assert tick(instance, home, cursor)[0] == []


def test_several_breaches_in_one_tick_give_one_request_per_model(instance, home, toy):
    for d in ("2026-03-02", "2026-03-03", "2026-03-04"):
        verdict(instance, d, "drift")
    requests, _ = tick(instance, home, None)
    assert [r.run_key for r in requests] == ["retrain:toy:2026-03-02:drift"]


def test_a_disabled_model_is_never_retrained(instance, home, toy):
    text = (home.config_dir / "toy.yaml").read_text()
    (home.config_dir / "toy.yaml").write_text(text + "retraining:\n  enabled: false\n")
    verdict(instance, "2026-03-02", "drift")
    assert tick(instance, home, None)[0] == []
