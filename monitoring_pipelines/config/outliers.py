"""Outlier detection fitted on the reference (owned by the outliers layer; every threshold here).

Each detector (isolation forest, Mahalanobis distance) scores every row of a day; a row is
an outlier for a detector when its score exceeds the ``percentile``-th percentile of the
detector's scores on the reference, so a reference-like day flags about
``100 - percentile`` % of its rows per detector. The day's outlier rate (rows flagged by any
detector) is judged against its rate on the reference: ``warn_rate_ratio`` / ``alert_rate_ratio``
times that expected rate.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class OutlierBackend(StrEnum):
    alibi = "alibi"  # alibi-detect IForest / Mahalanobis (BSL licence since 0.11.5)
    sklearn = "sklearn"  # sklearn IsolationForest / numpy covariance Mahalanobis distance


class OutlierDetectorName(StrEnum):
    iforest = "iforest"
    mahalanobis = "mahalanobis"


class OutlierSettings(BaseModel):
    """Outlier detection fitted on the reference (owned by the outliers layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    backend: OutlierBackend = Field(
        default=OutlierBackend.alibi,
        description="alibi (alibi-detect, BSL-licensed) or sklearn (BSD): one line to switch",
    )
    detectors: list[OutlierDetectorName] = Field(
        default_factory=lambda: [OutlierDetectorName.iforest, OutlierDetectorName.mahalanobis],
        min_length=1,
    )
    percentile: float = Field(
        default=99.0,
        gt=50,
        lt=100,
        description="reference percentile of a detector's score "
        "above which a row is an outlier (99 -> 1 % of reference rows per detector)",
    )
    warn_rate_ratio: float = Field(
        default=2.0,
        gt=1,
        description="warn when the day's outlier rate exceeds this many "
        "times the expected (reference) rate",
    )
    alert_rate_ratio: float = Field(default=3.0, gt=1, description="alert above this ratio")
    min_rows: int = Field(default=50, ge=1, description="fewer rows on a day: rate not judged")
    extreme_z: float = Field(
        default=4.0,
        gt=0,
        description="a numeric feature is extreme in a flagged row when its "
        "|value - reference mean| exceeds this many reference standard deviations",
    )
    rare_category_share: float = Field(
        default=0.001,
        ge=0,
        lt=1,
        description="a category is extreme when its reference share "
        "is at most this (unseen categories always are)",
    )
    max_extreme_features: int = Field(
        default=3, ge=1, description="features named per flagged row (the most extreme first)"
    )
    max_categories: int = Field(
        default=30,
        ge=1,
        description="most frequent reference levels one-hot encoded per "
        "categorical feature (the rest share one column)",
    )
    n_estimators: int = Field(default=100, ge=10, description="isolation forest trees")
    max_reference_rows: int = Field(
        default=50_000, ge=100, description="reference rows sampled to fit the detectors"
    )
    seed: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> OutlierSettings:
        if self.warn_rate_ratio > self.alert_rate_ratio:
            raise ValueError("warn_rate_ratio must not exceed alert_rate_ratio")
        return self
