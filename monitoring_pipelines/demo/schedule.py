"""The demo's monitoring window and the events injected into it.

Events are declared relative to the end of the window (``first_k``/``last_k`` = how many days
before ``end_day``), so that label-dependent events always sit where their labels have
arrived, whatever the window length. An event that would touch the first
:data:`QUIET_DAYS` monitoring days is not injected (and not listed in the manifest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

QUIET_DAYS = 10
"""The first monitoring days are always event-free, so detectors have a clean baseline."""

EVENT_KINDS = (
    "covariate_drift",
    "concept_drift",
    "degraded_segment",
    "fairness_gap",
    "broken_day",
    "volume_drop",
    "missing_day",
    "missing_labels",
)

Active = Callable[[str], np.ndarray]
"""``active(key)`` -> boolean mask of the rows on which the event ``key`` is in effect."""


@dataclass(frozen=True)
class Window:
    """The monitoring days ``end_day - days + 1 .. end_day``, addressed by index 0..days-1."""

    end_day: dt.date
    days: int

    @property
    def first_day(self) -> dt.date:
        """The first monitoring day."""
        return self.end_day - dt.timedelta(days=self.days - 1)

    def day(self, index: int) -> dt.date:
        """The date of monitoring day ``index`` (negative indices are reference days)."""
        return self.first_day + dt.timedelta(days=index)

    def index_before_end(self, k: int) -> int:
        """The index of the day ``k`` days before ``end_day``."""
        return self.days - 1 - k


@dataclass(frozen=True)
class EventSpec:
    """One injected event, placed ``first_k``..``last_k`` days before the end of the window.

    ``key`` is how a data-generating process asks whether the event is active;
    ``details`` describe the injection in the manifest (facts, not intentions).
    """

    key: str
    kind: str
    first_k: int
    last_k: int
    features: tuple[str, ...] = ()
    segment: tuple[str, str] | None = None
    group: tuple[str, str] | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        if self.first_k < self.last_k:
            raise ValueError(f"event {self.key}: first_k must be >= last_k")


@dataclass(frozen=True)
class Event:
    """An event resolved onto a window: day indices ``first``..``last`` inclusive."""

    spec: EventSpec
    first: int
    last: int

    def covers(self, day_index: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows whose day index lies in the event."""
        return (day_index >= self.first) & (day_index <= self.last)

    def manifest(self, model: str, window: Window, observed: dict[str, Any]) -> dict[str, Any]:
        """The event as a manifest entry (dates as ISO strings)."""
        s = self.spec
        entry: dict[str, Any] = {
            "model": model,
            "kind": s.kind,
            "features": list(s.features),
            "first_day": window.day(self.first).isoformat(),
            "last_day": window.day(self.last).isoformat(),
        }
        if s.segment:
            entry["segment"] = {"column": s.segment[0], "value": s.segment[1]}
        if s.group:
            entry["group"] = {"column": s.group[0], "value": s.group[1]}
        entry["details"] = {**s.details, **observed}
        return entry


def resolve(specs: list[EventSpec], window: Window) -> list[Event]:
    """The events that fit in the window after its quiet days, in order of onset."""
    events = []
    for s in specs:
        first, last = window.index_before_end(s.first_k), window.index_before_end(s.last_k)
        if first >= QUIET_DAYS and last < window.days:
            events.append(Event(s, first, last))
    return sorted(events, key=lambda e: (e.first, e.spec.key))


def activity(events: list[Event], day_index: np.ndarray) -> Active:
    """An ``active(key)`` function for rows with the given day indices."""
    by_key = {e.spec.key: e for e in events}

    def active(key: str) -> np.ndarray:
        event = by_key.get(key)
        if event is None:
            return np.zeros(len(day_index), dtype=bool)
        return event.covers(day_index)

    return active
