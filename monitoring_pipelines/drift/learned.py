"""Effect thresholds learned on the reference: how far do windows of the reference itself
stray from the whole? (NannyML's default: mean + k std of the statistic over chunks.)"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
from scipy.stats import wasserstein_distance

from monitoring_pipelines.config.drift import DriftSettings
from monitoring_pipelines.drift.columns import NUMERIC, ColumnSpec
from monitoring_pipelines.drift.stats import js_distance, psi


def _band(values: list[float], sigmas: float) -> float:
    return float(np.mean(values) + sigmas * np.std(values, ddof=1))


def learn_thresholds(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    spec: ColumnSpec,
    entry: dict[str, Any],
    s: DriftSettings,
) -> dict[str, float]:
    """``{"psi": nats, "js": distance, "wasserstein": reference stds}`` (numeric) or
    ``{"psi", "js"}`` (categorical): mean + ``learned_sigmas`` std over the reference cut
    into ``reference_windows`` consecutive windows (in stored row order), each against the
    whole reference's profile ``entry``."""
    expr = spec.expr(spec.ref_col)
    rows = con.execute(
        f"SELECT x FROM (SELECT {expr} AS x, rowid AS r FROM {relation}) "
        "WHERE x IS NOT NULL ORDER BY r"
    ).fetchall()
    values = np.array([r[0] for r in rows], dtype=float if spec.kind == NUMERIC else object)
    windows = [w for w in np.array_split(values, s.reference_windows) if len(w)]
    if len(windows) < 3:
        return {}
    if spec.kind == NUMERIC:
        edges, ref_counts = entry["edges"], np.asarray(entry["counts"])
        std = entry["std"] or 1.0
        counts = [
            np.bincount(np.searchsorted(edges, w, side="right"), minlength=len(edges) + 1)
            for w in windows
        ]
        return {
            "psi": _band([psi(ref_counts, c, s.smoothing) for c in counts], s.learned_sigmas),
            "js": _band([js_distance(ref_counts, c) for c in counts], s.learned_sigmas),
            "wasserstein": _band(
                [wasserstein_distance(values, w) / std for w in windows], s.learned_sigmas
            ),
        }
    cats = sorted(entry["counts"])
    ref_counts = np.array([entry["counts"][c] for c in cats])
    counts = [np.array([(w == c).sum() for c in cats]) for w in windows]
    return {
        "psi": _band([psi(ref_counts, c, s.smoothing) for c in counts], s.learned_sigmas),
        "js": _band([js_distance(ref_counts, c) for c in counts], s.learned_sigmas),
    }


def thresholds(entry: dict[str, Any], s: DriftSettings) -> tuple[float, float, float]:
    """(PSI, JS, normalized Wasserstein) alert thresholds: learned ones when configured and
    fitted (floored at 1e-6), else the configured ``psi_alert``, ``js_alert``,
    ``wasserstein_alert``."""
    learned = entry.get("learned") if s.learned_thresholds else None
    if not learned:
        return s.psi_alert, s.js_alert, s.wasserstein_alert
    return (
        max(learned["psi"], 1e-6),
        max(learned["js"], 1e-6),
        max(learned.get("wasserstein", s.wasserstein_alert), 1e-6),
    )
