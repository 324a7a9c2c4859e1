"""What fairness measures of one attribute: figures per group and the gaps between groups."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Figure:
    """A value with its bootstrap interval (any of them None when not computable)."""

    value: float | None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class Gap:
    """A difference (or ratio) between groups: the figure and the groups at either end.

    ``high``/``low``: subjects of the groups with the highest and lowest group metric
    (``metric``) among the groups large enough to take part.
    """

    figure: Figure
    metric: str
    high: str | None = None
    low: str | None = None


@dataclass
class GroupFigures:
    """One group of an attribute (subject ``attribute=value``).

    ``insufficient``: fewer rows than the minimum group size (in no difference);
    ``insufficient_labels``: too few labelled rows (or positives/negatives) for the label-based
    differences; ``missing``: the rows whose attribute is null (in no difference).
    """

    subject: str
    figures: dict[str, Figure] = field(default_factory=dict)
    insufficient: bool = False
    insufficient_labels: bool = False
    missing: bool = False


@dataclass
class AttributeFigures:
    """Every group of one attribute (or intersection of attributes) and the gaps between them."""

    attribute: str
    groups: list[GroupFigures]
    gaps: dict[str, Gap]
    rows: int
    labelled: int

    @property
    def label_coverage(self) -> float | None:
        """Share of the rows with a label (None without rows)."""
        return self.labelled / self.rows if self.rows else None


def interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap bounds along axis 0 (NaN where every resample is NaN)."""
    tail = (1 - confidence) / 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanquantile(samples, tail, axis=0) if samples.size else np.array(np.nan)
        hi = np.nanquantile(samples, 1 - tail, axis=0) if samples.size else np.array(np.nan)
    return lo, hi


def as_float(x) -> float | None:
    """A finite float or None."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def spread(values: np.ndarray, eligible: np.ndarray, kind: str = "difference") -> np.ndarray:
    """Max minus min (``difference``) or min over max (``ratio``) of ``values`` over the
    eligible groups (last axis); NaN with fewer than two eligible groups."""
    v = np.where(eligible, values, np.nan)
    enough = (np.isfinite(v).sum(axis=-1) >= 2) if v.size else np.zeros(v.shape[:-1], bool)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hi, lo = np.nanmax(v, axis=-1), np.nanmin(v, axis=-1)
        out = hi - lo if kind == "difference" else lo / hi
    return np.where(enough, out, np.nan)


def gap_interval(
    samples: np.ndarray, value: float | None, confidence: float, ceiling: float | None = None
) -> tuple[float | None, float | None]:
    """Basic (reverse-percentile) bootstrap interval of a gap: ``2 value - q_hi`` to
    ``2 value - q_lo``, clipped to ``[0, ceiling]``. A max-minus-min over noisy groups is
    biased upwards (the resampled gaps sit above the observed one); the basic interval
    mirrors that bias away instead of building it into the bounds. The interval always holds
    ``value``."""
    if value is None:
        return None, None
    q_lo, q_hi = interval(samples, confidence)
    lo, hi = as_float(2 * value - q_hi), as_float(2 * value - q_lo)
    lo = None if lo is None else min(max(lo, 0.0), value)
    hi = None if hi is None else max(hi if ceiling is None else min(hi, ceiling), value)
    return lo, hi
