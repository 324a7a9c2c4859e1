"""Per-group sufficient statistics of a per-row loss, computed in DuckDB with one
``GROUP BY GROUPING SETS`` query over every one- and two-column combination."""

from __future__ import annotations

from itertools import combinations

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.store.sql import qi

RELATION = "_slice_rows"


def group_stats(
    con: duckdb.DuckDBPyConnection,
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
    # group on integer codes (DuckDB reads them without converting Python strings), then
    # map the codes back to the labels
    codes, names = {}, {}
    for i, c in enumerate(cols):
        code, uniques = pd.factorize(labels[c], use_na_sentinel=True)
        codes[f"c{i}"] = code.astype(np.int32)
        names[f"c{i}"] = np.asarray(uniques, dtype=object)
    rel = pd.DataFrame(codes)
    rel["_d"] = np.asarray(loss, float) - centre
    keys = list(codes)
    sets = [(c,) for c in keys]
    if max_features >= 2:
        sets += list(combinations(keys, 2))
    grouping = ", ".join("(" + ", ".join(qi(c) for c in s) + ")" for s in sets)
    select = ", ".join(qi(c) for c in keys)
    con.register(RELATION, rel)
    try:
        got = con.execute(
            f"SELECT {select}, count(*) AS n, sum(_d) AS s, sum(_d * _d) AS ss "
            f"FROM {RELATION} GROUP BY GROUPING SETS ({grouping})"
        ).df()
    finally:
        con.unregister(RELATION)
    out = pd.DataFrame(index=got.index)
    for key, col in zip(keys, cols, strict=True):
        code = got[key]
        present = code.notna().to_numpy()
        values = np.full(len(got), None, dtype=object)
        values[present] = names[key][code[present].to_numpy(np.int64)]
        out[col] = values
    for c in ("n", "s", "ss"):
        out[c] = got[c].to_numpy()
    return out, centre
