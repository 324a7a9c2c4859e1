"""Drift settings of a model (owned by the drift layer; every threshold here, none in code)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DriftSettings(BaseModel):
    """How drift is measured and judged for one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
