"""The human review queue: capacity, control group, recall audit (owned by the review layer);
every threshold here.

Rows sent to people: soft actions (score >= actions.soft and < actions.hard; multiclass: the
top class score) and, with ``include_outliers``, the day's outliers. The backlog accumulates
inflow minus ``capacity_per_day`` over the trailing ``backlog_days`` (never below zero) and is
projected ``projection_days`` ahead at the mean inflow of the trailing ``trailing_days``.

Control group: ``control_share`` of the traffic is decided by people whatever the model said;
the boolean log column ``control_column`` marks it. The precision of the model's positive
decisions is estimated on the labelled control rows of the trailing ``control_window_days``.

Recall audit (binary models): every day about ``audit_budget_per_day`` negatives (rows below
the soft threshold) are drawn, each with probability pi proportional to score **
``audit_exponent``, clipped to [``audit_min_probability``, 1]; their labels give a
Horvitz-Thompson estimate of the missed positives.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Review(BaseModel):
    """Rows sent to people, and how their decisions are sampled to estimate precision/recall."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity_per_day: int | None = Field(
        default=None, ge=0, description="rows people review a day; None: capacity not judged"
    )
    control_share: float = Field(default=0.0, ge=0, le=1)
    control_column: str | None = Field(
        default=None, description="boolean log column marking control-group rows"
    )
    control_window_days: int = Field(
        default=28, ge=1, description="trailing days (ending on the day) of control rows used"
    )
    include_outliers: bool = Field(default=True, description="outliers go to review too")
    backlog_days: int = Field(
        default=28, ge=1, description="trailing days over which the backlog accumulates"
    )
    trailing_days: int = Field(default=7, ge=1, description="days of inflow the projection uses")
    projection_days: int = Field(default=7, ge=1, description="how far the backlog is projected")
    audit_budget_per_day: int = Field(
        default=50, ge=0, description="expected negatives audited a day; 0 turns the audit off"
    )
    audit_exponent: float = Field(
        default=0.5,
        ge=0,
        description="pi proportional to score ** this (0: uniform). With calibrated scores "
        "0.5 minimizes the variance of the estimated missed positives (sum p (1 - pi) / pi)",
    )
    audit_min_probability: float = Field(
        default=0.01,
        gt=0,
        le=1,
        description="floor of pi (lowered to budget/negatives when "
        "the floor alone would exceed the budget)",
    )
    confidence: float = Field(default=0.95, gt=0, lt=1, description="of the intervals")
    min_control_rows: int = Field(
        default=10, ge=1, description="fewer labelled positive decisions: no precision status"
    )
    target_precision: float | None = Field(
        default=None, ge=0, le=1, description="alert when the control upper bound is below it"
    )
    target_recall: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="alert when the audited recall's upper bound is below it",
    )
    seed: int = 0
