"""What every demo data-generating process provides, and the helpers they share.

A process knows how its inputs are distributed, how the ground truth follows from them, how
the service behaves (volume, hours, latency, failures) and when labels arrive. It never
writes files: :mod:`monitoring_pipelines.demo.simulate` turns it into logs and labels.
"""

from __future__ import annotations

import calendar
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitoring_pipelines.config import Task
from monitoring_pipelines.demo.schedule import Active, EventSpec


@dataclass(frozen=True)
class LabelPolicy:
    """When ground truth arrives for a prediction made on a given day.

    ``weekly``: one batch a week on ``weekday`` (Monday = 0), carrying every prediction at
    least ``delays[0]`` days old (so delays span ``delays[0]`` .. ``delays[0] + 6``).
    ``daily``: each label arrives ``delays[i]`` days later with probability ``probs[i]``.
    ``never_rate`` of labels never arrive. Label timestamps fall within ``hours`` of the
    arrival day.
    """

    schedule: str
    delays: tuple[int, ...]
    probs: tuple[float, ...] = ()
    weekday: int = 0
    never_rate: float = 0.0
    hours: tuple[int, int] = (1, 6)

    @property
    def bounds(self) -> tuple[int, int]:
        """Shortest and longest delay in days between prediction day and arrival day."""
        if self.schedule == "weekly":
            return self.delays[0], self.delays[0] + 6
        return min(self.delays), max(self.delays)

    def arrival(self, day_ordinal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Arrival day (proleptic ordinal) of each label, for predictions on ``day_ordinal``."""
        if self.schedule == "weekly":
            earliest = day_ordinal + self.delays[0]
            return earliest + (self.weekday - (earliest - 1) % 7) % 7
        return day_ordinal + rng.choice(
            np.asarray(self.delays), size=len(day_ordinal), p=self.probs
        )

    def describe(self) -> dict[str, object]:
        """The policy as manifest facts."""
        lo, hi = self.bounds
        out: dict[str, object] = {
            "schedule": self.schedule,
            "delay_min_days": lo,
            "delay_max_days": hi,
            "never_arrive_rate": self.never_rate,
        }
        if self.schedule == "weekly":
            out["batch_weekday"] = calendar.day_name[self.weekday].lower()
        return out


class Process(ABC):
    """A synthetic model in production: its inputs, its ground truth and its service."""

    name: str
    task: Task
    model_version: str = "1.0.0"
    columns: tuple[str, ...] = ()
    """Every input column :meth:`sample` returns: features, segments, sensitive attributes."""
    volume_share: float = 1.0
    """Daily volume as a share of ``rows_per_day``."""
    weekday_volume: tuple[float, ...] = (1.0,) * 7
    hour_profile: tuple[float, ...] = (1.0,) * 24
    latency_ms: tuple[float, float] = (40.0, 0.4)
    """Median latency in milliseconds and the sigma of its log."""
    failure_rate: float = 0.003
    failure_messages: tuple[str, ...] = (
        "TimeoutError: feature store lookup exceeded 500 ms",
        "ModelServerError: 503 upstream unavailable",
        "ValueError: input row could not be parsed",
    )
    label_policy: LabelPolicy
    events: tuple[EventSpec, ...] = ()

    @abstractmethod
    def sample(
        self, n: int, rng: np.random.Generator, active: Active, hours: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """``n`` rows of inputs and their ground truth.

        ``hours`` is each row's hour of day (0..23, from its timestamp); ``active(key)``
        says on which rows an event is in effect (never on reference rows).
        Returns the inputs (one column per entry of :attr:`columns`) and the labels
        (0/1 integers, class names, or minutes).
        """


def categorical(
    rng: np.random.Generator, n: int, values: Sequence[str], probs: Sequence[float]
) -> pd.Categorical:
    """``n`` draws of ``values`` with probabilities ``probs``, as a pandas Categorical."""
    codes = rng.choice(len(values), size=n, p=np.asarray(probs) / np.sum(probs))
    return pd.Categorical.from_codes(codes, categories=list(values))


def shifted_categorical(
    rng: np.random.Generator,
    values: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    shifted: np.ndarray,
) -> pd.Categorical:
    """Draws with probabilities ``before``, or ``after`` on the rows where ``shifted``."""
    n = len(shifted)
    codes = rng.choice(len(values), size=n, p=np.asarray(before) / np.sum(before))
    later = rng.choice(len(values), size=n, p=np.asarray(after) / np.sum(after))
    return pd.Categorical.from_codes(np.where(shifted, later, codes), categories=list(values))


def is_in(values: pd.Categorical, *names: str) -> np.ndarray:
    """Boolean mask of the rows whose category is one of ``names``."""
    codes = [values.categories.get_loc(v) for v in names]
    return np.isin(values.codes, codes)


def lookup(values: pd.Categorical, table: dict[str, float]) -> np.ndarray:
    """A per-row number from a per-category table (categories missing from it get 0)."""
    per_code = np.array([table.get(c, 0.0) for c in values.categories], dtype=float)
    return per_code[values.codes]
