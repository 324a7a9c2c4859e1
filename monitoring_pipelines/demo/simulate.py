"""Turning a data-generating process into rows: volumes, timestamps, ids, breakage, labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from monitoring_pipelines.demo.process import Process
from monitoring_pipelines.demo.schedule import Event, Window, activity

MS_PER_DAY = 86_400_000
REFERENCE_DAYS = 60


@dataclass
class Rows:
    """Simulated rows, sorted by time.

    ``day_index`` counts days from the window's first day (reference days are negative);
    ``timestamp`` is ``datetime64[ms]``; ``labels`` is the ground truth of every row.
    """

    day_index: np.ndarray
    timestamp: np.ndarray
    prediction_id: np.ndarray
    inputs: pd.DataFrame
    labels: np.ndarray


def daily_counts(
    process: Process,
    window: Window,
    rows_per_day: int,
    events: list[Event],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows per monitoring day, and what they would have been without volume events.

    The base volume is ``rows_per_day * process.volume_share`` (at least 200), modulated by
    the weekday profile and 2 % noise; ``volume_drop`` and ``missing_day`` events scale it by
    their ``volume_factor`` (0 for a missing day).
    """
    base = max(200, int(rows_per_day * process.volume_share))
    weekday = np.array([window.day(i).weekday() for i in range(window.days)])
    noise = 1.0 + 0.02 * rng.standard_normal(window.days)
    expected = np.round(base * np.asarray(process.weekday_volume)[weekday] * noise).astype(int)
    factor = np.ones(window.days)
    for e in events:
        if e.spec.kind in ("volume_drop", "missing_day"):
            factor[e.first : e.last + 1] = e.spec.details.get("volume_factor", 0.0)
    return np.round(expected * factor).astype(int), expected


def reference_counts(
    process: Process, rows_per_day: int, *, days_of_volume: float = 1.5, minimum: int = 3000
) -> np.ndarray:
    """Rows per reference day over :data:`REFERENCE_DAYS` days.

    In total ``days_of_volume`` x a day's volume, counting at least half of ``rows_per_day``
    (so a model with a small volume still gets enough rows), and at least ``minimum``.
    """
    share = max(process.volume_share, 0.5)
    total = max(minimum, int(days_of_volume * rows_per_day * share))
    counts = np.full(REFERENCE_DAYS, total // REFERENCE_DAYS)
    counts[: total % REFERENCE_DAYS] += 1
    return counts


def simulate_rows(
    process: Process,
    window: Window,
    first_index: int,
    counts: np.ndarray,
    events: list[Event],
    rng: np.random.Generator,
) -> Rows:
    """``counts[i]`` rows on day ``first_index + i``: timestamps, ids, inputs and truth."""
    n = int(counts.sum())
    day_index = np.repeat(np.arange(first_index, first_index + len(counts)), counts)
    profile = np.asarray(process.hour_profile, dtype=float)
    hours = rng.choice(24, size=n, p=profile / profile.sum())
    ms = hours * 3_600_000 + rng.integers(0, 3_600_000, size=n)
    order = np.argsort(day_index.astype(np.int64) * MS_PER_DAY + ms, kind="stable")
    ms, hours = ms[order], hours[order]
    origin = np.datetime64(window.first_day, "ms")
    timestamp = origin + (day_index.astype(np.int64) * MS_PER_DAY + ms).astype("timedelta64[ms]")
    inputs, labels = process.sample(n, rng, activity(events, day_index), hours)
    return Rows(
        day_index, timestamp, prediction_ids(process.name, window, day_index), inputs, labels
    )


def prediction_ids(name: str, window: Window, day_index: np.ndarray) -> np.ndarray:
    """``<model>-<yyyymmdd>-<nnnnnn>``: unique across days, numbered in time order per day."""
    days, starts, counts = np.unique(day_index, return_index=True, return_counts=True)
    prefix = np.repeat([f"{name}-{window.day(int(d)):%Y%m%d}-" for d in days], counts)
    counter = np.arange(len(day_index)) - np.repeat(starts, counts)
    return (pd.Series(prefix) + pd.Series(counter).astype(str).str.zfill(6)).to_numpy(object)


def break_day(
    logged: pd.DataFrame, rows: np.ndarray, details: dict[str, Any], rng: np.random.Generator
) -> dict[str, Any]:
    """Corrupt the logged inputs of ``rows`` (a boolean mask) as a broken upstream would.

    ``null_burst`` {column: share} blanks a share of the values; ``out_of_range``
    {column: {value, share}} overwrites a share with an impossible value. Renames happen when
    the day is written. Returns what was really done (row counts and shares).
    """
    n = int(rows.sum())
    observed: dict[str, Any] = {"rows": n, "null_burst": {}, "out_of_range": {}}
    for col, share in details.get("null_burst", {}).items():
        hit = rows & (rng.random(len(rows)) < share)
        if pd.api.types.is_integer_dtype(logged[col]):
            logged[col] = logged[col].astype("Int64")
        logged.loc[hit, col] = None
        observed["null_burst"][col] = {"rows": int(hit.sum()), "share": _share(hit, n)}
    for col, spec in details.get("out_of_range", {}).items():
        hit = rows & (rng.random(len(rows)) < spec["share"])
        logged.loc[hit, col] = spec["value"]
        observed["out_of_range"][col] = {
            "value": spec["value"], "rows": int(hit.sum()), "share": _share(hit, n)
        }  # fmt: skip
    return observed


def label_arrivals(
    process: Process,
    window: Window,
    rows: Rows,
    lost_days: list[int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival day (ordinal) of each row's label and its label timestamp.

    Rows whose label never arrives (``never_rate`` at random, every row of ``lost_days``)
    get arrival 0 and timestamp NaT.
    """
    policy = process.label_policy
    ordinal = window.first_day.toordinal() + rows.day_index.astype(np.int64)
    arrival = policy.arrival(ordinal, rng)
    never = (rng.random(len(ordinal)) < policy.never_rate) | np.isin(rows.day_index, lost_days)
    arrival = np.where(never, 0, arrival)
    lo, hi = policy.hours
    offset = rng.integers(lo * 3_600_000, hi * 3_600_000, size=len(ordinal))
    epoch = np.datetime64(dt.date.fromordinal(1), "ms")
    days = (arrival - 1).astype("timedelta64[D]").astype("timedelta64[ms]")
    stamp = epoch + days + offset.astype("timedelta64[ms]")
    return arrival, np.where(never, np.datetime64("NaT", "ms"), stamp)


def _share(hit: np.ndarray, n: int) -> float:
    """``hit.sum() / n`` rounded to 6 decimals (0 when ``n`` is 0)."""
    return round(float(hit.sum()) / n, 6) if n else 0.0
