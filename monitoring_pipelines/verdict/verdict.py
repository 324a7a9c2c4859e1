"""A day's verdict (ok / warning / critical) and its causes, ranked.

Every metric row of the day with status ``warn`` or ``alert`` is a candidate cause. Its weight
is 2 x the status (2 alert, 1 warn), plus 1 when its kind can make the day critical
(``critical_kinds``), plus a magnitude in [0, 1) that orders causes of one status and tier:

- drift: a feature's importance-weighted drift (``weighted_drift``, effect x importance share),
  so a drifted feature the model relies on ranks above one it ignores;
- segment: the segment's or slice's contribution to the day's performance change: its share
  of the rows x its relative gap (its mean loss over the whole's, minus 1);
- performance / estimated performance: the relative distance past the band;
- anything else: 0.5.

Ties break by kind (quality first: broken data explains the rest), then by name. Causes are
collapsed per (kind, name): the strongest row wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from monitoring_pipelines.config.verdict import VerdictSettings
from monitoring_pipelines.store.metrics import Metric

SEVERITY = {"ok": 0, "warn": 1, "alert": 2}
LEVELS = ("ok", "warning", "critical")
LEVEL_STATUS = {"ok": "ok", "warning": "warn", "critical": "alert"}
KIND_ORDER = [
    "quality", "health", "performance", "estimated_performance", "drift", "segment",
    "fairness", "outliers", "review", "labels", "estimation", "operating_point", "comparison",
]  # fmt: skip
MAGNITUDE_CAP = 0.99


@dataclass(frozen=True)
class Cause:
    kind: str
    name: str  # feature, segment, metric ...
    status: str  # warn | alert
    weight: float
    detail: str

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass
class Verdict:
    level: str  # ok | warning | critical
    causes: list[Cause]

    @property
    def code(self) -> int:
        return LEVELS.index(self.level)

    def breaches(self) -> list[str]:
        """The kinds with an alerting cause (what alerts and retraining key on)."""
        return sorted({c.kind for c in self.causes if c.status == "alert"})

    def metrics(self) -> list[Metric]:
        """Rows of the ``verdict`` family: ``health`` (0 ok, 1 warning, 2 critical), one
        ``cause`` per cause (subject ``kind:name``, value = weight, the cause's status) and
        ``causes`` (how many)."""
        rows = [
            Metric("health", float(self.code), upper=0.0, status=LEVEL_STATUS[self.level]),
            Metric("causes", float(len(self.causes))),
        ]
        rows += [Metric("cause", c.weight, subject=c.subject, status=c.status) for c in self.causes]
        return rows

    def summary(self) -> str:
        if not self.causes:
            return f"{self.level}: nothing breached"
        top = ", ".join(f"{c.subject} ({c.status})" for c in self.causes[:3])
        return f"{self.level}: {top}"

    def table(self) -> str:
        head = "| rank | cause | status | weight | detail |\n|---|---|---|---|---|\n"
        body = "\n".join(
            f"| {i} | `{c.subject}` | {c.status} | {c.weight:.3f} | {c.detail} |"
            for i, c in enumerate(self.causes, 1)
        )
        return head + (body or "| | nothing breached | | | |")


def _fmt(x) -> str:
    return "" if x is None or pd.isna(x) else f"{x:.4g}"


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _contribution(family: str, subject: str, lookup: dict) -> float:
    """A segment's contribution to the day's loss change: its share of the rows times its
    relative gap (segment mean loss / whole - 1). The whole's rows: the family's headline
    ``rows``, else the rows of the segment column's values together."""
    gap = _num(lookup.get((family, "relative_gap", subject)))
    rows = _num(lookup.get((family, "rows", subject))) or _num(
        lookup.get((family, "support", subject))
    )
    if gap is None:
        return 0.5
    total = _num(lookup.get((family, "rows", "")))
    if total is None:
        column = subject.split("=", 1)[0] + "="
        total = sum(
            v for (f, m, s), v in lookup.items()
            if f == family and m == "rows" and s.startswith(column) and "&" not in s
            and _num(v) is not None
        )  # fmt: skip
    if not rows or not total:
        return abs(gap)
    return abs(gap) * rows / total


def _magnitude(kind: str, row, lookup: dict) -> float:
    value, lower, upper = row.value, row.lower, row.upper
    if kind == "drift" and row.subject:
        w = lookup.get(("drift", "weighted_drift", row.subject))
        if w is not None and not pd.isna(w):
            return float(w)
    if kind == "segment" and row.subject:
        return _contribution(row.family, row.subject, lookup)
    if kind in ("performance", "estimated_performance") and value is not None:
        for bound in (lower, upper):
            if bound is not None and not pd.isna(bound) and bound != 0 and not pd.isna(value):
                return abs(float(value) - float(bound)) / abs(float(bound))
        return 0.5
    return 0.5


def judge(rows: pd.DataFrame, settings: VerdictSettings) -> Verdict:
    """The verdict of one model's day from its ``metrics`` rows (columns family, metric,
    subject, value, lower, upper, status)."""
    lookup = {(r.family, r.metric, r.subject): r.value for r in rows.itertuples(index=False)}
    best: dict[tuple[str, str], Cause] = {}
    for r in rows.itertuples(index=False):
        kind = settings.kinds.get(r.family)
        sev = SEVERITY.get(r.status, 0)
        if kind is None or sev == 0:
            continue
        name = r.subject or r.metric
        mag = min(max(_magnitude(kind, r, lookup), 0.0), MAGNITUDE_CAP)
        detail = f"{r.family}.{r.metric} = {_fmt(r.value)}"
        if _fmt(r.lower) or _fmt(r.upper):
            detail += f" (band {_fmt(r.lower) or '-inf'} .. {_fmt(r.upper) or 'inf'})"
        tier = 1.0 if kind in settings.critical_kinds else 0.0
        cause = Cause(kind, name, r.status, 2.0 * sev + tier + mag, detail)
        key = (kind, name)
        if key not in best or cause.weight > best[key].weight:
            best[key] = cause
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    causes = sorted(best.values(), key=lambda c: (-c.weight, order.get(c.kind, len(order)), c.name))
    critical = any(c.status == "alert" and c.kind in settings.critical_kinds for c in causes)
    level = "critical" if critical else ("warning" if causes else "ok")
    return Verdict(level, causes[: settings.top_causes])
