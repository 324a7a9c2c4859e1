"""The CLI: headless runs with usable exit codes, status, starter suites."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from monitoring_pipelines.cli import main
from tests.conftest import toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]


@pytest.fixture
def cli_home(home, toy, tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    for name in ("MONITORING_HOME", "MONITORING_DB", "MONITORING_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    write_toy_reference(home)
    for i, d in enumerate(DAYS):
        write_day(home, d, toy_frame(d, n=100, seed=i))
    return home


def _run(home, *args):
    return main(["--home", str(home.home), *args])


def test_run_then_status(cli_home, capsys):
    assert _run(cli_home, "run", "--start", str(DAYS[0]), "--end", str(DAYS[-1])) == 0
    out = capsys.readouterr().out
    assert "toy 2026-03-03" in out and "per-model summary" in out and "3 ok" in out
    assert _run(cli_home, "status", "--model", "toy") == 0
    lines = [
        ln
        for ln in capsys.readouterr().out.splitlines()
        if ln.startswith("  toy") or ln.startswith("toy")
    ]
    assert len(lines) == 3


def test_exit_code_3_for_a_blocked_day_and_1_for_unknown_model(cli_home, capsys):
    broken = toy_frame(DAYS[1], n=100, seed=1)
    broken["score"] = -broken["score"]
    write_day(cli_home, DAYS[1], broken)
    assert _run(cli_home, "run", "--start", str(DAYS[0]), "--end", str(DAYS[-1])) == 3
    assert "1 blocked by quality" in capsys.readouterr().out
    assert _run(cli_home, "run", "--models", "nope") == 2


def test_status_without_a_store_fails(cli_home):
    assert _run(cli_home, "status") == 1


def test_suggest_suite_writes_an_editable_suite(cli_home):
    assert _run(cli_home, "suggest-suite", "toy") == 0
    suite = json.loads((cli_home.expectations_dir / "toy.json").read_text())
    types = {e["type"] for e in suite["expectations"]}
    assert "expect_column_values_to_be_unique" in types or "expect_column_values_to_be_unique" in {
        e.get("expectation_type") for e in suite["expectations"]
    }
    assert _run(cli_home, "suggest-suite", "unknown") == 2


def test_invalid_config_exits_2_naming_the_file(cli_home, capsys):
    (cli_home.config_dir / "bad.yaml").write_text("task: binary\n")
    assert _run(cli_home, "run") == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_loading_the_project_and_its_retraining_sensor_warns_of_nothing(cli_home):
    """A headless run starts without Dagster's warnings: the beta partition mapping is chosen
    knowingly, and the sensor is resolved with its resources as the daemon does, not through
    ``get_sensor_def``, which warns on every call."""
    from tests.fresh_interpreter import run_fresh

    code = f"""
import warnings
from pathlib import Path
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import dagster as dg
    from monitoring_pipelines.paths import ProjectPaths
    from monitoring_pipelines.runner import RETRAINING_SENSOR, SensorTicker, load_definitions
    defs = load_definitions(ProjectPaths.at(Path({str(cli_home.home)!r})))
    ticker = SensorTicker(defs, dg.DagsterInstance.ephemeral(), RETRAINING_SENSOR)
    assert ticker.sensor.name == RETRAINING_SENSOR
for w in caught:
    if issubclass(w.category, (UserWarning, dg.BetaWarning, dg.PreviewWarning)):
        print(f"{{w.category.__name__}}: {{w.message}} ({{w.filename}}:{{w.lineno}})")
"""
    out = run_fresh(code).stdout
    assert "MultiToSingleDimensionPartitionMapping" not in out
    assert "get_sensor_def" not in out
    assert out == "", out
