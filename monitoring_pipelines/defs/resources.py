"""The monitoring home as a Dagster resource: paths, model configs and store connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from monitoring_pipelines.config import ModelConfig, load_model_config, load_model_configs
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.store.connection import connect
from monitoring_pipelines.store.schema import ensure_shared_tables

_READY: set[tuple[str, int]] = set()  # store files whose shared tables exist (this process)


def _ensure_once(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    """Create the shared tables once per store file and process, not on every connection
    (a run opens dozens); a file recreated at the same path has a new inode and is redone."""
    key = (str(database.resolve()), database.stat().st_ino)
    if key not in _READY:
        ensure_shared_tables(con)
        _READY.add(key)


class MonitoringResource(dg.ConfigurableResource):
    """Where the monitoring home lives. Built from ``MONITORING_HOME`` and its overrides."""

    home: str
    config_dir: str
    expectations_dir: str
    database: str
    quarantine_dir: str

    @classmethod
    def from_paths(cls, p: ProjectPaths) -> MonitoringResource:
        return cls(
            home=str(p.home),
            config_dir=str(p.config_dir),
            expectations_dir=str(p.expectations_dir),
            database=str(p.database),
            quarantine_dir=str(p.quarantine_dir),
        )

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths(
            Path(self.home),
            Path(self.config_dir),
            Path(self.expectations_dir),
            Path(self.database),
            Path(self.quarantine_dir),
        )

    def model(self, name: str) -> ModelConfig:
        """The validated config of model ``name`` (its file is re-read on every call)."""
        for suffix in (".yaml", ".yml"):
            f = Path(self.config_dir) / f"{name}{suffix}"
            if f.exists():
                return load_model_config(f)
        for cfg in load_model_configs(Path(self.config_dir)).values():
            if cfg.name == name:
                return cfg
        raise dg.Failure(f"no model config for '{name}' in {self.config_dir}")

    def models(self) -> dict[str, ModelConfig]:
        return load_model_configs(Path(self.config_dir))

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the store (shared tables ensured); closed on exit."""
        con = connect(self.database, read_only=read_only)
        try:
            con.execute("SET TimeZone = 'UTC'")
            if not read_only:
                _ensure_once(con, Path(self.database))
            yield con
        finally:
            con.close()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources={"monitoring": MonitoringResource.from_paths(ProjectPaths.from_env())}
    )
