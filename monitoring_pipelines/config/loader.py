"""Load and validate model config files; errors name the file and the field."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from monitoring_pipelines.config.model_config import ModelConfig


class ConfigError(ValueError):
    """A model config file is unreadable or invalid; the message names file and field."""


_PARSED: dict[tuple[str, bytes], ModelConfig] = {}  # (path, the file's bytes) -> its config
_PARSED_MAX = 64


def load_model_config(path: Path) -> ModelConfig:
    """Read one YAML file and return the validated :class:`ModelConfig`.

    The file is read on every call, so an edit applies to the next step; parsing and
    validation (about 5 ms, and a day's run asks for the config 16 times) are done once per
    content: the same bytes at the same path give the same (immutable) config object."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from exc
    key = (str(path), data)
    if (cached := _PARSED.get(key)) is not None:
        return cached
    try:
        raw = yaml.safe_load(data.decode())
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw.setdefault("name", path.stem)
    try:
        cfg = ModelConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"{path}: field '{field}': {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.pop(next(iter(_PARSED)))  # the oldest
    _PARSED[key] = cfg
    return cfg


def load_model_configs(config_dir: Path) -> dict[str, ModelConfig]:
    """Every ``*.yaml``/``*.yml`` in ``config_dir``, by model name; names must be unique."""
    configs: dict[str, ModelConfig] = {}
    files = sorted([*Path(config_dir).glob("*.yaml"), *Path(config_dir).glob("*.yml")])
    for f in files:
        cfg = load_model_config(f)
        if cfg.name in configs:
            raise ConfigError(f"{f}: field 'name': model '{cfg.name}' is declared twice")
        configs[cfg.name] = cfg
    return configs
