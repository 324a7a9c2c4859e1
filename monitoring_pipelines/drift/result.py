"""A day's drift result and its rows in the ``drift`` metrics family.

Per column (subject = feature, ``output:<column>`` or ``target:<column>``): ``rows``,
``ks_statistic`` / ``chi2_statistic`` (categorical, and numeric with ``numeric_test:
binned``), ``p_value``, ``p_value_adjusted``, ``psi`` (nats), ``js_distance`` (base 2),
``wasserstein_norm`` (reference stds, numeric; ``wasserstein_bound``, its lower bound, with
the binned test), ``unseen_share`` /
``vanished_share`` (categorical), ``importance`` (share, features), ``weighted_drift``
(effect x importance share, features) and ``drift_effect`` (effect over its alert threshold)
which carries the column's status. Headline (subject ''): ``drifted_share`` (share of judged
features that alert), ``warned_share``, ``max_weighted_drift``, ``output_drift`` and
``target_drift`` (1 when any output / label column alerts), and the multivariate figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitoring_pipelines.drift.columns import FEATURE, NUMERIC, OUTPUT, TARGET
from monitoring_pipelines.drift.univariate import ColumnDrift
from monitoring_pipelines.store.metrics import Metric

_RANK = {"ok": 0, "warn": 1, "alert": 2}


def worst(statuses: list[str]) -> str:
    """The most severe of ``statuses`` ('ok' when empty)."""
    return max(statuses, key=_RANK.__getitem__, default="ok")


@dataclass
class DriftResult:
    """Drift of one model on one day (or trailing window) against its reference profile."""

    model: str
    columns: list[ColumnDrift]
    importance: dict[str, float]
    multivariate: list[Metric] = field(default_factory=list)
    extra: list[Metric] = field(default_factory=list)

    def of_role(self, role: str) -> list[ColumnDrift]:
        """Columns of one role (feature, output, target) that were judged."""
        return [c for c in self.columns if c.spec.role == role and not math.isnan(c.effect)]

    def weighted(self, c: ColumnDrift) -> float:
        """Effect size times the feature's importance share (NaN without importances)."""
        if not self.importance:
            return float("nan")
        return c.effect * self.importance.get(c.spec.subject, 0.0)

    def ranking(self) -> list[ColumnDrift]:
        """Judged features, most drifted first (by weighted drift, then effect)."""
        key = (
            (lambda c: (-self.weighted(c), -c.effect)) if self.importance else (lambda c: -c.effect)
        )
        return sorted(self.of_role(FEATURE), key=key)

    def headline(self) -> list[Metric]:
        """Subject-less figures (see the module docstring)."""
        feats = self.of_role(FEATURE)
        n = len(feats)
        alerts = sum(c.status == "alert" for c in feats)
        warns = sum(c.status == "warn" for c in feats)
        out = [
            Metric("features_judged", float(n)),
            Metric(
                "drifted_share",
                alerts / n if n else None,
                upper=0.0,
                status="alert" if alerts else ("warn" if warns else "ok"),
            ),
            Metric("warned_share", warns / n if n else None),
            Metric(
                "max_weighted_drift",
                max(self.weighted(c) for c in feats) if feats and self.importance else None,
            ),
        ]
        for role, name in ((OUTPUT, "output_drift"), (TARGET, "target_drift")):
            cols = self.of_role(role)
            if cols:
                status = worst([c.status for c in cols])
                out.append(Metric(name, float(status == "alert"), status=status))
        return out + self.multivariate

    def metrics(self) -> list[Metric]:
        """Every figure of the day, ready for ``replace_metrics(family='drift')``."""
        rows = self.headline() + self.extra
        for c in self.columns:
            s = c.spec.subject
            stat = "ks_statistic" if c.spec.kind == NUMERIC and not c.binned else "chi2_statistic"
            figures = {
                "rows": c.rows,
                stat: c.statistic,
                "p_value": c.p_value,
                "p_value_adjusted": c.p_adjusted,
                "psi": c.psi,
                "js_distance": c.js,
            }
            if c.binned:
                figures["wasserstein_bound"] = c.wasserstein_bound
            elif c.spec.kind == NUMERIC:
                figures["wasserstein_norm"] = c.wasserstein
            else:
                figures |= {"unseen_share": c.unseen, "vanished_share": c.vanished}
            if c.spec.role == FEATURE:
                figures["importance"] = self.importance.get(s)
                figures["weighted_drift"] = self.weighted(c)
            rows += [Metric(m, _num(v), subject=s) for m, v in figures.items()]
            rows.append(
                Metric("drift_effect", _num(c.effect), subject=s, upper=1.0, status=c.status)
            )
        return rows

    def table(self, top: int = 10) -> str:
        """Markdown table of the most drifted features."""
        head = (
            "| feature | status | effect | weighted | PSI | p adj. |\n|---|---|---|---|---|---|\n"
        )
        return head + "\n".join(
            f"| `{c.spec.subject}` | {c.status} | {c.effect:.3f} | {self.weighted(c):.3f} | "
            f"{c.psi:.3f} | {c.p_adjusted:.2g} |"
            for c in self.ranking()[:top]
        )


def _num(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    return None if math.isnan(v) else v
