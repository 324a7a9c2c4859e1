"""Toy stores for the fairness tests: a day of predictions with chosen groups, and labels for
some of them, ingested into the home's own DuckDB file."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import yaml

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.paths import ProjectPaths
from tests.conftest import TOY_CONFIG, toy_frame, write_day


def toy_config(home: ProjectPaths, **fairness) -> ModelConfig:
    """The toy binary model with sensitive columns ``group`` and ``color`` (fairness
    settings overridden by ``fairness``), its config file written to ``home``."""
    raw = {**TOY_CONFIG, "sensitive": ["group", "color"], "fairness": fairness}
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(raw))
    return ModelConfig.model_validate(raw)


def grouped_day(day: date, sizes: dict[str, int], seed: int = 0) -> pd.DataFrame:
    """A toy day whose ``group`` column has ``sizes`` rows per group (in blocks)."""
    frame = toy_frame(day, n=sum(sizes.values()), seed=seed)
    frame["group"] = np.repeat(list(sizes), list(sizes.values()))
    return frame


def store_day(
    home: ProjectPaths,
    con,
    cfg: ModelConfig,
    frame: pd.DataFrame,
    day: date,
    labels: pd.Series,
    name: str = "labels",
) -> None:
    """Ingest ``frame`` as ``day``'s log and ``labels`` (index: row positions with a label)
    as a label file, then join them."""
    write_day(home, day, frame)
    ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, day)
    path = home.home / "landing/toy/labels" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "prediction_id": frame["prediction_id"].iloc[labels.index].to_numpy(),
            "label": labels.to_numpy(),
            "label_timestamp": pd.Timestamp(day) + pd.Timedelta(days=3),
        }
    ).to_parquet(path)
    sync_label_files(con, cfg, home.resolve(cfg.labels.path), home.quarantine_dir)
    build_ground_truth(con, cfg, day)


def noisy_labels(frame: pd.DataFrame, share: float, seed: int = 1) -> pd.Series:
    """Labels drawn from the scores for the first ``share`` of rows in a random order."""
    rng = np.random.default_rng(seed)
    take = np.sort(rng.permutation(len(frame))[: int(share * len(frame))])
    y = (rng.uniform(size=len(take)) < frame["score"].to_numpy()[take]).astype(int)
    return pd.Series(y, index=take)


def demo_store(home, models: list[str], rows_per_day: int):
    """(connection, configs, manifest, days) of a demo home whose every day is ingested and
    joined with the labels that arrived by the end of the demo (no Dagster)."""
    from datetime import timedelta

    from monitoring_pipelines.config import load_model_configs
    from monitoring_pipelines.demo import demo_home
    from monitoring_pipelines.store.connection import connect

    paths, manifest = demo_home(home, models=models, rows_per_day=rows_per_day)
    cfgs = load_model_configs(paths.config_dir)
    con = connect(paths.database)
    first = date.fromisoformat(manifest["first_day"])
    days = [first + timedelta(days=i) for i in range(manifest["days"])]
    for m in models:
        cfg = cfgs[m]
        for d in days:
            ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, d)
        sync_label_files(con, cfg, paths.resolve(cfg.labels.path), paths.quarantine_dir)
        for d in days:
            build_ground_truth(con, cfg, d)
    return con, cfgs, manifest, days
