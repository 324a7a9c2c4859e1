"""Shared fixtures: a throwaway monitoring home per test, with its own DuckDB file."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import connect

REPO = Path(__file__).resolve().parent.parent

TOY_CONFIG = {
    "name": "toy",
    "task": "binary",
    "logs": {"path": "landing/toy/{day}.parquet"},
    "labels": {"path": "landing/toy/labels/*.parquet"},
    "reference": {"path": "reference/toy.parquet"},
    "features": {"numeric": ["x1", "x2"], "categorical": ["color"]},
    "segments": ["color"],
    "sensitive": ["group"],
}


@pytest.fixture(autouse=True)
def _no_stale_defs_state_storage():
    """Each test starts without the defs-state storage of a DagsterInstance an earlier test
    entered (Dagster keeps it in a context variable; once that instance is gone, building
    Definitions, e.g. in ``dg.materialize``, fails with 'undefined DagsterInstance weakref')."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(None):
        yield


@pytest.fixture
def home(tmp_path: Path) -> ProjectPaths:
    """An empty monitoring home under tmp_path (config dir created, no models)."""
    paths = ProjectPaths.at(tmp_path)
    paths.config_dir.mkdir(parents=True)
    paths.expectations_dir.mkdir(parents=True)
    return paths


@pytest.fixture
def toy(home: ProjectPaths) -> ModelConfig:
    """A small binary model 'toy' registered in ``home``."""
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(TOY_CONFIG))
    return ModelConfig.model_validate(TOY_CONFIG)


def toy_frame(day: date, n: int = 200, seed: int = 0, id_prefix: str | None = None) -> pd.DataFrame:
    """A day of toy prediction logs with unique ids."""
    rng = np.random.default_rng(seed)
    start = datetime.combine(day, datetime.min.time())
    score = rng.uniform(0, 1, n)
    prefix = id_prefix or f"toy-{day.isoformat()}"
    return pd.DataFrame(
        {
            "prediction_id": [f"{prefix}-{i}" for i in range(n)],
            "timestamp": [start + timedelta(seconds=int(s)) for s in rng.integers(0, 86399, n)],
            "prediction": (score > 0.5).astype(int),
            "score": score,
            "model_version": "1.0",
            "latency_ms": rng.lognormal(3, 0.3, n),
            "error": None,
            "x1": rng.normal(0, 1, n),
            "x2": rng.normal(5, 2, n),
            "color": rng.choice(["red", "green", "blue"], n),
            "group": rng.choice(["a", "b"], n),
        }
    )


def write_day(home: ProjectPaths, day: date, frame: pd.DataFrame, fmt: str = "parquet") -> Path:
    """Write a toy log file for ``day`` where the toy config expects it."""
    path = home.home / "landing" / "toy" / f"{day.isoformat()}.{fmt}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    return path


@pytest.fixture
def con(home: ProjectPaths):
    """A connection to the home's own DuckDB file (one file per test)."""
    c = connect(home.database)
    c.execute("SET TimeZone = 'UTC'")
    yield c
    c.close()


@pytest.fixture
def demo_configs(home: ProjectPaths) -> ProjectPaths:
    """``home`` with the repository's demo model configs copied in."""
    for f in (REPO / "config" / "models").glob("*.yaml"):
        shutil.copy(f, home.config_dir / f.name)
    return home


def write_toy_reference(home: ProjectPaths, n: int = 3000, days: int = 30) -> Path:
    """Reference data for 'toy' spanning ``days`` days before the monitored period."""
    frames = [
        toy_frame(date(2026, 1, 1) + timedelta(days=i), n=n // days, seed=100 + i)
        for i in range(days)
    ]
    ref = pd.concat(frames, ignore_index=True)
    ref["label"] = (np.random.default_rng(1).uniform(size=len(ref)) < ref["score"]).astype(int)
    path = home.home / "reference" / "toy.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    ref.to_parquet(path, index=False)
    return path
