"""Fairness per sensitive attribute (owned by the fairness layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

JUDGEABLE = (
    "dp_difference",
    "dp_ratio",
    "eo_difference",
    "tpr_difference",
    "fpr_difference",
    "accuracy_difference",
    "mae_gap_relative",
)
"""Attribute-level figures that can be judged (the others are recorded only)."""

LOWER_IS_WORSE = frozenset({"dp_ratio"})


class Limits(BaseModel):
    """Warn and alert limits of one attribute-level figure.

    For differences (higher is worse) ``alert >= warn``; for ratios (lower is worse)
    ``alert <= warn``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    warn: float = Field(ge=0)
    alert: float = Field(ge=0)


class FairnessSettings(BaseModel):
    """Fairness per sensitive attribute (the model's ``sensitive`` columns).

    An attribute-level figure is ``warn`` when it is past its warn limit, and ``alert`` only
    when it is past its alert limit AND its bootstrap interval (``confidence``) lies wholly
    past the warn limit, so that a gap that sampling noise can explain never alarms. Groups
    with fewer than ``min_group_size`` rows (labelled rows, positives or negatives for the
    label-based figures) are reported but flagged ``insufficient`` and left out of the
    differences.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    judged: list[str] = Field(
        default_factory=lambda: [
            "dp_difference",
            "eo_difference",
            "accuracy_difference",
            "mae_gap_relative",
        ],
        description="attribute-level figures that raise statuses (names that do not apply to "
        f"the task are ignored); any of {', '.join(JUDGEABLE)}",
    )
    dp_difference: Limits = Limits(warn=0.1, alert=0.2)
    dp_ratio: Limits = Limits(warn=0.8, alert=0.6)
    eo_difference: Limits = Limits(warn=0.1, alert=0.2)
    tpr_difference: Limits = Limits(warn=0.1, alert=0.2)
    fpr_difference: Limits = Limits(warn=0.1, alert=0.2)
    accuracy_difference: Limits = Limits(warn=0.05, alert=0.1)
    mae_gap_relative: Limits = Limits(warn=0.25, alert=0.5)
    min_group_size: int = Field(
        default=30,
        ge=1,
        description="rows a group needs to enter a difference (label-based figures count "
        "its labelled rows, and for TPR/FPR its labelled positives/negatives)",
    )
    intersections: bool = Field(
        default=False, description="also judge every pair of sensitive attributes, crossed"
    )
    positive_class: str | None = Field(
        default=None,
        description="multiclass: the class treated one-vs-rest as the positive outcome "
        "(selection rate, TPR, FPR, equalized odds); unset: selection rate of every class",
    )
    bootstrap_resamples: int = Field(default=500, ge=20, description="Poisson bootstrap")
    confidence: float = Field(
        default=0.99,
        gt=0,
        lt=1,
        description="of bootstrap intervals, which gate alerts: high, because every day "
        "judges several gaps of several attributes (at 0.95 the 400-rows-a-day demo alerted "
        "on noise)",
    )
    seed: int = 0
    window_days: int = Field(
        default=7,
        ge=0,
        description="trailing window (days, ending on the day) judged beside the day, "
        "metric names prefixed 'window_'; 0 turns it off",
    )

    @model_validator(mode="after")
    def _consistent(self) -> FairnessSettings:
        unknown = set(self.judged) - set(JUDGEABLE)
        if unknown:
            raise ValueError(f"judged: unknown figures {sorted(unknown)}; known: {JUDGEABLE}")
        for name in JUDGEABLE:
            lim = self.limits(name)
            if name in LOWER_IS_WORSE and lim.alert > lim.warn:
                raise ValueError(f"{name}: alert must not exceed warn (lower is worse)")
            if name not in LOWER_IS_WORSE and lim.alert < lim.warn:
                raise ValueError(f"{name}: alert must not be below warn")
        return self

    def limits(self, name: str) -> Limits:
        """The warn/alert limits of a judgeable attribute-level figure."""
        return getattr(self, name)
