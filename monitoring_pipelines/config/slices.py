"""Segment performance and the worst-slice search (owned by the slices layer); every threshold here.

Both compare a mean per-row loss in a group of rows with the whole: the 0/1 error for
classifiers and the absolute error for regressors where labels exist (realized), the expected
loss of the performance estimator where they do not (estimated). ``relative_gap`` = group mean
loss / whole mean loss - 1. A group is ``alert`` (``warn``) when its one-sided Welch test
against the other rows is significant after the correction for the groups tested AND its
relative gap exceeds its relative gap on the reference (same loss, same bins; with
``judge_against_reference``) by at least ``alert_gap`` (``warn_gap``): regions that are
always harder (long distances) are not flagged every day for being hard.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Correction(StrEnum):
    holm = "holm"  # family-wise error rate
    bh = "bh"  # Benjamini-Hochberg false discovery rate
    bonferroni = "bonferroni"
    none = "none"


class SliceSettings(BaseModel):
    """Segment performance and the worst-slice search (owned by the slices layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    alpha: float = Field(default=0.05, gt=0, lt=1, description="level after the correction")
    correction: Correction = Correction.holm
    warn_gap: float = Field(default=0.25, ge=0, description="relative gap that is a warning")
    alert_gap: float = Field(default=0.5, ge=0, description="relative gap that is an alert")
    min_label_coverage: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="realized loss (labels) when at least this share of the rows is labelled "
        "and min_labelled_rows are; estimated loss otherwise",
    )
    min_labelled_rows: int = Field(default=30, ge=2)
    judge_against_reference: bool = Field(
        default=True,
        description="judge a group's relative gap in excess of its relative gap on the "
        "reference; false: the relative gap itself",
    )
    # segment performance
    segment_min_rows: int = Field(
        default=30, ge=2, description="segments with fewer rows are reported, not judged"
    )
    # worst-slice search
    max_features: int = Field(default=2, ge=1, le=2, description="features combined per slice")
    numeric_bins: int = Field(
        default=5, ge=2, le=50, description="numeric features: bins at reference quantiles"
    )
    min_support: int = Field(default=30, ge=2, description="rows a slice needs to be tested")
    min_support_share: float = Field(
        default=0.02, ge=0, lt=1, description="share of the rows a slice needs to be tested"
    )
    max_categories: int = Field(
        default=50,
        ge=2,
        description="categorical columns with more distinct values on a day are not sliced",
    )
    prune_redundant: bool = Field(
        default=True,
        description="a two-feature slice is ranked only if it is worse than the other rows of "
        "each of its one-feature parents (one-sided Welch tests, corrected over the "
        "two-feature slices, at alpha)",
    )
    top_k: int = Field(default=10, ge=1, description="slices stored and shown per day")
    window_days: int = Field(
        default=7,
        ge=0,
        description="also search the trailing window of this many days ending on the day "
        "(family 'slices_window'); 0 or 1 turns it off",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SliceSettings:
        if self.warn_gap > self.alert_gap:
            raise ValueError("warn_gap must not exceed alert_gap")
        return self
