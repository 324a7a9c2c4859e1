"""One model's demo: reference, trained model, daily logs, late labels, and their facts."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.demo.files import (
    file_format,
    label_file,
    log_file,
    remove_generated,
    write_table,
)
from monitoring_pipelines.demo.frames import log_frame, reference_frame
from monitoring_pipelines.demo.model import build_model, save_model, score, train
from monitoring_pipelines.demo.observe import observe, quality, volume_facts
from monitoring_pipelines.demo.process import Process
from monitoring_pipelines.demo.schedule import QUIET_DAYS, Event, Window, resolve
from monitoring_pipelines.demo.simulate import (
    REFERENCE_DAYS,
    Rows,
    break_day,
    daily_counts,
    label_arrivals,
    reference_counts,
    simulate_rows,
)
from monitoring_pipelines.paths import ProjectPaths


@dataclass
class Served:
    """The monitoring days as the service saw and logged them.

    ``rows`` holds the clean inputs and the truth; ``logged`` the inputs as logged (broken
    days corrupted, columns not yet renamed); ``log`` the whole prediction log; ``renamed``
    the column renames of each broken day (by day index); ``facts`` what breaking did.
    """

    rows: Rows
    logged: pd.DataFrame
    log: pd.DataFrame
    failed: np.ndarray
    renamed: dict[int, dict[str, str]]
    facts: dict[str, dict[str, Any]]


def generate_model(
    paths: ProjectPaths,
    cfg: ModelConfig,
    process: Process,
    window: Window,
    *,
    rows_per_day: int,
    seed: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Write one model's reference, sklearn model, daily logs and label files.

    Previously generated files of the model are removed first. Returns the model's manifest
    entry and its events' manifest entries.
    """
    columns = logged_columns(cfg, process)
    model_dir = paths.home / "data" / "models" / cfg.name
    previous = [cfg.logs.path, cfg.reference.path, *([cfg.labels.path] if cfg.labels else [])]
    previous += [str(model_dir / "v1.joblib"), str(model_dir / "v1.features.json")]
    remove_generated(paths, previous)
    rng = np.random.default_rng([seed, zlib.crc32(cfg.name.encode())])
    events = resolve(list(process.events), window)

    ref = simulate_rows(
        process, window, -REFERENCE_DAYS, reference_counts(process, rows_per_day), [], rng
    )
    numeric, categorical = list(cfg.features.numeric), list(cfg.features.categorical)
    model = train(
        build_model(cfg.task, numeric, categorical, seed), ref.inputs[cfg.features.all], ref.labels
    )
    train_scored = score(model, cfg.task, ref.inputs[cfg.features.all], cfg.positive_class)
    # The reference is held out: fresh rows of the same period, scored by the trained model,
    # so its scores and errors are what production would see (estimators need that).
    training, ref = ref, simulate_rows(
        process, window, -REFERENCE_DAYS,
        reference_counts(process, rows_per_day, days_of_volume=3, minimum=12000), [],
        np.random.default_rng([seed, zlib.crc32(cfg.name.encode()), 1]),
    )  # fmt: skip
    ref_scored = score(model, cfg.task, ref.inputs[cfg.features.all], cfg.positive_class)
    ref_out = reference_frame(cfg, process, ref, ref_scored, columns)

    counts, expected = daily_counts(process, window, rows_per_day, events, rng)
    rows = simulate_rows(process, window, 0, counts, events, rng)
    served = _serve(cfg, process, model, rows, columns, events, rng)
    _write_logs(paths, cfg, window, served, counts)

    lost = [
        i for e in events if e.spec.kind == "missing_labels" for i in range(e.first, e.last + 1)
    ]
    arrival, label_ts = label_arrivals(process, window, rows, lost, rng)
    arrived = (arrival > 0) & (arrival <= window.end_day.toordinal())
    label_files = _write_labels(paths, cfg, rows, arrival, label_ts, arrived)

    write_table(
        ref_out,
        paths.resolve(cfg.reference.path),
        file_format(cfg.reference.path, cfg.reference.format),
    )
    model_path, features_path = save_model(
        model,
        model_dir,
        task=cfg.task,
        numeric=numeric,
        categorical=categorical,
        model_version=process.model_version,
        trained_on=f"{REFERENCE_DAYS} days before the window (a sample apart from the reference)",
        training_rows=len(training.labels),
    )

    prediction = served.log[cfg.columns.prediction].to_numpy(object)
    facts = dict(served.facts)
    for e in events:
        if e.spec.kind == "volume_drop":
            facts[e.spec.key] = volume_facts(e, window, counts, expected)
        elif e.spec.key not in facts:
            facts[e.spec.key] = observe(
                e, cfg.task, served.logged, ref.inputs, rows.day_index, prediction, rows.labels,
                arrived,
            )  # fmt: skip
    quiet = rows.day_index < QUIET_DAYS
    ref_prediction = ref_out[cfg.columns.prediction].to_numpy(object)
    entry = {
        "task": cfg.task.value,
        "first_day": window.first_day.isoformat(),
        "last_day": window.end_day.isoformat(),
        "model_version": process.model_version,
        "reference_rows": len(ref_out),
        "reference_first_day": window.day(-REFERENCE_DAYS).isoformat(),
        "reference_last_day": window.day(-1).isoformat(),
        "log_rows": int(counts.sum()),
        "failed_rows": int(served.failed.sum()),
        "rows_by_day": {window.day(i).isoformat(): int(counts[i]) for i in range(window.days)},
        "missing_days": [window.day(i).isoformat() for i in range(window.days) if not counts[i]],
        "label_rows": int(arrived.sum()) if cfg.labels else 0,
        "label_files": label_files,
        "labels": {
            **process.label_policy.describe(),
            "lost_days": [window.day(i).isoformat() for i in lost],
        },
        "quality": {
            "training_in_sample": quality(
                cfg.task,
                np.asarray(train_scored.prediction, dtype=object),
                training.labels,
                cfg.positive_class,
            ),
            "reference_held_out": quality(cfg.task, ref_prediction, ref.labels, cfg.positive_class),
            "quiet_days": quality(
                cfg.task, prediction[quiet], rows.labels[quiet], cfg.positive_class
            ),
        },
        "features": cfg.features.all,
        "model_path": model_path.relative_to(paths.home).as_posix(),
        "features_path": features_path.relative_to(paths.home).as_posix(),
        "paths": {
            "logs": cfg.logs.path,
            "labels": cfg.labels.path if cfg.labels else None,
            "reference": cfg.reference.path,
        },
    }
    return entry, [e.manifest(cfg.name, window, facts[e.spec.key]) for e in events]


def _serve(
    cfg: ModelConfig,
    process: Process,
    model: Pipeline,
    rows: Rows,
    columns: list[str],
    events: list[Event],
    rng: np.random.Generator,
) -> Served:
    """Break the broken days' inputs, score every row as the service did, and log it.

    A column an upstream renamed reaches the model as missing; failed predictions (at the
    process's failure rate) have no output and an error message.
    """
    logged = rows.inputs[columns].copy()
    facts: dict[str, dict[str, Any]] = {}
    renamed: dict[int, dict[str, str]] = {}
    for e in (e for e in events if e.spec.kind == "broken_day"):
        mask = e.covers(rows.day_index)
        facts[e.spec.key] = {"observed": break_day(logged, mask, e.spec.details, rng)}
        renamed.update(dict.fromkeys(range(e.first, e.last + 1), e.spec.details.get("renamed", {})))
    model_input = logged[cfg.features.all].copy()
    for i, mapping in renamed.items():
        for col in mapping:
            model_input[col] = model_input[col].astype(float).mask(rows.day_index == i)
    failed = rng.random(len(logged)) < process.failure_rate
    scored = score(model, cfg.task, model_input, cfg.positive_class)
    log = log_frame(cfg, process, rows, scored, failed, logged, rng)
    return Served(rows, logged, log, failed, renamed, facts)


def logged_columns(cfg: ModelConfig, process: Process) -> list[str]:
    """Features, segments and sensitive attributes of the config, checked against the demo:
    each must be one the process generates, and the columns its events touch must be there."""
    extra = [cfg.review.control_column] if cfg.review.control_column else []
    wanted = list(dict.fromkeys([*cfg.features.all, *cfg.segments, *cfg.sensitive, *extra]))
    unknown = [c for c in wanted if c not in process.columns]
    needed = {f for e in process.events for f in e.features}
    needed |= {(e.segment or e.group)[0] for e in process.events if e.segment or e.group}
    missing = sorted(needed - set(wanted))
    if unknown or missing:
        raise ValueError(
            f"model {cfg.name}: the demo generates {list(process.columns)}; "
            f"unknown in config: {unknown}; needed by its events but not in config: {missing}"
        )
    return wanted


def _write_logs(
    paths: ProjectPaths, cfg: ModelConfig, window: Window, served: Served, counts: np.ndarray
) -> None:
    """One log file per day that has rows, with the broken days' columns renamed."""
    fmt = file_format(cfg.logs.path, cfg.logs.format)
    bounds = np.searchsorted(served.rows.day_index, np.arange(window.days + 1))
    for i in map(int, np.flatnonzero(counts)):
        day_log = served.log.iloc[bounds[i] : bounds[i + 1]]
        day_log = day_log.rename(columns=served.renamed.get(i, {}))
        write_table(day_log, log_file(paths, cfg.logs.path, window.day(i)), fmt)


def _write_labels(
    paths: ProjectPaths,
    cfg: ModelConfig,
    rows: Rows,
    arrival: np.ndarray,
    label_ts: np.ndarray,
    arrived: np.ndarray,
) -> int:
    """One label file per arrival day up to the end day; returns how many were written."""
    if cfg.labels is None:
        return 0
    src = cfg.labels
    frame = pd.DataFrame({src.prediction_id: rows.prediction_id, src.label: rows.labels})
    if src.timestamp:
        frame[src.timestamp] = label_ts
    fmt = file_format(src.path, src.format)
    days = np.unique(arrival[arrived])
    for day in days:
        target = label_file(paths, src.path, dt.date.fromordinal(int(day)))
        write_table(frame.iloc[np.flatnonzero(arrival == day)], target, fmt)
    return len(days)
