"""The review backlog: what people could not review, carried from day to day."""

from __future__ import annotations

from collections.abc import Sequence


def backlog_path(inflow: Sequence[float], capacity: float, start: float = 0.0) -> list[float]:
    """Backlog at the end of each day (rows): yesterday's backlog plus the day's inflow minus
    the day's capacity, never below zero.

    >>> backlog_path([120, 80, 150, 50], capacity=100)
    [20.0, 0.0, 50.0, 0.0]
    """
    out, b = [], float(start)
    for x in inflow:
        b = max(0.0, b + float(x) - capacity)
        out.append(b)
    return out


def project_backlog(backlog: float, mean_inflow: float, capacity: float, days: int) -> float:
    """The backlog after ``days`` more days at a constant inflow of ``mean_inflow`` rows."""
    path = backlog_path([mean_inflow] * days, capacity, backlog)
    return path[-1] if path else float(backlog)
