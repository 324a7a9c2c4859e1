"""Fairness figures for people: markdown tables and the headline numbers of a day."""

from __future__ import annotations

from monitoring_pipelines.fairness.calculator import Breach
from monitoring_pipelines.fairness.result import AttributeFigures, Figure
from monitoring_pipelines.store.metrics import Metric

HEADLINE = (
    "dp_difference",
    "dp_ratio",
    "eo_difference",
    "accuracy_difference",
    "mae_gap",
    "mae_gap_relative",
)
COLUMNS = ("selection_rate", "accuracy", "tpr", "fpr", "mean_prediction", "mae")


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(f: Figure | None) -> str:
    if f is None or f.value is None:
        return "–"
    if f.lower is None or f.upper is None:
        return _num(f.value)
    return f"{_num(f.value)} [{_num(f.lower)}, {_num(f.upper)}]"


def headline(metrics: list[Metric]) -> dict[str, float]:
    """Attribute-level gaps as ``<metric>_<attribute>`` floats (e.g. ``eo_difference_age_band``,
    ``window_eo_difference_age_band``), which the UI plots over partitions."""
    out = {}
    for m in metrics:
        base = m.metric.removeprefix("window_")
        if base in HEADLINE and m.subject and "=" not in m.subject and m.value is not None:
            out[f"{m.metric}_{m.subject}"] = float(m.value)
    return out


def groups_table(figures: list[AttributeFigures]) -> str:
    """One markdown row per group: rows, labelled rows, the group figures with their
    intervals, and whether it was too small to enter the differences."""
    present = [c for c in COLUMNS if any(c in g.figures for f in figures for g in f.groups)]
    extra = sorted(
        {c for f in figures for g in f.groups for c in g.figures if c.startswith("selection_rate_")}
    )
    cols = [*present, *extra]
    lines = [
        "| group | rows | labelled | " + " | ".join(cols) + " | note |",
        "|---|---:|---:|" + "---:|" * len(cols) + "---|",
    ]
    for fig in figures:
        for g in fig.groups:
            note = (
                "null attribute"
                if g.missing
                else "insufficient"
                if g.insufficient
                else "insufficient labels"
                if g.insufficient_labels
                else ""
            )
            row = [
                g.subject,
                _num(g.figures["rows"].value, 0),
                _num(g.figures["labelled_rows"].value, 0),
            ]
            row += [_cell(g.figures.get(c)) for c in cols]
            lines.append("| " + " | ".join([*row, note]) + " |")
    return "\n".join(lines)


def gaps_table(figures: list[AttributeFigures], metrics: list[Metric], prefix: str = "") -> str:
    """One markdown row per attribute-level gap: value, interval, status, groups at the ends
    (``prefix``: of the metric names the statuses are read from, ``window_`` for a window)."""
    status = {(m.metric, m.subject): m.status for m in metrics}
    lines = [
        "| attribute | gap | value [interval] | status | high | low |",
        "|---|---|---|---|---|---|",
    ]
    for fig in figures:
        for name, gap in fig.gaps.items():
            st = status.get((prefix + name, fig.attribute))
            lines.append(
                f"| {fig.attribute} | {name} | {_cell(gap.figure)} | {st or 'ok'} | "
                f"{gap.high or '–'} | {gap.low or '–'} |"
            )
    return "\n".join(lines)


def breaches_table(found: list[Breach]) -> str:
    """One markdown row per breach, worst first."""
    lines = [
        "| attribute | metric | status | value | limit | excess | interval | groups |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    for b in found:
        lines.append(
            f"| {b.attribute} | {b.metric} | {b.status} | {_num(b.value)} | {_num(b.limit)} | "
            f"{_num(b.excess)} | [{_num(b.lower)}, {_num(b.upper)}] | "
            f"{b.low_group} (lowest {b.group_metric}) vs {b.high_group} (highest) |"
        )
    return "\n".join(lines)
