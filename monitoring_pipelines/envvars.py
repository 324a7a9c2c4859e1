"""Reading the project's numeric environment settings (``MONITORING_*``)."""

from __future__ import annotations

import os


def env_whole_number(name: str, default: int, hint: str) -> int:
    """The whole number in environment variable ``name`` (``default`` when unset); a
    ValueError naming the variable, its value and ``hint`` otherwise."""
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number ({hint})") from None
