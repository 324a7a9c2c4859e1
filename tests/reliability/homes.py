"""Small monitoring homes and Dagster homes for the multi-process tests (toy models, clean
data: every run is expected to succeed)."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.paths import ProjectPaths
from tests.conftest import REPO, TOY_CONFIG, toy_frame, write_toy_reference

# The assets of a day that the multi-process tests run: ingestion, quality, health, profile,
# each a step that writes the store (feature_profile depends on data_quality, not directly on
# predictions: the two go together).
DAY_ASSETS = [k.PREDICTIONS, k.DATA_QUALITY, k.SERVICE_HEALTH, k.FEATURE_PROFILE]
# The parallel test's cheaper set: everything here depends on predictions only.
# data_quality (Great Expectations, about a second a day) would not fit its time budget; its
# writes go through the same connect() and transaction().
WRITE_ASSETS = [k.PREDICTIONS, k.GROUND_TRUTH, k.SERVICE_HEALTH]


def toy_models_home(home: Path, models: list[str], days: list[date], rows: int) -> ProjectPaths:
    """A home with one toy-shaped model per name, ``rows`` log rows per day, and a reference."""
    paths = ProjectPaths.at(home)
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.expectations_dir.mkdir(parents=True, exist_ok=True)
    ref = write_toy_reference(paths, n=600, days=30)
    for i, name in enumerate(models):
        spec = copy.deepcopy(TOY_CONFIG)
        spec.update(
            name=name,
            logs={"path": f"landing/{name}/{{day}}.parquet"},
            labels={"path": f"landing/{name}/labels/*.parquet"},
            reference={"path": str(ref)},
        )
        (paths.config_dir / f"{name}.yaml").write_text(yaml.safe_dump(spec))
        for j, d in enumerate(days):
            f = paths.home / "landing" / name / f"{d}.parquet"
            f.parent.mkdir(parents=True, exist_ok=True)
            frame = toy_frame(d, n=rows, seed=1000 * i + j, id_prefix=f"{name}-{d}")
            frame.to_parquet(f, index=False)
    return paths


def day_range(first: date, n: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(n)]


def project_instance_yaml() -> dict:
    """The repository's dagster.yaml (run queue, run limit, the duckdb pool)."""
    return yaml.safe_load((REPO / "dagster.yaml").read_text())


def monitoring_env(paths: ProjectPaths) -> dict[str, str]:
    return {
        "MONITORING_HOME": str(paths.home),
        "MONITORING_CONFIG_DIR": str(paths.config_dir),
        "MONITORING_EXPECTATIONS_DIR": str(paths.expectations_dir),
        "MONITORING_DB": str(paths.database),
        "MONITORING_QUARANTINE_DIR": str(paths.quarantine_dir),
    }


def store_report(con, models: list[str]) -> dict:
    """What the multi-process tests check in the store after a backfill."""
    out = {}
    for m in models:
        out[m] = {
            "days": con.execute(
                f'SELECT _day, count(*), count(DISTINCT prediction_id) FROM "predictions__{m}" '
                "GROUP BY 1 ORDER BY 1"
            ).fetchall(),
            "log": con.execute(
                "SELECT day, count(*) FROM ingestion_log WHERE model = ? GROUP BY 1 ORDER BY 1",
                [m],
            ).fetchall(),
            "families": con.execute(
                "SELECT day, list(DISTINCT family ORDER BY family) FROM metrics WHERE model = ? "
                "GROUP BY 1 ORDER BY 1",
                [m],
            ).fetchall(),
        }
    out["duplicate_metrics"] = con.execute(
        "SELECT model, day, family, metric, subject, count(*) FROM metrics "
        "GROUP BY ALL HAVING count(*) > 1"
    ).fetchall()
    return out
