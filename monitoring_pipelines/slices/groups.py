"""Per-group sufficient statistics of a per-row loss over every one- and two-column
combination, counted with ``numpy.bincount`` over integer codes of the labels (one pass per
combination). DuckDB's ``GROUP BY GROUPING SETS`` gave the same figures but held ~1.3 GB for
253 sets over 233,000 rows (its hash tables for grouping sets do not spill), against ~70 MB
and half the time here."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from monitoring_pipelines.cores import near_equal, side_by_side

Codes = dict[str, tuple[np.ndarray, np.ndarray]]  # column -> (code per row, label per code)

SPLIT_THREADS = 2  # the machines this runs on have two cores
MIN_SPLIT_ROWS = 100_000
"""Rows below which one thread counts the sets as fast as two: at a W1 day's 33,000 rows a
set's counts are too small for numpy to release the GIL for long (253 sets: 57 ms on one
thread, 61 ms on two), at a reference chunk's 250,000 rows they are not (290 -> 205 ms)."""


def factorize(labels: pd.DataFrame) -> Codes:
    """Codes of a frame of labels (one non-null label per row and column)."""
    out = {}
    for c in labels.columns:
        code, uniques = pd.factorize(labels[c], use_na_sentinel=True)
        out[c] = (code.astype(np.int64), np.asarray(uniques, dtype=object))
    return out


def group_stats(
    labels: pd.DataFrame | Codes,
    loss: np.ndarray,
    *,
    max_features: int = 2,
    centre: float | None = None,
    threads: int = SPLIT_THREADS,
) -> tuple[pd.DataFrame, float]:
    """(groups, centre): count ``n``, sum ``s`` and sum of squares ``ss`` per group of the
    loss centred on ``centre`` (default: its mean over all rows), which keeps variances
    accurate.

    ``labels``: one non-null label per row and column, as a frame or as codes
    (:meth:`Binning.codes <monitoring_pipelines.slices.binning.Binning.codes>`, distinct
    codes with distinct labels). Groups are every value of each column and, with
    ``max_features`` 2, every pair of values of two columns. Returns one row per non-empty
    group with the labels' columns (None where the column is not part of the group), plus
    ``n``, ``s``, ``ss``; a group's mean loss is ``centre + s / n``. ``threads``: see
    :func:`group_sums`.
    """
    codes = factorize(labels) if isinstance(labels, pd.DataFrame) else labels
    cols = list(codes)
    if not cols or len(loss) == 0:
        return pd.DataFrame(columns=[*cols, "n", "s", "ss"]), 0.0
    centre = float(np.mean(loss)) if centre is None else float(centre)
    d = np.asarray(loss, float) - centre
    sums = group_sums(codes, {"s": d, "ss": d * d}, max_features=max_features, threads=threads)
    return sums, centre


def group_sums(
    codes: Codes,
    values: dict[str, np.ndarray],
    *,
    max_features: int = 2,
    threads: int = SPLIT_THREADS,
) -> pd.DataFrame:
    """Count ``n`` and the sum of each of ``values`` (name -> one value per row) per group of
    the rows' ``codes``: every value of each column and, with ``max_features`` 2, every pair
    of values of two columns. One row per non-empty group with the codes' columns (their
    labels, None where the column is not part of the group), ``n`` and a column per value.
    Each group's key and count are taken once however many values are summed.

    The sets are counted on ``threads`` threads (near-equal runs of sets) from
    :data:`MIN_SPLIT_ROWS` rows: each set's counts depend on its own key alone and
    ``numpy.bincount`` releases the GIL, so the figures are those of one thread, to the bit."""
    cols = list(codes)
    if not cols:
        return pd.DataFrame(columns=[*cols, "n", *values])
    code = [codes[c][0] for c in cols]
    names = [codes[c][1] for c in cols]
    weights = {name: np.asarray(v, float) for name, v in values.items()}
    sets: list[tuple[int, ...]] = [(i,) for i in range(len(cols))]
    if max_features >= 2:
        sets += list(combinations(range(len(cols)), 2))
    sizes = [len(n) for n in names]

    def one_set(group: tuple[int, ...]) -> tuple[list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """(label index per column, count, sum per value) of one set's non-empty groups."""
        if len(group) == 1:
            key, size = code[group[0]], sizes[group[0]]
        else:
            i, j = group
            key, size = code[i] * sizes[j] + code[j], sizes[i] * sizes[j]
        n = np.bincount(key, minlength=size)
        hit = np.flatnonzero(n)
        parts = (
            {group[0]: hit}
            if len(group) == 1
            else {group[0]: hit // sizes[group[1]], group[1]: hit % sizes[group[1]]}
        )
        index = [parts.get(c, -np.ones(len(hit), np.int64)) for c in range(len(cols))]
        sums = [np.bincount(key, weights=w, minlength=size)[hit] for w in weights.values()]
        return index, n[hit], sums

    rows = len(code[0])
    if threads > 1 and rows >= MIN_SPLIT_ROWS and len(sets) > 1:
        runs = side_by_side(
            lambda a, b: [one_set(g) for g in sets[a:b]],
            near_equal(len(sets), min(threads, len(sets))),
            "group-sums",
        )
        done = [d for run in runs for d in run]
    else:
        done = [one_set(group) for group in sets]
    label_index = [[d[0][c] for d in done] for c in range(len(cols))]
    ns = [d[1] for d in done]
    sums = {name: [d[2][k] for d in done] for k, name in enumerate(weights)}
    out = {}
    for c, col in enumerate(cols):  # index -1 takes the appended None: not in the group
        out[col] = np.append(names[c], None)[np.concatenate(label_index[c])]
    out["n"] = np.concatenate(ns)
    for name, parts_ in sums.items():
        out[name] = np.concatenate(parts_)
    return pd.DataFrame(out)
