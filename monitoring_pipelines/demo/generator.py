"""The demo generator's entry point: every demo model's files plus ``demo_manifest.json``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from monitoring_pipelines.config import load_model_configs
from monitoring_pipelines.demo.churn import ChurnProcess
from monitoring_pipelines.demo.eta import EtaProcess
from monitoring_pipelines.demo.intent import IntentProcess
from monitoring_pipelines.demo.model_demo import generate_model
from monitoring_pipelines.demo.process import Process
from monitoring_pipelines.demo.schedule import Window
from monitoring_pipelines.paths import ProjectPaths

PROCESSES: dict[str, type[Process]] = {
    "churn": ChurnProcess,
    "eta": EtaProcess,
    "intent": IntentProcess,
}
"""The demo models, by the name of their config file."""

SETTINGS = ("seed", "end_day", "days", "rows_per_day")


def manifest_path(paths: ProjectPaths) -> Path:
    """Where the demo manifest lives: ``<home>/data/demo_manifest.json``."""
    return paths.home / "data" / "demo_manifest.json"


def generate_demo(
    paths: ProjectPaths,
    *,
    end_day: dt.date,
    days: int = 60,
    rows_per_day: int = 20000,
    seed: int = 7,
    models: list[str] | None = None,
) -> dict[str, Any]:
    """Generate the demo's data for the monitoring days ``end_day - days + 1 .. end_day``.

    For each model (default: all of :data:`PROCESSES`; each needs its config in
    ``paths.config_dir``) this writes, where the config says: a reference parquet of the 60
    days before the window, daily prediction logs, label files named by arrival day (only
    those arrived by ``end_day``), and the scikit-learn model trained on the reference
    (``data/models/<model>/v1.joblib`` and ``v1.features.json``). ``rows_per_day`` is churn's
    daily volume; eta gets half and intent a quarter (at least 200). The output is a pure
    function of ``seed``, ``end_day``, ``days`` and ``rows_per_day``.

    Returns the manifest (also written to :func:`manifest_path`): the settings, per-model
    facts, and every injected event with its first and last day. When only some models are
    regenerated with unchanged settings, the other models' manifest entries are kept.
    """
    if days < 1 or rows_per_day < 1:
        raise ValueError("days and rows_per_day must be positive")
    names = list(models) if models else list(PROCESSES)
    unknown = sorted(set(names) - set(PROCESSES))
    if unknown:
        raise ValueError(f"no demo for models {unknown}; the demo models are {list(PROCESSES)}")
    configs = load_model_configs(paths.config_dir)
    absent = [n for n in names if n not in configs]
    if absent:
        raise ValueError(f"{paths.config_dir}: no config for demo models {absent}")

    window = Window(end_day=end_day, days=days)
    manifest: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "end_day": end_day.isoformat(),
        "days": days,
        "rows_per_day": rows_per_day,
        "first_day": window.first_day.isoformat(),
        "models": {},
        "events": [],
    }
    _keep_other_models(manifest, manifest_path(paths), names)
    for name in names:
        entry, events = generate_model(
            paths, configs[name], PROCESSES[name](), window, rows_per_day=rows_per_day, seed=seed
        )
        manifest["models"][name] = entry
        manifest["events"].extend(events)
    manifest["models"] = dict(sorted(manifest["models"].items()))
    manifest["events"].sort(key=lambda e: (e["first_day"], e["model"], e["kind"]))

    target = manifest_path(paths)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(target)
    return manifest


def load_manifest(paths: ProjectPaths) -> dict[str, Any]:
    """The manifest written by the last :func:`generate_demo` in this home."""
    return json.loads(manifest_path(paths).read_text())


def _keep_other_models(manifest: dict[str, Any], path: Path, names: list[str]) -> None:
    """Copy entries of models not being regenerated from an earlier manifest with the same
    settings (their files are still on disk and still match)."""
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return
    if any(old.get(k) != manifest[k] for k in SETTINGS):
        return
    manifest["models"] = {m: v for m, v in old.get("models", {}).items() if m not in names}
    manifest["events"] = [e for e in old.get("events", []) if e.get("model") not in names]
