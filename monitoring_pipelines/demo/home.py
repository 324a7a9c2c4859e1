"""A ready-made demo home for tests and examples, independent of the CLI."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from monitoring_pipelines.demo.generator import PROCESSES, generate_demo
from monitoring_pipelines.paths import ProjectPaths

DEMO_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "models"
"""The repository's demo model configs (``config/models``)."""

SMALL_END_DAY = dt.date(2026, 1, 31)


def demo_home(
    home: Path | str,
    *,
    end_day: dt.date = SMALL_END_DAY,
    days: int = 45,
    rows_per_day: int = 400,
    seed: int = 7,
    models: list[str] | None = None,
    config_source: Path | None = None,
) -> tuple[ProjectPaths, dict[str, Any]]:
    """Copy the demo configs into ``<home>/config/models`` and generate a (small) demo there.

    The defaults make a demo that generates in a few seconds and still holds every event.
    Returns the home's paths and the manifest.
    """
    paths = ProjectPaths.at(home)
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    source = Path(config_source) if config_source else DEMO_CONFIG_DIR
    for name in models or list(PROCESSES):
        shutil.copy2(source / f"{name}.yaml", paths.config_dir / f"{name}.yaml")
    manifest = generate_demo(
        paths, end_day=end_day, days=days, rows_per_day=rows_per_day, seed=seed, models=models
    )
    return paths, manifest
