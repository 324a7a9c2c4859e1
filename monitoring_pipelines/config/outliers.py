"""Outlier detection fitted on the reference (owned by the outliers layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OutlierSettings(BaseModel):
    """Outlier detection fitted on the reference (owned by the outliers layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
