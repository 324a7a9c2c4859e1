"""The human review queue: capacity, control group, recall audit (owned by the review layer);
every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Review(BaseModel):
    """Rows sent to people, and how their decisions are sampled to estimate precision/recall."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    capacity_per_day: int | None = Field(default=None, ge=0)
    control_share: float = Field(default=0.0, ge=0, le=1)
