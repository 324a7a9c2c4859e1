"""Starter suites for the demo models, with the demo's real daily volume."""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any

from monitoring_pipelines.config import load_model_configs
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.quality.starter import write_starter_suite


def write_demo_suites(
    paths: ProjectPaths, manifest: dict[str, Any], *, overwrite: bool = True
) -> dict[str, Path]:
    """Write (or keep, unless ``overwrite``) each demo model's starter suite; returns the paths.

    The demo reference is a sample of its traffic, so the suite's row-count bounds come from
    the median daily volume the demo served (what ``volume.expected_daily_rows`` is for).
    """
    written = {}
    for name, cfg in load_model_configs(paths.config_dir).items():
        if name not in manifest["models"]:
            continue
        served = [n for n in manifest["models"][name]["rows_by_day"].values() if n]
        volume = cfg.volume.model_copy(update={"expected_daily_rows": int(median(served))})
        demo_cfg = cfg.model_copy(update={"volume": volume})
        written[name] = write_starter_suite(paths, demo_cfg, overwrite=overwrite)
    return written
