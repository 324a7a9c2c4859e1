"""The daily health verdict (owned by the verdict layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_KINDS = {
    "quality": "quality",
    "health": "health",
    "labels": "labels",
    "drift": "drift",
    "performance": "performance",
    "performance_window": "performance",
    "estimated_performance": "estimated_performance",
    "estimation_error": "estimation",
    "operating_point": "operating_point",
    "model_comparison": "comparison",
    "segment": "segment",
    "slices": "segment",
    "fairness": "fairness",
    "outliers": "outliers",
    "review": "review",
}


class VerdictSettings(BaseModel):
    """How a day's statuses become ok / warning / critical and ranked causes.

    Every metric row of the day with status ``warn`` or ``alert`` is a candidate cause; its
    family maps to a cause kind (``kinds``). A day is critical when a cause of a
    ``critical_kinds`` kind alerts, warning when any cause warns or alerts, else ok.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    kinds: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_KINDS),
        description="metrics family -> cause kind; families not listed are ignored",
    )
    critical_kinds: list[str] = Field(
        default_factory=lambda: [
            "quality",
            "health",
            "drift",
            "performance",
            "estimated_performance",
            "segment",
            "fairness",
            "outliers",
        ],  # fmt: skip
        description="kinds whose alerts make the day critical (others at most warning)",
    )
    top_causes: int = Field(default=10, ge=1, description="causes kept per day")
