"""Segment performance and the worst-slice search (owned by the slices layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SliceSettings(BaseModel):
    """Segment performance and the worst-slice search (owned by the slices layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
