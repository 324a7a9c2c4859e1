"""What is compared: the features, the model's outputs and the label, as SQL expressions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.model_config import Task
from monitoring_pipelines.store.sql import (
    ground_truth_table,
    predictions_table,
    qi,
    reference_table,
)

NUMERIC, CATEGORICAL = "numeric", "categorical"
FEATURE, OUTPUT, TARGET = "feature", "output", "target"


@dataclass(frozen=True)
class ColumnSpec:
    """One compared column: ``subject`` names it in the metrics (``output:score``,
    ``target:label`` or the feature), ``ref_col``/``cur_col`` are its columns in the reference
    and in the day's relation."""

    subject: str
    kind: str
    role: str
    ref_col: str
    cur_col: str

    def expr(self, column: str) -> str:
        """SQL expression of the column cast to the comparison's type."""
        t = "DOUBLE" if self.kind == NUMERIC else "VARCHAR"
        return f"TRY_CAST({qi(column)} AS {t})"


def column_specs(cfg: ModelConfig) -> list[ColumnSpec]:
    """Features first, then outputs (prediction, score or class scores), then the label."""
    specs = [ColumnSpec(f, NUMERIC, FEATURE, f, f) for f in cfg.features.numeric]
    specs += [ColumnSpec(f, CATEGORICAL, FEATURE, f, f) for f in cfg.features.categorical]
    c = cfg.columns
    pred_kind = NUMERIC if cfg.task is Task.regression else CATEGORICAL
    specs.append(
        ColumnSpec(f"output:{c.prediction}", pred_kind, OUTPUT, c.prediction, c.prediction)
    )
    if cfg.task is Task.binary and c.score:
        specs.append(ColumnSpec(f"output:{c.score}", NUMERIC, OUTPUT, c.score, c.score))
    for col in c.class_scores.values():
        specs.append(ColumnSpec(f"output:{col}", NUMERIC, OUTPUT, col, col))
    if c.label:
        specs.append(ColumnSpec(f"target:{c.label}", pred_kind, TARGET, c.label, "label"))
    return specs


def reference_relation(cfg: ModelConfig) -> str:
    """The reference table's name (quoted)."""
    return reference_table(cfg.name)


def day_relation(cfg: ModelConfig, role: str, day: date | list[date]) -> str:
    """A subquery with the day's rows (or several days'): prediction logs for features and
    outputs (failed predictions excluded from outputs), labels known so far for the target."""
    days = day if isinstance(day, list) else [day]
    in_days = ", ".join(f"DATE '{d.isoformat()}'" for d in days)
    if role == TARGET:
        return f"(SELECT * FROM {ground_truth_table(cfg.name)} WHERE _day IN ({in_days}))"
    where = f"_day IN ({in_days})"
    if role == OUTPUT and cfg.columns.error:
        where += f" AND {qi(cfg.columns.error)} IS NULL"
    return f"(SELECT * FROM {predictions_table(cfg.name)} WHERE {where})"
