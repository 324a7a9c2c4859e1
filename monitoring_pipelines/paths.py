"""Where the project keeps its files: one monitoring home, overridable piece by piece."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProjectPaths:
    """Folders and files of one monitoring home.

    Relative paths in model configs are resolved against ``home``.
    """

    home: Path
    config_dir: Path
    expectations_dir: Path
    database: Path
    quarantine_dir: Path

    @classmethod
    def at(cls, home: Path | str) -> ProjectPaths:
        """The default layout under ``home``."""
        home = Path(home).resolve()
        return cls(
            home=home,
            config_dir=home / "config" / "models",
            expectations_dir=home / "expectations",
            database=home / "data" / "monitoring.duckdb",
            quarantine_dir=home / "data" / "quarantine",
        )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ProjectPaths:
        """``MONITORING_HOME`` (default: the working directory), with optional overrides
        ``MONITORING_CONFIG_DIR``, ``MONITORING_EXPECTATIONS_DIR``, ``MONITORING_DB`` and
        ``MONITORING_QUARANTINE_DIR``."""
        env = os.environ if environ is None else environ
        base = cls.at(env.get("MONITORING_HOME", "."))
        return cls(
            home=base.home,
            config_dir=Path(env.get("MONITORING_CONFIG_DIR", base.config_dir)).resolve(),
            expectations_dir=Path(
                env.get("MONITORING_EXPECTATIONS_DIR", base.expectations_dir)
            ).resolve(),
            database=Path(env.get("MONITORING_DB", base.database)).resolve(),
            quarantine_dir=Path(
                env.get("MONITORING_QUARANTINE_DIR", base.quarantine_dir)
            ).resolve(),
        )

    def resolve(self, path: str | Path) -> Path:
        """A config path made absolute against ``home``."""
        p = Path(path)
        return p if p.is_absolute() else self.home / p
