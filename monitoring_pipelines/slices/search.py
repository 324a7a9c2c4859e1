"""The automatic search for the worst-performing slices of a day (or window).

A slice is the rows with one value (or numeric bin) of one column, or of two columns at once.
Every slice with enough support is tested: one-sided Welch t-test of its per-row loss against
the other rows', the p-values adjusted for the number of slices tried. Slices are ranked by
the gap of their mean loss to the whole's, significant ones first. A two-feature slice that
is not significantly worse than the rest of one of its one-feature parents adds nothing to
that parent and is not ranked (``prune_redundant``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np

from monitoring_pipelines.config.slices import SliceSettings
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.loss import REALIZED, RowLoss
from monitoring_pipelines.slices.stats import adjust, moments, welch_greater
from monitoring_pipelines.slices.tables import GroupTable, conditions_of, group_table
from monitoring_pipelines.store.metrics import Metric


@dataclass
class Slice:
    """One ranked slice. Loss figures are in the loss's units (share of errors for
    classifiers, target units for regressors); ``relative_gap`` = mean / whole mean - 1."""

    slice_id: str
    conditions: tuple[tuple[str, str], ...]
    support: int
    mean_loss: float
    gap: float
    relative_gap: float
    rest_mean_loss: float
    reference_relative_gap: float
    t: float
    p_value: float
    p_adjusted: float
    significant: bool
    status: str
    rank: int = 0


@dataclass
class SliceSearch:
    """The outcome of one search: the whole's figures, the slices tried and the ranking."""

    source: str
    rows: int
    served: int
    labelled: int
    mean_loss: float
    tried: int
    slices: list[Slice] = field(default_factory=list)

    @property
    def significant(self) -> list[Slice]:
        """Ranked slices significant after the correction."""
        return [s for s in self.slices if s.significant]


def slice_id(conditions: tuple[tuple[str, str], ...]) -> str:
    """Stable id: ``col=label`` joined by ``&`` in the slicing columns' canonical order."""
    return "&".join(f"{c}={v}" for c, v in conditions)


def status(significant: bool, excess_gap: float, s: SliceSettings) -> str:
    """'alert' / 'warn' for a significant group whose relative gap, in excess of its gap on
    the reference (see :mod:`.baseline`), reaches the threshold."""
    if significant and excess_gap >= s.alert_gap:
        return "alert"
    if significant and excess_gap >= s.warn_gap:
        return "warn"
    return "ok"


def search_slices(
    con: duckdb.DuckDBPyConnection,
    binning: Binning,
    loss: RowLoss,
    s: SliceSettings,
    reference: dict[str, float] | None = None,
) -> SliceSearch:
    """Rank the slices of ``loss``'s rows by their loss gap (see the module docstring).

    ``reference``: slice id -> its relative gap on the reference; a slice's status judges
    its relative gap minus that (0 for slices not in it)."""
    if len(loss.loss) == 0:
        return SliceSearch(loss.source, 0, loss.served, loss.labelled, float("nan"), 0)
    table = group_table(binning, loss, s)
    return rank_slices(table, s, reference, loss.source, loss.served, loss.labelled)


def rank_slices(
    table: GroupTable,
    s: SliceSettings,
    reference: dict[str, float] | None,
    source: str,
    served: int,
    labelled: int,
) -> SliceSearch:
    """The ranking of :func:`search_slices` from the rows' group table."""
    reference = reference or {}
    big_n = table.rows
    out = SliceSearch(source, big_n, served, labelled, float("nan"), 0)
    if big_n == 0:
        return out
    centre = table.centre
    total_s, total_ss = 0.0, table.total_ss  # the centred loss sums to zero over all rows
    out.mean_loss = centre
    need = max(s.min_support, int(np.ceil(s.min_support_share * big_n)))
    groups = table.groups
    groups = groups[(groups["n"] >= need) & (groups["n"] < big_n)].reset_index(drop=True)
    out.tried = len(groups)
    if groups.empty:
        return out
    conditions = conditions_of(groups)
    n, sums, ss = (groups[c].to_numpy(float) for c in ("n", "s", "ss"))
    m1, v1 = moments(n, sums, ss)
    m2, v2 = moments(big_n - n, total_s - sums, total_ss - ss)
    t, p = welch_greater(n, m1, v1, big_n - n, m2, v2)
    p_adj = adjust(p, s.correction)
    keep = np.ones(len(groups), bool)
    if s.prune_redundant:
        keep = _adds_to_parents(conditions, n, sums, ss, s)
    slices = []
    for i in np.flatnonzero(keep):
        gap = float(m1[i])
        rel = gap / centre if centre > 0 else (np.inf if gap > 0 else 0.0)
        sig = bool(p_adj[i] < s.alpha and gap > 0)
        cond = conditions[i]
        usual = reference.get(slice_id(cond), 0.0)
        slices.append(
            Slice(
                slice_id(cond),
                cond,
                int(n[i]),
                centre + float(m1[i]),
                gap,
                float(rel),
                centre + float(m2[i]),
                usual,
                float(t[i]),
                float(p[i]),
                float(p_adj[i]),
                sig,
                status(sig, float(rel) - usual, s),
            )
        )
    slices.sort(key=lambda x: (not x.significant, -x.gap, len(x.conditions), x.slice_id))
    for r, x in enumerate(slices, start=1):
        x.rank = r
    out.slices = slices
    return out


def _adds_to_parents(
    conditions: list[tuple], n: np.ndarray, sums: np.ndarray, ss: np.ndarray, s: SliceSettings
) -> np.ndarray:
    """Mask of slices to rank: one-feature slices, and two-feature slices whose loss is
    significantly above the rest of each one-feature parent's rows (one-sided Welch tests;
    a child's p-value is the larger of its two, adjusted over the children by
    ``s.correction``, compared with ``s.alpha``). A parent that was not tested (it holds
    every row) does not prune."""
    index = {cond[0]: i for i, cond in enumerate(conditions) if len(cond) == 1}
    children = [i for i, cond in enumerate(conditions) if len(cond) == 2]
    keep = np.ones(len(conditions), bool)
    if not children:
        return keep
    child, parent = [], []
    for i in children:
        for part in conditions[i]:
            if part in index:
                child.append(i)
                parent.append(index[part])
    child_p = np.zeros(len(conditions))
    if child:
        c, q = np.array(child), np.array(parent)
        m1, v1 = moments(n[c], sums[c], ss[c])
        m2, v2 = moments(n[q] - n[c], sums[q] - sums[c], ss[q] - ss[c])
        _, p = welch_greater(n[c], m1, v1, n[q] - n[c], m2, v2)
        np.maximum.at(child_p, c, p)
    adjusted = adjust(child_p[children], s.correction)
    keep[children] = adjusted < s.alpha
    return keep


def search_metrics(result: SliceSearch, top_k: int) -> list[Metric]:
    """Metrics of family 'slices': headline figures (no subject) and, for the ``top_k``
    ranked slices, gap (carrying the slice's status), relative_gap, mean_loss, support,
    p_value, p_adjusted and rank, with the slice id as subject."""
    top = result.slices[:top_k]
    worst = top[0] if top else None
    out = [
        Metric("rows", result.rows),
        Metric("loss_realized", 1.0 if result.source == REALIZED else 0.0),
        Metric("label_coverage", result.labelled / result.served if result.served else 0.0),
        Metric("mean_loss", result.mean_loss),
        Metric("slices_tried", result.tried),
        Metric("significant_slices", len(result.significant)),
        Metric("flagged_slices", sum(x.status != "ok" for x in result.slices)),
        Metric("worst_gap", worst.gap if worst else 0.0, status=worst.status if worst else "ok"),
        Metric("worst_relative_gap", worst.relative_gap if worst else 0.0),
    ]
    for x in top:
        out += [
            Metric("gap", x.gap, x.slice_id, status=x.status),
            Metric("relative_gap", x.relative_gap, x.slice_id),
            Metric("reference_relative_gap", x.reference_relative_gap, x.slice_id),
            Metric("mean_loss", x.mean_loss, x.slice_id),
            Metric("support", x.support, x.slice_id),
            Metric("p_value", x.p_value, x.slice_id),
            Metric("p_adjusted", x.p_adjusted, x.slice_id),
            Metric("rank", x.rank, x.slice_id),
        ]
    return out


def slices_table(result: SliceSearch, top_k: int) -> str:
    """Markdown table of the ``top_k`` ranked slices."""
    head = (
        f"Loss: **{result.source}** on {result.rows} rows, mean {result.mean_loss:.4g}; "
        f"{result.tried} slices tried.\n\n"
        "| rank | slice | support | mean loss | gap | relative gap | on reference | p adjusted "
        "| status |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = "\n".join(
        f"| {x.rank} | `{x.slice_id}` | {x.support} | {x.mean_loss:.4g} | {x.gap:+.4g} | "
        f"{x.relative_gap:+.1%} | {x.reference_relative_gap:+.1%} | {x.p_adjusted:.3g} | "
        f"{x.status} |"
        for x in result.slices[:top_k]
    )
    return head + rows
