"""The retraining job through Dagster: a challenger that is not promoted leaves the reference
as it is (not reloaded, nothing refitted: the reference steps are skipped); a promoted one
gets its reference loaded and everything on it refitted in the same run."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.config.loader import load_model_config
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.retraining import registry
from monitoring_pipelines.runner import load_definitions
from monitoring_pipelines.store.connection import connect
from tests.performance.conftest import demo_store

REFERENCE_STEPS = {
    k.REFERENCE_DATA,
    k.REFERENCE_PROFILE,
    k.OUTLIER_DETECTOR,
    k.PERFORMANCE_ESTIMATOR,
    k.SLICE_BASELINES,
}


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _loaded_at(paths) -> str:
    con = connect(paths.database, read_only=True)
    try:
        return str(
            con.execute("SELECT loaded_at FROM reference_state WHERE model = 'intent'").fetchone()
        )
    finally:
        con.close()


@pytest.mark.parametrize("trainer", ["tests.retraining.trainers:majority", None])
def test_reference_is_refitted_only_when_the_challenger_is_promoted(tmp_path, trainer):
    con, cfgs, manifest, days = demo_store(tmp_path, ["intent"], rows_per_day=600)
    paths = ProjectPaths.at(tmp_path)
    config = paths.config_dir / "intent.yaml"
    raw = yaml.safe_load(config.read_text())
    raw.setdefault("retraining", {})["trainer"] = trainer
    config.write_text(yaml.safe_dump(raw))
    # the reference as loaded under this config (a config change alone is a new reference)
    cfg = load_model_config(config)
    load_reference(con, cfg, paths.resolve(cfg.reference.path))
    con.close()
    before = _loaded_at(paths)

    defs = load_definitions(paths)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(k.MODEL_DIM, ["intent"])
    job = defs.resolve_job_def(k.RETRAIN_JOB)
    result = job.execute_in_process(
        partition_key="intent",
        run_config={"ops": {k.MODEL_REGISTRY: {"config": {"day": str(days[-6]), "breach": "t"}}}},
        instance=instance,
    )
    assert result.success
    con = connect(paths.database, read_only=True)
    try:
        (entry,) = [e for e in registry.entries(con, "intent") if e["run_id"] == result.run_id]
    finally:
        con.close()
    if trainer:  # the majority class never wins: nothing about the reference changes
        assert not entry["promoted"]
        assert _materialized(result) == {k.MODEL_REGISTRY}
        skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
        assert skipped == REFERENCE_STEPS - {k.REFERENCE_DATA}
        assert _loaded_at(paths) == before
    else:
        assert entry["promoted"], entry["reason"]
        assert _materialized(result) == {k.MODEL_REGISTRY} | REFERENCE_STEPS
        assert _loaded_at(paths) != before
