"""The monitoring home as a Dagster resource: paths, model configs and store connections."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from monitoring_pipelines.alerts.notifier import Notifier
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


class NotifierResource(dg.ConfigurableResource):
    """Where alerts go: a JSONL log (always), a webhook and a Slack incoming webhook (when
    their URLs are set through the environment variables MONITORING_ALERT_WEBHOOK_URL and
    MONITORING_SLACK_WEBHOOK_URL; read with ``dg.EnvVar`` so they never appear in run config
    or in files)."""

    alert_log: str
    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    timeout_seconds: float = 5.0

    def notifier(self) -> Notifier:
        return Notifier(
            Path(self.alert_log), self.webhook_url, self.slack_webhook_url, self.timeout_seconds
        )


WEBHOOK_ENV = "MONITORING_ALERT_WEBHOOK_URL"
SLACK_ENV = "MONITORING_SLACK_WEBHOOK_URL"


def notifier_resource(paths: ProjectPaths) -> NotifierResource:
    """The notifier of a monitoring home: alerts in ``<home>/data/alerts.jsonl``."""
    urls = {
        field: dg.EnvVar(env)
        for field, env in (("webhook_url", WEBHOOK_ENV), ("slack_webhook_url", SLACK_ENV))
        if os.environ.get(env)
    }
    return NotifierResource(alert_log=str(paths.home / "data" / "alerts.jsonl"), **urls)


@dg.definitions
def defs() -> dg.Definitions:
    paths = ProjectPaths.from_env()
    return dg.Definitions(
        resources={
            "monitoring": MonitoringResource.from_paths(paths),
            "notifier": notifier_resource(paths),
        }
    )
