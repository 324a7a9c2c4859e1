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
) -> tuple[pd.DataFrame, float]:
    """(groups, centre): count ``n``, sum ``s`` and sum of squares ``ss`` per group of the
    loss centred on ``centre`` (its mean over all rows), which keeps variances accurate.

    ``labels``: one non-null string label per row and column. Groups are every value of each
    column and, with ``max_features`` 2, every pair of values of two columns. Returns one row
    per group with the labels' columns (None where the column is not part of the group),
    plus ``n``, ``s``, ``ss``; a group's mean loss is ``centre + s / n``.
    """
    cols = list(labels.columns)
    if not cols or len(loss) == 0:
        return pd.DataFrame(columns=[*cols, "n", "s", "ss"]), 0.0
    centre = float(np.mean(loss))
    rel = labels.reset_index(drop=True).copy()
    rel.columns = [f"c{i}" for i in range(len(cols))]
    rel["_d"] = np.asarray(loss, float) - centre
    sets = [(c,) for c in rel.columns[:-1]]
    if max_features >= 2:
        sets += list(combinations(rel.columns[:-1], 2))
    grouping = ", ".join("(" + ", ".join(qi(c) for c in s) + ")" for s in sets)
    select = ", ".join(qi(c) for c in rel.columns[:-1])
    con.register(RELATION, rel)
    try:
        got = con.execute(
            f"SELECT {select}, count(*) AS n, sum(_d) AS s, sum(_d * _d) AS ss "
            f"FROM {RELATION} GROUP BY GROUPING SETS ({grouping})"
        ).df()
    finally:
        con.unregister(RELATION)
    got.columns = [*cols, "n", "s", "ss"]
    got[cols] = got[cols].astype(object).where(got[cols].notna(), None)
    return got, centre
