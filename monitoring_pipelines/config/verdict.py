"""The daily health verdict (owned by the verdict layer); every threshold here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class VerdictSettings(BaseModel):
    """The daily health verdict (owned by the verdict layer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
