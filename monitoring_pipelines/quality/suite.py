"""Starter Great Expectations suites generated from a model's reference data (DQ-1).

A suite is a GX 1.x ExpectationSuite stored as JSON (``expectations/<model>.json``) and meant
to be edited by people. Every expectation carries GX's own ``severity`` field and the same value
in ``meta.severity`` with a ``meta.reason``. Critical means the day must stop (structure broken
or impossible values); warning means look at it (ranges, categories, volume, mild null growth).

Timestamps are checked against two suite parameters supplied at validation time:
``{"$PARAMETER": "day_start"}`` (the partition day at 00:00, inclusive) and
``{"$PARAMETER": "day_end"}`` (the next day at 00:00, exclusive).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.quality import stats as P
from monitoring_pipelines.quality.rules import ROWS, column_checks, crit, schema_checks, warn
from monitoring_pipelines.store.columns import expected_columns
from monitoring_pipelines.store.derived import digest, kept_file

if TYPE_CHECKING:
    import great_expectations as gx


def _gx():
    """Great Expectations, imported on first use (about 2 s): a day whose expectations all
    pass the screen, with a suite GX already checked, never needs it."""
    import great_expectations as gx

    return gx


class SuiteError(ValueError):
    """A suite file is unreadable or not a valid GX 1.x suite; the message names the file."""


def column_stats(reference: pd.DataFrame, col: str) -> P.ColumnStats | None:
    """The statistics of ``reference``'s column ``col`` (None when it has none): from the
    source's own ``stats(col)`` when it offers one (computed where the data lives), else from
    the column's values."""
    if col not in reference.columns:
        return None
    stats_of = getattr(reference, "stats", None)
    return stats_of(col) if callable(stats_of) else P.ColumnStats(reference[col])


def _volume(
    cfg: ModelConfig, reference: pd.DataFrame, reference_days: int | None
) -> tuple[list[int] | None, str]:
    """Rows per day to expect, and where the figure comes from: the config's
    ``volume.expected_daily_rows`` when set, else the reference (see ``stats.daily_rows``)."""
    if cfg.volume.expected_daily_rows:
        return [cfg.volume.expected_daily_rows], "config volume.expected_daily_rows"
    ts = None if reference_days else column_stats(reference, cfg.columns.timestamp)
    counts = ts.day_counts() if ts is not None else None
    per_day = P.daily_rows(counts, len(reference), reference_days=reference_days)
    src = "reference rows / reference_days" if reference_days else "reference rows per day"
    return per_day, src


def suggest_suite(
    cfg: ModelConfig, reference: pd.DataFrame, *, reference_days: int | None = None
) -> dict[str, Any]:
    """A starter suite for ``cfg`` profiled from ``reference`` (training data, or the first
    production days). ``reference_days`` is how many days of traffic the reference holds when
    it has no timestamps (used for row-count bounds). ``reference`` is a DataFrame, or any
    object with ``len``, ``columns`` and column access (see
    :class:`~monitoring_pipelines.quality.starter.ReferenceColumns`).

    Returns the suite as GX 1.x JSON (a plain dict): ``gx.ExpectationSuite(**suite)`` rebuilds
    it and ``.to_json_dict()`` gives the same dict back.
    """
    per_day, vol_src = _volume(cfg, reference, reference_days)
    day_rows = int(pd.Series(per_day).median()) if per_day else None
    label = column_stats(reference, cfg.columns.label) if cfg.columns.label else None
    exps = [crit(ROWS, "a day without rows cannot be monitored", min_value=1)]
    if per_day:
        tol = cfg.thresholds.health.volume_tolerance
        lo, hi = P.row_count_bounds(per_day, tol)
        reason = f"{vol_src} (median {day_rows}) +-{tol:.0%}"
        exps.append(warn(ROWS, reason, min_value=lo, max_value=hi))
    for col, db_type in expected_columns(cfg).items():
        ref = column_stats(reference, col)
        exps += schema_checks(col, db_type)
        exps += column_checks(cfg, col, ref, label, day_rows)
    suite = {
        "name": cfg.name,
        "expectations": exps,
        "meta": {
            "model": cfg.name,
            "task": cfg.task.value,
            "generated_by": "monitoring_pipelines.quality.suggest_suite",
            "reference_rows": len(reference),
            "expected_daily_rows": day_rows,
            "suite_parameters": {
                "day_start": "partition day 00:00, inclusive",
                "day_end": "next day 00:00, exclusive",
            },
            "severity": "the GX `severity` field decides; meta.severity mirrors it",
        },
    }
    return json.loads(json.dumps(_gx().ExpectationSuite(**suite).to_json_dict()))


def write_suite(suite: dict[str, Any] | gx.ExpectationSuite, path: Path) -> Path:
    """Validate ``suite`` as a GX suite and write it atomically as indented JSON; returns path."""
    data = suite.to_json_dict() if hasattr(suite, "to_json_dict") else suite
    text = json.dumps(_gx().ExpectationSuite(**data).to_json_dict(), indent=2) + "\n"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_suite(path: Path) -> gx.ExpectationSuite:
    """The GX suite stored at ``path``; raises :class:`SuiteError` naming the file."""
    return _checked(Path(path), _read(Path(path)))


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{path}: cannot read suite JSON: {exc}") from exc
    if not isinstance(data, dict) or "expectations" not in data:
        raise SuiteError(f"{path}: expected an object with 'name' and 'expectations'")
    return data


def _checked(path: Path, data: dict[str, Any]) -> gx.ExpectationSuite:
    try:
        return _gx().ExpectationSuite(**data)
    except Exception as exc:  # GX raises pydantic, marshmallow or its own errors
        raise SuiteError(f"{path}: not a valid GX 1.x expectation suite: {exc}") from exc


def load_suite_json(path: Path, checked_dir: Path | None) -> dict[str, Any]:
    """The suite at ``path`` as GX's JSON (what ``load_suite(path).to_json_dict()`` gives),
    checked by GX once per content: GX's JSON of the suite is kept in ``checked_dir`` under
    the hash of the file's bytes, so an unchanged suite is not parsed by GX (nor GX imported)
    in every run's process. Any edit to the file is a new hash, checked again (and replaces
    the kept copy). ``checked_dir`` None: always checked. Raises :class:`SuiteError` naming
    the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read suite JSON: {exc}") from exc
    return kept_file(
        checked_dir,
        "suite-" + digest(str(path.resolve())),
        hashlib.sha256(raw).hexdigest(),
        ".json",
        read=lambda file: json.loads(file.read_text()),
        compute=lambda: json.loads(json.dumps(_checked(path, _read(path)).to_json_dict())),
        write=lambda data, file: file.write_text(json.dumps(data)),
    )
