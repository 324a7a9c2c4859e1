"""Drift settings of a model (owned by the drift layer; every threshold here, none in code).

A feature drifts (status ``alert``) only when its test is significant after the correction for
testing many features AND its effect size is large: ``effect`` = the largest of PSI /
``psi_alert``, normalized Wasserstein / ``wasserstein_alert`` (numeric) or JS distance /
``js_alert`` and unseen-category share / ``unseen_alert`` (categorical) is at least 1.
Significant with ``effect >= warn_fraction`` is a ``warn``. A drifted feature whose share of
the model's importance is below ``min_importance_share`` is capped at ``warn``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DetectorBackend(StrEnum):
    alibi = "alibi"  # alibi-detect KSDrift / ChiSquareDrift (BSL licence since 0.11.5)
    scipy = "scipy"  # scipy.stats.ks_2samp (asymptotic, as alibi) / chi2_contingency


class NumericTest(StrEnum):
    # exact two-sample Kolmogorov-Smirnov and Wasserstein-1 against the sorted reference
    ks = "ks"
    # chi-squared on the reference-quantile bins, Wasserstein bounded from below (no sort)
    binned = "binned"


class Correction(StrEnum):
    bonferroni = "bonferroni"
    fdr = "fdr"  # Benjamini-Hochberg
    none = "none"


class DriftSettings(BaseModel):
    """How drift is measured and judged for one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    detector_backend: DetectorBackend = DetectorBackend.scipy
    numeric_test: NumericTest = Field(
        default=NumericTest.ks,
        description="numeric columns: 'ks' (exact KS p-value and exact Wasserstein-1; sorts "
        "each day's values and searches them in the sorted reference) or 'binned' (chi-squared "
        "on the reference-quantile bins, and a lower bound of the normalized Wasserstein "
        "distance from the mean and mean-absolute-deviation shifts: linear in rows, no sort)",
    )
    p_value: float = Field(default=0.05, gt=0, lt=1, description="family-wise / FDR level")
    correction: Correction = Correction.bonferroni
    bins: int = Field(default=10, ge=2, le=100, description="reference-quantile bins")
    smoothing: float = Field(
        default=1e-4, gt=0, lt=0.01, description="floor on bin shares inside PSI's logarithm"
    )
    psi_alert: float = Field(default=0.2, gt=0, description="PSI (nats) that is a large effect")
    wasserstein_alert: float = Field(
        default=0.1, gt=0, description="Wasserstein distance in reference standard deviations"
    )
    js_alert: float = Field(default=0.2, gt=0, le=1, description="JS distance (base 2)")
    unseen_alert: float = Field(
        default=0.05, gt=0, le=1, description="share of the day's rows in unseen categories"
    )
    learned_thresholds: bool = Field(
        default=False,
        description="effect thresholds learned on the reference (NannyML-like): mean + "
        "learned_sigmas std of PSI, JS and normalized Wasserstein over reference_windows "
        "windows of the reference against the whole; replaces psi/js/wasserstein_alert",
    )
    reference_windows: int = Field(default=10, ge=3)
    learned_sigmas: float = Field(default=3.0, gt=0)
    warn_fraction: float = Field(
        default=0.5, gt=0, le=1, description="effect at this fraction of 'alert' is a warning"
    )
    concept_residual_alert: float = Field(
        default=0.3, gt=0, description="regression: residual Wasserstein in residual stds"
    )
    concept_error_rate_alert: float = Field(
        default=0.05, gt=0, le=1, description="classifiers: change in the share of errors"
    )
    window_days: int = Field(
        default=0,
        ge=0,
        description="also measure the trailing window of this many days (low-volume models); "
        "0 or 1: the day only",
    )
    skew_days: int = Field(
        default=3, ge=0, description="first production days also reported as training-serving skew"
    )
    min_rows: int = Field(default=30, ge=1, description="fewer rows in a day: not judged")
    min_importance_share: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="a feature with less of the model's importance alerts only as a warning",
    )
    model_path: str | None = Field(
        default="data/models/{model}/v1.joblib",
        description="the reference model (joblib, takes a DataFrame of the features), relative "
        "to the home; when absent, importances come from a surrogate of the logged predictions",
    )
    importance_repeats: int = Field(default=3, ge=1, description="permutation importance")
    importance_rows: int = Field(default=2000, ge=100, description="reference rows used")
    multivariate: bool = True
    domain_rows: int = Field(
        default=1000, ge=50, description="rows per side sampled for the domain classifier"
    )
    domain_auc_warn: float = Field(default=0.6, gt=0.5, le=1)
    domain_auc_alert: float = Field(default=0.65, gt=0.5, le=1)
    pca_variance: float = Field(default=0.9, gt=0, lt=1, description="variance PCA keeps")
    pca_window_rows: int = Field(default=200, ge=20, description="reference window size")
    pca_warn_sigmas: float = Field(default=3.0, gt=0)
    pca_alert_sigmas: float = Field(default=5.0, gt=0)
    seed: int = 0
