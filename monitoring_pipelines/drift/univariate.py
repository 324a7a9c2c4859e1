"""Univariate drift of one column against its reference profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from monitoring_pipelines.config.drift import DriftSettings, NumericTest
from monitoring_pipelines.drift import histograms as h
from monitoring_pipelines.drift.backends import chi2_test, ks_test
from monitoring_pipelines.drift.columns import NUMERIC, ColumnSpec
from monitoring_pipelines.drift.learned import thresholds
from monitoring_pipelines.drift.sorted_reference import (
    SortedSample,
    ks_2samp_sorted,
    place,
    sorted_reference,
    wasserstein_sorted,
)
from monitoring_pipelines.drift.stats import js_distance, psi, wasserstein_lower_bound

NAN = float("nan")


@dataclass
class ColumnDrift:
    """Drift figures of one column on one day (NaN where not applicable).

    ``statistic``/``p_value``: KS D (numeric) or chi-squared (categorical, and numeric with
    ``numeric_test: binned``: ``binned`` is then true) and its raw p-value;
    ``p_adjusted``: after the correction over the day's tests; ``psi`` in nats; ``js`` JS
    distance (base 2); ``wasserstein``: in reference standard deviations (with the binned
    numeric test: ``wasserstein_bound``, its lower bound, instead); ``unseen``/
    ``vanished``: share of the day's rows in categories the reference never had, share of the
    reference's rows in categories absent from the day; ``effect``: the largest effect size
    over its alert threshold (>= 1 is large); ``status`` ok | warn | alert.
    """

    spec: ColumnSpec
    rows: int
    statistic: float = NAN
    p_value: float = NAN
    psi: float = NAN
    js: float = NAN
    wasserstein: float = NAN
    wasserstein_bound: float = NAN
    binned: bool = False  # a numeric column measured with ``numeric_test: binned``
    unseen: float = NAN
    vanished: float = NAN
    p_adjusted: float = NAN
    effect: float = NAN
    status: str = "ok"
    note: str = ""


def measure(
    con: duckdb.DuckDBPyConnection,
    spec: ColumnSpec,
    ref: dict[str, Any],
    relation: str,
    ref_relation: str,
    s: DriftSettings,
    ref_version: str | None = None,
    cur_values: np.ndarray | None = None,
    ref_sorted: SortedSample | None = None,
    cur_counts: dict[str, int] | None = None,
) -> ColumnDrift:
    """Measure one column of ``relation`` against its profile entry ``ref`` (uncorrected).

    Numeric columns: the reference values are read sorted once per ``ref_version`` (see
    :mod:`~monitoring_pipelines.drift.sorted_reference`); KS and Wasserstein-1 equal scipy's.
    ``cur_values``: the column's non-null values over ``relation`` when already read (see
    :func:`~monitoring_pipelines.drift.histograms.values_of`); its bins are counted from them.
    ``ref_sorted``: the sorted reference column when already read; with both given, a numeric
    column needs no query (``con`` is not used), so it can be measured on another thread.
    ``cur_counts``: a categorical column's counts over ``relation`` when already read (see
    :func:`~monitoring_pipelines.drift.histograms.category_counts_of`)."""
    expr = spec.expr(spec.cur_col)
    if spec.kind == NUMERIC:
        cur_vals = h.values(con, relation, expr) if cur_values is None else cur_values
        counts = h.counts_of(cur_vals, ref["edges"])
        binned = s.numeric_test == NumericTest.binned
        out = ColumnDrift(spec, int(counts.sum()), binned=binned)
        if out.rows < s.min_rows:
            out.note = f"fewer than {s.min_rows} rows"
            return out
        if binned:
            return _binned(con, out, ref, ref_relation, s, cur_vals, counts)
        if ref_sorted is None:
            ref_sorted = sorted_reference(con, ref_relation, spec.expr(spec.ref_col), ref_version)
        placed = place(ref_sorted, cur_vals)  # searched once for KS and Wasserstein
        if str(s.detector_backend) == "alibi":
            out.statistic, out.p_value = ks_test(ref_sorted.values, cur_vals, "alibi")
        else:
            out.statistic, out.p_value = ks_2samp_sorted(ref_sorted, cur_vals, placed)
        ref_counts = np.asarray(ref["counts"])
        out.psi = psi(ref_counts, counts, s.smoothing)
        out.js = js_distance(ref_counts, counts)
        std = ref["std"]
        w = wasserstein_sorted(ref_sorted, cur_vals, placed)
        out.wasserstein = w / std if std > 0 else (0.0 if w == 0 else float("inf"))
        psi_thr, _, w_thr = thresholds(ref, s)
        out.effect = max(out.psi / psi_thr, out.wasserstein / w_thr)
        return out
    cur = h.category_counts(con, relation, expr) if cur_counts is None else cur_counts
    base: dict[str, int] = ref["counts"]
    out = ColumnDrift(spec, sum(cur.values()))
    if out.rows < s.min_rows:
        out.note = f"fewer than {s.min_rows} rows"
        return out
    cats = sorted(set(base) | set(cur))
    rc = np.array([base.get(c, 0) for c in cats])
    cc = np.array([cur.get(c, 0) for c in cats])
    out.statistic, out.p_value = chi2_test(rc, cc, str(s.detector_backend))
    out.psi = psi(rc, cc, s.smoothing)
    out.js = js_distance(rc, cc)
    out.unseen = float(cc[rc == 0].sum() / cc.sum())
    out.vanished = float(rc[cc == 0].sum() / max(rc.sum(), 1))
    psi_thr, js_thr, _ = thresholds(ref, s)
    out.effect = max(out.psi / psi_thr, out.js / js_thr, out.unseen / s.unseen_alert)
    return out


def _binned(
    con: duckdb.DuckDBPyConnection | None,
    out: ColumnDrift,
    ref: dict[str, Any],
    ref_relation: str,
    s: DriftSettings,
    cur_vals: np.ndarray,
    counts: np.ndarray,
) -> ColumnDrift:
    """``out``'s figures for a numeric column with ``numeric_test: binned``, from its values
    and their ``counts`` in the reference-quantile bins: the chi-squared test of homogeneity
    on the bins (bins empty on both sides dropped), PSI and JS on the same bins, and
    :func:`~monitoring_pipelines.drift.stats.wasserstein_lower_bound` in reference stds. The
    effect is the larger of PSI and the bound over their thresholds, as ``ks``'s is of PSI
    and the exact distance: the bound is never above the distance, so a column's effect is
    never above the one ``ks`` finds (the p-values differ). A profile fitted before the
    reference's mean absolute deviation was kept has it computed from the reference (``con``
    must then be given)."""
    ref_counts = np.asarray(ref["counts"])
    keep = (ref_counts + counts) > 0
    out.statistic, out.p_value = chi2_test(ref_counts[keep], counts[keep], str(s.detector_backend))
    out.psi = psi(ref_counts, counts, s.smoothing)
    out.js = js_distance(ref_counts, counts)
    mad = ref.get("mad")
    if mad is None:
        mad = h.mean_abs_deviation(con, ref_relation, out.spec.expr(out.spec.ref_col), ref["mean"])
    bound, std = wasserstein_lower_bound(cur_vals, ref["mean"], mad), ref["std"]
    out.wasserstein_bound = bound / std if std > 0 else (0.0 if bound == 0 else float("inf"))
    psi_thr, _, w_thr = thresholds(ref, s)
    out.effect = max(out.psi / psi_thr, out.wasserstein_bound / w_thr)
    return out


def judge(d: ColumnDrift, s: DriftSettings) -> str:
    """Status from the corrected p-value and the effect size: both are needed to raise it."""
    if np.isnan(d.p_adjusted) or np.isnan(d.effect) or d.p_adjusted >= s.p_value:
        return "ok"
    if d.effect >= 1:
        return "alert"
    return "warn" if d.effect >= s.warn_fraction else "ok"
