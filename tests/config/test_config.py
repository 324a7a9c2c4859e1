"""Model config files: short when defaults fit, errors that name the file and the field."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

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


def test_a_file_is_parsed_once_per_content_and_an_edit_applies_at_once(tmp_path):
    unnamed = {k: v for k, v in TOY_CONFIG.items() if k != "name"}
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(unnamed))
    first = load_model_config(f)
    assert load_model_config(f) is first  # the same bytes: the same config, which is frozen
    with pytest.raises(ValidationError):
        first.name = "other"
    f.write_text(yaml.safe_dump({**unnamed, "retraining": {"cooldown_days": 2}}))
    edited = load_model_config(f)  # whatever the size or the clock: the bytes differ
    assert edited is not first and edited.retraining.cooldown_days == 2
    twin = tmp_path / "twin.yaml"  # the same bytes under another name: named by its file
    twin.write_text(yaml.safe_dump(unnamed))
    assert (load_model_config(twin).name, first.name) == ("twin", "m")
    f.write_text("name: [unclosed")  # a broken edit fails every time, never served stale
    for _ in range(2):
        with pytest.raises(ConfigError, match="cannot read YAML"):
            load_model_config(f)
    f.write_bytes(b"task: \xff\xfe")
    with pytest.raises(ConfigError, match="m.yaml: cannot read YAML"):
        load_model_config(f)
