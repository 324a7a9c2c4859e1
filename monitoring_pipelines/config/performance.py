"""Performance settings of a model (owned by the performance layer; every threshold here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PerformanceSettings(BaseModel):
    """How realized and estimated performance are measured and judged for one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
