"""Model configuration: one YAML file per model, validated with pydantic."""

from monitoring_pipelines.config.loader import ConfigError, load_model_config, load_model_configs
from monitoring_pipelines.config.model_config import ModelConfig, Task

__all__ = ["ConfigError", "ModelConfig", "Task", "load_model_config", "load_model_configs"]
