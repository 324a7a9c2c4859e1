"""What each injected event really did to the data, measured for the manifest.

Every figure is computed from the generated rows (all of them, whether or not their label has
arrived), so tests and benchmarks can compare a detector's findings with the truth.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from monitoring_pipelines.config import Task
from monitoring_pipelines.demo.schedule import QUIET_DAYS, Event, Window


def quality(task: Task, prediction: np.ndarray, truth: np.ndarray, positive: str = "1") -> dict:
    """The model's quality on some rows: binary recall/accuracy/positive rate, multiclass
    accuracy, regression MAE and mean error (minutes). Failed rows (no prediction) are left
    out; ``rows`` is how many were used."""
    ok = ~pd.isna(prediction)
    p, y = prediction[ok], truth[ok]
    out: dict[str, float] = {"rows": int(ok.sum())}
    if len(p) == 0:
        return out
    if task is Task.regression:
        err = p.astype(float) - y.astype(float)
        out.update(mae=float(np.mean(np.abs(err))), mean_error=float(np.mean(err)))
    elif task is Task.binary:
        hit, pos = p.astype(str) == y.astype(str), y.astype(str) == positive
        out.update(
            accuracy=float(hit.mean()),
            recall=float(hit[pos].mean()) if pos.any() else float("nan"),
            positive_rate=float(pos.mean()),
        )
    else:
        out.update(accuracy=float((p.astype(str) == y.astype(str)).mean()))
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in out.items()}


def observe(
    event: Event,
    task: Task,
    logged: pd.DataFrame,
    reference: pd.DataFrame,
    day_index: np.ndarray,
    prediction: np.ndarray,
    truth: np.ndarray,
    label_arrived: np.ndarray,
) -> dict[str, Any]:
    """Measured facts about one event (``observed``), plus its rows' label coverage."""
    kind, during = event.spec.kind, event.covers(day_index)
    quiet = day_index < QUIET_DAYS
    if kind == "covariate_drift":
        observed = {f: _shift(reference[f], logged.loc[during, f]) for f in event.spec.features}
        observed["model_output"] = {
            "quiet_days": _output(task, prediction[quiet]),
            "event_days": _output(task, prediction[during]),
        }
        return {"observed": observed}
    if kind in ("volume_drop", "missing_day", "missing_labels"):
        return {}
    if kind == "concept_drift":
        observed = {
            "quiet_days": quality(task, prediction[quiet], truth[quiet]),
            "event_days": quality(task, prediction[during], truth[during]),
        }
        covered = during
    else:
        column, value = event.spec.segment or event.spec.group or ("", "")
        member = (logged[column].astype(str) == value).to_numpy()
        observed = {
            "members_quiet_days": quality(task, prediction[quiet & member], truth[quiet & member]),
            "members_event_days": quality(
                task, prediction[during & member], truth[during & member]
            ),
            "others_event_days": quality(
                task, prediction[during & ~member], truth[during & ~member]
            ),
        }
        covered = during & member
    coverage = float(label_arrived[covered].mean()) if covered.any() else 0.0
    return {"observed": observed, "label_coverage_at_end_day": round(coverage, 6)}


def _shift(before: pd.Series, after: pd.Series) -> dict[str, Any]:
    """Reference vs event-days summary: means for numbers, shares for categories."""
    if pd.api.types.is_numeric_dtype(before):
        return {
            "reference_mean": round(float(before.mean()), 6),
            "event_mean": round(float(after.mean()), 6),
        }
    return {
        "reference_share": _shares(before),
        "event_share": _shares(after),
    }


def _shares(values: pd.Series) -> dict[str, float]:
    counts = values.astype(str).value_counts(normalize=True).sort_index()
    return {str(k): round(float(v), 6) for k, v in counts.items()}


def _output(task: Task, prediction: np.ndarray) -> dict[str, Any]:
    """The model's output on some rows: mean prediction (binary: share of 1s), or class shares."""
    done = pd.Series(prediction[~pd.isna(prediction)])
    if task is Task.multiclass:
        return {"class_share": _shares(done)}
    return {"mean_prediction": round(float(done.astype(float).mean()), 6)}


def volume_facts(
    event: Event, window: Window, counts: np.ndarray, expected: np.ndarray
) -> dict[str, Any]:
    """Rows logged and rows expected without the drop, per day of a volume event."""
    days = range(event.first, event.last + 1)
    return {
        "observed": {
            "rows": {window.day(i).isoformat(): int(counts[i]) for i in days},
            "expected_rows": {window.day(i).isoformat(): int(expected[i]) for i in days},
        }
    }
