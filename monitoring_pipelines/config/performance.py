"""Performance settings of a model (owned by the performance layer; every threshold here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PerformanceSettings(BaseModel):
    """How realized and estimated performance are measured and judged for one model.

    Bands: a metric's band is learned on the reference, cut into ``reference_chunks`` windows:
    the mean of the metric over the windows +/- ``alert_sigmas`` (``warn_sigmas``) standard
    deviations, the deviation rescaled from the window's row count to the day's. Only a move
    in the degrading direction (lower scores, larger errors) raises a status.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    alert_metrics: list[str] = Field(
        default_factory=lambda: ["roc_auc", "accuracy", "f1", "macro_f1", "mae", "rmse"],
        description="metrics judged against their reference band (others are recorded only); "
        "names that do not apply to the model's task are ignored",
    )
    reference_chunks: int = Field(default=10, ge=3, description="windows the reference is cut in")
    warn_sigmas: float = Field(default=2.0, gt=0)
    alert_sigmas: float = Field(default=3.0, gt=0)
    confidence: float = Field(default=0.95, gt=0, lt=1, description="of realized intervals")
    bootstrap_resamples: int = Field(default=200, ge=20, description="Poisson bootstrap")
    bootstrap_max_rows: int = Field(
        default=20_000,
        ge=1_000,
        description="above this many rows the interval comes from resamples of a random subset "
        "of this size, its spread scaled by sqrt(subset/rows) (m-out-of-n bootstrap); the "
        "figure itself always uses every row",
    )
    seed: int = 0
    min_labelled_rows: int = Field(
        default=30, ge=2, description="fewer labelled rows on a day: no realized figures"
    )
    min_label_coverage: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="below this share of labelled predictions realized figures are partial: "
        "their status is at most 'warn' and their coverage row is flagged 'warn'",
    )
    calibration_bins: int = Field(default=10, ge=2, description="equal-width bins for ECE")
    window_days: int = Field(
        default=7,
        ge=0,
        description="trailing window (days, ending on the day) for realized figures of "
        "low-volume models, family 'performance_window'; 0 turns it off",
    )
    error_quantiles: list[float] = Field(default_factory=lambda: [0.05, 0.5, 0.95])
    band_sigmas: float = Field(
        default=3.0, gt=0, description="estimated figures: estimate +/- this many sampling errors"
    )
    calibration: str = Field(
        default="auto",
        pattern="^(auto|isotonic|none)$",
        description="CBPE score calibration; auto = isotonic only where it lowers the "
        "cross-validated calibration error on the reference",
    )
    dle_max_iter: int = Field(default=100, ge=10, description="DLE boosting iterations")
    dle_max_rows: int = Field(
        default=200_000, ge=1000, description="reference rows sampled to fit the DLE models"
    )
    max_estimation_gap: float = Field(
        default=0.05,
        ge=0,
        description="warn when |estimated - realized| exceeds this (relative for errors)",
    )
    target_precision: float | None = Field(
        default=None, ge=0, le=1, description="operating point: precision wanted at actions.hard"
    )
    precision_buffer: float = Field(
        default=0.02, ge=0, le=1, description="alert below target - buffer, warn above + buffer"
    )
    target_recall: float | None = Field(
        default=None, ge=0, le=1, description="operating point: recall wanted at actions.hard"
    )
    recall_buffer: float = Field(default=0.02, ge=0, le=1)
    champion_version: str | None = Field(
        default=None,
        description="model comparison: the version others are compared with (default: the "
        "version serving most of the day's traffic)",
    )
    min_version_rows: int = Field(
        default=50, ge=1, description="versions with fewer rows on a day are not compared"
    )
