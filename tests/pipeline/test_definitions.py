"""The code location loads, validates, and follows the project's conventions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitoring_pipelines import constants as k
from monitoring_pipelines.runner import load_definitions

REPO = Path(__file__).resolve().parents[2]


def test_dagster_definitions_validate_passes(tmp_path):
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), MONITORING_HOME=str(REPO))
    bin_dir = Path(sys.executable).parent
    out = subprocess.run(
        [str(bin_dir / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Validation successful" in out.stderr + out.stdout


def test_assets_have_groups_kinds_descriptions_and_writers_the_duckdb_pool(demo_configs):
    defs = load_definitions(demo_configs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        k.PREDICTIONS,
        k.GROUND_TRUTH,
        k.DATA_QUALITY,
        k.SERVICE_HEALTH,
        k.FEATURE_PROFILE,
        k.REFERENCE_DATA,
        k.FEATURE_DRIFT,
        k.ESTIMATED_PERFORMANCE,
        k.REALIZED_PERFORMANCE,
        k.SEGMENT_PERFORMANCE,
        k.WORST_SLICES,
        k.FAIRNESS,
        k.OUTLIER_DETECTOR,
        k.OUTLIERS,
        k.REVIEW_QUEUE,
        k.MODEL_HEALTH,
        k.DAILY_REPORT,
        k.MODEL_REGISTRY,
    } <= keys
    for spec in defs.resolve_all_asset_specs():
        assert spec.group_name in [k.GROUP_REFERENCE, k.GROUP_RETRAINING, *k.DAILY_GROUPS], spec.key
        assert spec.description and len(spec.description) > 40, spec.key
        assert "duckdb" in spec.kinds, spec.key
    for node in graph.asset_nodes:
        assert node.pools == {k.POOL}, node.key
    check_names = {c.name for c in graph.asset_check_keys}
    assert {
        "check_critical_expectations",
        "check_warning_expectations",
        "check_volume",
        "check_freshness",
        "check_schema_unchanged",
        "check_feature_drift",
        "check_estimated_performance",
        "check_realized_performance",
        "check_segment_performance",
        "check_worst_slices",
        "check_fairness",
        "check_outlier_rate",
        "check_review_capacity",
        "check_model_health",
    } <= check_names
    sensors = {s.name for s in defs.sensors}
    assert {"retraining_sensor", "alert_on_run_failure", "late_labels_sensor"} <= sensors
    assert defs.resolve_job_def(k.RETRAIN_JOB).partitions_def is not None
    blocking = {c.name for c in graph.asset_check_keys if graph.get_check_spec(c).blocking}
    assert blocking == {"check_critical_expectations"}
