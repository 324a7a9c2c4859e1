"""Fairness per sensitive attribute (owned by the fairness layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FairnessSettings(BaseModel):
    """Fairness per sensitive attribute (owned by the fairness layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
