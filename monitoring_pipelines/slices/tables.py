"""A slice search's group tables: every one- and two-column slice's count, sum and sum of
squares of the per-row loss (:func:`group_table`), and the table of the union of disjoint
row sets from theirs (:func:`combine_tables`), which is how the trailing window is searched
from its days (:mod:`.window`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring_pipelines.config.slices import SliceSettings
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.groups import Codes, group_stats
from monitoring_pipelines.slices.loss import RowLoss


def sliceable(codes: Codes, binning: Binning, s: SliceSettings) -> Codes:
    """The columns worth slicing (as codes): numeric ones, and categorical ones with at
    most ``max_categories`` distinct values."""
    return {
        c: (code, names)
        for c, (code, names) in codes.items()
        if c in binning.edges or np.count_nonzero(np.bincount(code)) <= s.max_categories
    }


PARTS = ["c1", "v1", "c2", "v2"]  # a group's first column and label, second (or None)


def _parts(groups: pd.DataFrame, cols: list[str]) -> dict[str, np.ndarray]:
    """c1, v1, c2, v2 of :func:`group_stats`'s (non-empty) groups over ``cols``."""
    values = groups[cols].to_numpy(object)
    there = pd.notna(values)
    rows = np.arange(len(groups))
    first = np.argmax(there, axis=1)
    second = len(cols) - 1 - np.argmax(there[:, ::-1], axis=1)
    single = there.sum(axis=1) == 1
    names = np.asarray(cols, dtype=object)
    return {
        "c1": names[first],
        "v1": values[rows, first],
        "c2": np.where(single, None, names[second]),
        "v2": np.where(single, None, values[rows, second]),
    }


def _without(groups: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The groups on none of ``cols``."""
    return groups[~groups["c1"].isin(cols) & ~groups["c2"].isin(cols)]


def conditions_of(groups: pd.DataFrame) -> list[tuple[tuple[str, str], ...]]:
    """Each group's ``((column, label),)`` or ``((column, label), (column, label))``."""
    return [
        ((a, b),) if c is None else ((a, b), (c, d))
        for a, b, c, d in zip(*(groups[x].tolist() for x in PARTS), strict=True)
    ]


@dataclass
class GroupTable:
    """Every slice's sufficient statistics over some rows (see :func:`group_table`):
    ``groups`` has one row per non-empty group: its column ``c1`` and label ``v1``, and for
    two-column groups ``c2`` and ``v2`` (else None; columns in the canonical order), ``n``,
    ``s`` and ``ss`` (count, sum and sum of squares of the loss centred on ``centre``);
    ``rows`` is the rows' count and ``total_ss`` their centred sum of squares; ``columns``
    the columns sliced."""

    groups: pd.DataFrame
    centre: float
    rows: int
    total_ss: float
    columns: tuple[str, ...]


def _empty_groups() -> pd.DataFrame:
    return pd.DataFrame({**{c: np.empty(0, object) for c in PARTS}, "n": np.empty(0, np.int64),
                         "s": np.empty(0), "ss": np.empty(0)})  # fmt: skip


def group_table(binning: Binning, loss: RowLoss, s: SliceSettings) -> GroupTable:
    """The sufficient statistics of every one- (and two-) column group of ``loss``'s rows
    over the columns worth slicing there (:func:`sliceable`)."""
    values = np.asarray(loss.loss, float)
    centre = float(np.mean(values)) if len(values) else 0.0
    labels = sliceable(binning.codes(loss.frame), binning, s)
    groups, _ = group_stats(labels, values, max_features=s.max_features, centre=centre)
    total_ss = float(np.sum((values - centre) ** 2))
    if groups.empty:
        groups = _empty_groups()
    else:
        groups = pd.DataFrame(
            {**_parts(groups, list(labels)), **{c: groups[c].to_numpy() for c in ("n", "s", "ss")}}
        )
    return GroupTable(groups, centre, len(values), total_ss, tuple(labels))


def combine_tables(tables: list[GroupTable], binning: Binning, s: SliceSettings) -> GroupTable:
    """The group table of the union of the rows of ``tables`` (disjoint row sets, e.g. the
    days of a window), as :func:`group_table` would give it on those rows at once.

    Counts and sums add after moving each part to the common centre (the pooled mean):
    ``s' = s + n·δ``, ``ss' = ss + 2δ·s + n·δ²`` with ``δ`` = part centre - pooled centre
    (Chan et al.'s pairwise update, exact in arithmetic). A column is sliced when it is sliced
    in every part with rows and, if categorical, has at most ``max_categories`` labels
    across them; groups on other columns are left out."""
    parts = [t for t in tables if t.rows > 0]
    if not parts:
        return GroupTable(_empty_groups(), 0.0, 0, 0.0, ())
    rows = sum(t.rows for t in parts)
    centre = sum(t.centre * t.rows for t in parts) / rows
    cols = [c for c in parts[0].columns if all(c in t.columns for t in parts[1:])]
    frames, total_ss = [], 0.0
    for t in parts:
        g = t.groups
        dropped = [c for c in t.columns if c not in cols]
        if dropped:
            g = _without(g, dropped)
        delta = t.centre - centre
        n, sums = g["n"].to_numpy(float), g["s"].to_numpy(float)
        frames.append(
            g[PARTS].assign(
                n=g["n"].to_numpy(np.int64),
                s=sums + n * delta,
                ss=g["ss"].to_numpy(float) + 2 * delta * sums + n * delta * delta,
            )
        )
        total_ss += t.total_ss + t.rows * delta * delta  # a part's centred sum is zero
    groups = (
        pd.concat(frames, ignore_index=True)
        .groupby(PARTS, dropna=False, sort=False)[["n", "s", "ss"]]
        .sum()
        .reset_index()
    )
    for c in ("c2", "v2"):  # groupby gives NaN for the missing second column
        groups[c] = groups[c].astype(object).where(groups[c].notna(), None)
    singles = groups.loc[groups["c2"].isna(), "c1"].value_counts()
    too_many = [c for c in cols if c not in binning.edges and singles.get(c, 0) > s.max_categories]
    if too_many:
        groups = _without(groups, too_many)
        cols = [c for c in cols if c not in too_many]
    return GroupTable(groups.reset_index(drop=True), centre, rows, total_ss, tuple(cols))
