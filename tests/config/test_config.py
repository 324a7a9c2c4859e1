"""Model config files: short when defaults fit, errors that name the file and the field."""

from __future__ import annotations

import pytest
import yaml

from monitoring_pipelines.config import ConfigError, Task, load_model_config, load_model_configs
from tests.conftest import REPO, TOY_CONFIG


def test_demo_configs_are_valid():
    configs = load_model_configs(REPO / "config" / "models")
    assert {c.task for c in configs.values()} == {Task.binary, Task.regression, Task.multiclass}


def test_minimal_file_gets_defaults(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(
        yaml.safe_dump(
            {
                "task": "binary",
                "logs": {"path": "in/{day}.csv"},
                "reference": {"path": "r.parquet"},
                "features": {"numeric": ["a"]},
            }
        )
    )
    cfg = load_model_config(f)
    assert cfg.name == "tiny" and cfg.columns.score == "score"
    assert cfg.thresholds.health.max_failed_rate == 0.02 and cfg.retraining.cooldown_days == 7


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"task": "ranking"}, "task"),
        ({"logs": {"path": "no-placeholder.parquet"}}, "logs.path"),
        ({"thresholds": {"health": {"max_failed_rate": 3}}}, "thresholds.health.max_failed_rate"),
        ({"actions": {"hard": 0.4, "soft": 0.7}}, "actions"),
        ({"name": "Bad Name"}, "name"),
        ({"featurez": {}}, "featurez"),
        ({"retraining": {"trainer": "not a function"}}, "retraining.trainer"),
        ({"features": {"numeric": ["Age", "age"]}}, "(top level)"),
        ({"features": {"numeric": ["_day"]}}, "(top level)"),
        ({"features": {"numeric": ["SCORE"]}}, "(top level)"),
    ],
)
def test_invalid_file_names_file_and_field(tmp_path, patch, field):
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump({**TOY_CONFIG, **patch}))
    with pytest.raises(ConfigError) as info:
        load_model_config(f)
    assert str(f) in str(info.value) and f"field '{field}'" in str(info.value)


def test_unreadable_yaml_and_duplicate_names(tmp_path):
    (tmp_path / "a.yaml").write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="a.yaml: cannot read YAML"):
        load_model_configs(tmp_path)
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(TOY_CONFIG))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(TOY_CONFIG))
    with pytest.raises(ConfigError, match="declared twice"):
        load_model_configs(tmp_path)
