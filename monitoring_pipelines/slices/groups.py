"""Per-group sufficient statistics of a per-row loss over every one- and two-column
combination, counted with ``numpy.bincount`` over integer codes of the labels (one pass per
combination). DuckDB's ``GROUP BY GROUPING SETS`` gave the same figures but held ~1.3 GB for
253 sets over 233,000 rows (its hash tables for grouping sets do not spill), against ~70 MB
and half the time here."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd


def group_stats(
    labels: pd.DataFrame,
    loss: np.ndarray,
    *,
    max_features: int = 2,
    centre: float | None = None,
) -> tuple[pd.DataFrame, float]:
    """(groups, centre): count ``n``, sum ``s`` and sum of squares ``ss`` per group of the
    loss centred on ``centre`` (default: its mean over all rows), which keeps variances
    accurate.

    ``labels``: one non-null string label per row and column. Groups are every value of each
    column and, with ``max_features`` 2, every pair of values of two columns. Returns one row
    per group with the labels' columns (None where the column is not part of the group),
    plus ``n``, ``s``, ``ss``; a group's mean loss is ``centre + s / n``.
    """
    cols = list(labels.columns)
    if not cols or len(loss) == 0:
        return pd.DataFrame(columns=[*cols, "n", "s", "ss"]), 0.0
    centre = float(np.mean(loss)) if centre is None else float(centre)
    d = np.asarray(loss, float) - centre
    d2 = d * d
    codes, names = [], []
    for c in cols:
        code, uniques = pd.factorize(labels[c], use_na_sentinel=True)
        codes.append(code.astype(np.int64))
        names.append(np.asarray(uniques, dtype=object))
    sets: list[tuple[int, ...]] = [(i,) for i in range(len(cols))]
    if max_features >= 2:
        sets += list(combinations(range(len(cols)), 2))
    parts = []
    for group in sets:
        if len(group) == 1:
            key, size = codes[group[0]], len(names[group[0]])
        else:
            i, j = group
            key, size = codes[i] * len(names[j]) + codes[j], len(names[i]) * len(names[j])
        n = np.bincount(key, minlength=size)
        hit = np.flatnonzero(n)
        part = {c: np.full(len(hit), None, dtype=object) for c in cols}
        if len(group) == 1:
            part[cols[group[0]]] = names[group[0]][hit]
        else:
            i, j = group
            part[cols[i]] = names[i][hit // len(names[j])]
            part[cols[j]] = names[j][hit % len(names[j])]
        part["n"] = n[hit]
        part["s"] = np.bincount(key, weights=d, minlength=size)[hit]
        part["ss"] = np.bincount(key, weights=d2, minlength=size)[hit]
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True), centre
