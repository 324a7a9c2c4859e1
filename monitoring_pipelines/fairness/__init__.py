"""Fairness per sensitive attribute (FAIR-1), with fairlearn: figures per group, demographic
parity and equalized odds gaps over the groups large enough, bootstrap intervals, statuses.

No Dagster here: :func:`~monitoring_pipelines.fairness.data.fairness_rows` reads a model's
days, :func:`~monitoring_pipelines.fairness.calculator.fairness_figures` measures them and
:func:`~monitoring_pipelines.fairness.calculator.fairness_metrics` turns the figures into rows
of the metrics family ``fairness``.
"""

from monitoring_pipelines.fairness.calculator import (
    WINDOW,
    Breach,
    breaches,
    fairness_figures,
    fairness_metrics,
)
from monitoring_pipelines.fairness.data import FairnessRows, fairness_rows

__all__ = [
    "WINDOW",
    "Breach",
    "FairnessRows",
    "breaches",
    "fairness_figures",
    "fairness_metrics",
    "fairness_rows",
]
