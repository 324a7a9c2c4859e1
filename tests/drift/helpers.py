"""Helpers of the drift tests: the demo store ingested without Dagster, toy models."""

from __future__ import annotations

from datetime import date, timedelta

from monitoring_pipelines.config.loader import load_model_configs
from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.ingest.labels import build_ground_truth, sync_label_files
from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.ingest.reference import load_reference
from monitoring_pipelines.store.connection import connect


def ingest_demo(paths, manifest) -> None:
    """Load references, every day's logs and the labels of the demo into its store."""
    cfgs = load_model_configs(paths.config_dir)
    con = connect(paths.database)
    for name, cfg in cfgs.items():
        load_reference(con, cfg, paths.resolve(cfg.reference.path))
        m = manifest["models"][name]
        first, last = date.fromisoformat(m["first_day"]), date.fromisoformat(m["last_day"])
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        for d in days:
            try:
                ingest_predictions(con, cfg, paths.resolve(cfg.logs.path), paths.quarantine_dir, d)
            except IngestionError:
                pass  # the broken day: quarantined, nothing stored
        if cfg.labels:
            sync_label_files(con, cfg, paths.resolve(cfg.labels.path), paths.quarantine_dir)
            for d in days:
                build_ground_truth(con, cfg, d)
    con.close()


def toy_config(name: str = "toy", **drift):
    """A regression model with numeric features a, b and categorical c (no labels)."""
    from monitoring_pipelines.config import ModelConfig

    return ModelConfig(
        name=name,
        task="regression",
        logs={"path": "logs/{day}.parquet"},
        reference={"path": "ref.parquet"},
        columns={"score": None},
        features={"numeric": ["a", "b"], "categorical": ["c"]},
        drift=drift,
    )


def toy_tables(con, model: str, ref_sql: str, day_sql: str, day, prediction: str = "a + b") -> None:
    """reference__<model> and predictions__<model> (one day) from SELECTs giving a, b, c;
    ``prediction`` (an SQL expression) is the model's output."""
    con.execute(
        f'CREATE OR REPLACE TABLE "reference__{model}" AS '
        f"SELECT *, {prediction} AS prediction FROM ({ref_sql})"
    )
    con.execute(
        f'CREATE OR REPLACE TABLE "predictions__{model}" AS '
        f"SELECT *, {prediction} AS prediction, CAST(NULL AS VARCHAR) AS error, "
        f"DATE '{day.isoformat()}' AS _day FROM ({day_sql})"
    )
