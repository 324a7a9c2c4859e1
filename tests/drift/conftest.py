"""Fixtures of the drift tests."""

from __future__ import annotations

import pytest

from monitoring_pipelines.config.loader import load_model_configs
from monitoring_pipelines.demo import demo_home
from tests.drift.helpers import ingest_demo


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """(paths, manifest, configs) of a small demo whose days are all in the store."""
    paths, manifest = demo_home(tmp_path_factory.mktemp("drift_demo"))
    ingest_demo(paths, manifest)
    return paths, manifest, load_model_configs(paths.config_dir)
