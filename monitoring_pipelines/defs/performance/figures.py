"""How performance assets show their figures: a markdown table and a check on the worst."""

import dagster as dg

from monitoring_pipelines.defs.common import metric_check
from monitoring_pipelines.store.metrics import Metric

SEVERITY = {"ok": 0, "warn": 1, "alert": 2}


def worst_check(metrics: list[Metric], judged: list[str], check: str) -> dg.AssetCheckResult:
    """The check judged by the worst-status judged metric (passes when there is none)."""
    pool = [m for m in metrics if m.metric in judged and not m.subject and m.value is not None]
    if not pool:
        return dg.AssetCheckResult(
            check_name=check, passed=True, metadata={"note": "no judged figure this day"}
        )
    worst = max(pool, key=lambda m: (SEVERITY[m.status], -judged.index(m.metric)))
    return metric_check(check, worst)


def figures_table(metrics: list[Metric]) -> dg.MetadataValue:
    def f(x):
        return "" if x is None else f"{x:.4g}"

    rows = "\n".join(
        f"| {m.metric} | {m.subject} | {f(m.value)} | {f(m.lower)} | {f(m.upper)} | {m.status} |"
        for m in metrics
    )
    return dg.MetadataValue.md(
        "| metric | subject | value | lower | upper | status |\n|---|---|---|---|---|---|\n" + rows
    )
