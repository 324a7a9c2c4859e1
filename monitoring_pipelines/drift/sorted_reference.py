"""Exact two-sample KS and Wasserstein-1 against a reference kept sorted.

scipy's ``ks_2samp`` and ``wasserstein_distance`` sort both samples and search the merged
sample on every call: with a million-row reference that is most of a day's drift time, and
the reference is the same every day. Here the reference column is read from DuckDB once,
sorted, with its prefix sums, and kept for the process (keyed on the loaded reference, see
:func:`monitoring_pipelines.ingest.reference.reference_version`); a day's m values cost O(m log n):

- KS: the largest gap between the two empirical CDFs is reached at a day's value or just
  before one (between two of the day's values its CDF is constant and the reference's is
  monotone), so both CDFs are evaluated there, on each side. The p-value is scipy's own
  asymptotic one (``kstwo.sf(D, round(n m / (n + m)))``, as ``ks_2samp(method='asymp')``),
  its series summed vectorised where scipy loops (:mod:`~monitoring_pipelines.drift.kolmogorov`).
- Wasserstein-1 = the integral of |F_ref - F_day|. Between two consecutive day values F_day
  is a constant t and F_ref is monotone, so the integral splits at the reference's t-quantile
  into two pieces whose values follow from G(x) = integral of F_ref up to x, which the prefix
  sums give in closed form.

Both equal scipy's figures to rounding (tested against scipy on tied and untied data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from monitoring_pipelines.drift.kolmogorov import kstwo_sf
from monitoring_pipelines.store.derived import KeptCache, digest, kept_file
from monitoring_pipelines.store.sql import database_path, folder_beside

CACHE_BYTES = 512 * 2**20  # sorted reference columns kept per process


DISTINCT_SHARE = 0.25  # a distinct-value index when at most this share of values differ


@dataclass(frozen=True)
class SortedSample:
    """A sample sorted ascending with its prefix sums (``prefix[k]`` = sum of the k smallest)."""

    values: np.ndarray
    prefix: np.ndarray
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def distinct(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(the distinct values ascending, where each starts in :attr:`values` followed by
        n), built on first use and kept; None when more than :data:`DISTINCT_SHARE` of the
        values differ (then searching the values themselves is as quick). A rounded
        feature (a million reference values, some 60,000 distinct) is searched in an array
        that fits the CPU cache, and its ties need no second search."""
        if "distinct" not in self._memo:
            v = np.asarray(self.values)
            starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]]) if len(v) else np.zeros(0, int)
            self._memo["distinct"] = (
                (v[starts], np.r_[starts, len(v)])
                if len(starts) <= DISTINCT_SHARE * len(v)
                else None
            )
        return self._memo["distinct"]

    @classmethod
    def of(cls, values: np.ndarray) -> SortedSample:
        v = np.sort(np.asarray(values, dtype=np.float64))
        return cls(v, np.concatenate([[0.0], np.cumsum(v)]))

    def __len__(self) -> int:
        return len(self.values)

    @property
    def nbytes(self) -> int:
        index = self._memo.get("distinct") or ()
        return self.values.nbytes + self.prefix.nbytes + sum(a.nbytes for a in index)

    def below(self, x: np.ndarray, k: np.ndarray | None = None) -> np.ndarray:
        """G(x) = integral of the empirical CDF from -inf to x (``k``: the positions
        ``searchsorted(values, x, side="right")`` when already known)."""
        k = np.searchsorted(self.values, x, side="right") if k is None else k
        return (k * x - self.prefix[k]) / len(self)

    def above(self, x: np.ndarray, k: np.ndarray | None = None) -> np.ndarray:
        """Integral of 1 - CDF from x to +inf (``k`` as in :meth:`below`)."""
        k = np.searchsorted(self.values, x, side="right") if k is None else k
        n = len(self)
        return ((self.prefix[n] - self.prefix[k]) - (n - k) * x) / n


@dataclass(frozen=True)
class Placed:
    """A day's values sorted, with where each falls in the sorted reference
    (``right = searchsorted(ref.values, values, side="right")``): the search KS and
    Wasserstein-1 share, done once for both (it is most of their cost at a million
    reference rows). ``left``: the same with ``side="left"`` where the reference's distinct
    values gave it at no extra search (else None, and KS searches the ties itself)."""

    values: np.ndarray
    right: np.ndarray
    left: np.ndarray | None = None


def place(ref: SortedSample, cur: np.ndarray) -> Placed:
    """``cur`` sorted and placed in ``ref`` (see :class:`Placed`): each of its distinct
    values is searched once, in the reference's distinct values when it has an index
    (:meth:`SortedSample.distinct`)."""
    c = np.sort(np.asarray(cur, dtype=np.float64))
    index = ref.distinct()
    if index is None:
        return Placed(c, np.searchsorted(ref.values, c, side="right"))
    if len(c) == 0:
        return Placed(c, np.zeros(0, np.int64), np.zeros(0, np.int64))
    u, starts = index
    opens = np.r_[True, c[1:] != c[:-1]]
    cu, run = c[opens], np.cumsum(opens) - 1
    j = np.searchsorted(u, cu, side="right")  # distinct reference values <= each
    right = starts[j]
    below = np.maximum(j - 1, 0)
    tied = (j > 0) & (u[below] == cu)  # the reference holds the value itself
    left = np.where(tied, starts[below], right)
    return Placed(c, right[run], left[run])


def ks_2samp_sorted(
    ref: SortedSample, cur: np.ndarray, placed: Placed | None = None
) -> tuple[float, float]:
    """Two-sided KS statistic and asymptotic p-value, equal to
    ``scipy.stats.ks_2samp(ref, cur, method='asymp')`` (``placed``: ``place(ref, cur)``
    when already computed)."""
    placed = place(ref, cur) if placed is None else placed
    c = placed.values
    n, m = len(ref), len(c)
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    # both CDFs at each day value (right-continuous) and just before it (left limits); c is
    # sorted, so its own positions come from where its runs of equal values start and end
    opens = np.r_[True, c[1:] != c[:-1]]  # a value opening a run of equal ones
    first, run = np.flatnonzero(opens), np.cumsum(opens) - 1
    left_c, right_c = first[run] / m, np.r_[first[1:], m][run] / m
    # the reference's left positions: from its distinct values when placed with them, else
    # its right ones, searched again only where the reference holds the value itself
    if placed.left is not None:
        left_ref = placed.left
    else:
        left_ref = placed.right.copy()
        tied = np.flatnonzero((left_ref > 0) & (ref.values[np.maximum(left_ref - 1, 0)] == c))
        left_ref[tied] = np.searchsorted(ref.values, c[tied], side="left")
    d_right = np.abs(placed.right / n - right_c)
    d_left = np.abs(left_ref / n - left_c)
    d = float(max(d_right.max(), d_left.max()))
    big, small = max(n, m), min(n, m)
    en = big * small / (big + small)
    p = kstwo_sf(d, float(np.round(en)))  # in [0, 1], as scipy's
    return d, p


def wasserstein_sorted(ref: SortedSample, cur: np.ndarray, placed: Placed | None = None) -> float:
    """Wasserstein-1 distance, equal to ``scipy.stats.wasserstein_distance(ref, cur)``
    (``placed``: ``place(ref, cur)`` when already computed)."""
    placed = place(ref, cur) if placed is None else placed
    c, kc = placed.values, placed.right
    m, n = len(c), len(ref)
    if n == 0 or m == 0:
        return float("nan")
    total = float(ref.below(c[:1], kc[:1])[0] + ref.above(c[-1:], kc[-1:])[0])
    if m > 1:
        a, b, ka, kb = c[:-1], c[1:], kc[:-1], kc[1:]
        t = np.arange(1, m) / m  # F_day on [a, b)
        # the reference's t-quantile: first x with F_ref(x) >= t, clipped into [a, b]
        q = ref.values[np.clip(np.ceil(t * n - 1e-9).astype(np.int64) - 1, 0, n - 1)]
        x = np.clip(q, a, b)
        kx = np.where(q <= a, ka, kb)  # x is a or b: its position is known
        inside = (q > a) & (q < b)
        kx[inside] = np.searchsorted(ref.values, q[inside], side="right")
        ga, gx, gb = ref.below(a, ka), ref.below(x, kx), ref.below(b, kb)
        low = t * (x - a) - (gx - ga)  # F_ref <= t on [a, x)
        high = (gb - gx) - t * (b - x)  # F_ref >= t on [x, b)
        total += float(np.sum(low + high))
    return total


CACHE = KeptCache(CACHE_BYTES, size=lambda sample: sample.nbytes)


def sorted_reference(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    expr: str,
    version: str | None,
    path: str | None = None,
) -> SortedSample:
    """The non-null values of ``expr`` over the reference ``relation``, sorted (cached per
    database file, relation, expression and reference version: in the process, and for a
    database file also on disk beside it, so a new process reads the sorted column back
    instead of sorting the reference again). ``path``: ``database_path(con)`` when known."""

    def query() -> np.ndarray:
        out = con.execute(
            f"SELECT x FROM (SELECT {expr} AS x FROM {relation}) WHERE x IS NOT NULL ORDER BY x"
        ).fetchnumpy()["x"]
        return np.asarray(out, dtype=np.float64)

    if version is None:
        return _sample(query())
    path = database_path(con) if path is None else path  # the folder only when not cached
    return CACHE.get(
        (path, relation, expr, version),
        lambda: _load(folder_beside(path), relation, expr, version, query),
    )


def _sample(v: np.ndarray) -> SortedSample:
    return SortedSample(v, np.concatenate([[0.0], np.cumsum(v)]))


FORMAT = "values+prefix"  # in the kept file's version: files of other layouts are replaced


def _read(file: Path) -> SortedSample:
    """The kept column memory-mapped: the n sorted values then their n + 1 prefix sums, one
    float64 array. Mapped, not read: a new process pays neither the read nor the prefix sums
    (about 35 ms a column at a million rows) and touches only the pages its searches reach;
    a file replaced meanwhile stays valid under the mapping."""
    a = np.load(file, mmap_mode="r", allow_pickle=False)
    if a.dtype != np.float64 or a.ndim != 1 or len(a) % 2 != 1 or a[(len(a) - 1) // 2] != 0:
        raise ValueError(f"{file}: not a sorted float64 column with its prefix sums")
    n = (len(a) - 1) // 2
    return SortedSample(a[:n], a[n:])


def _write(v: SortedSample, file: Path) -> None:
    with open(file, "wb") as fh:  # a handle: np.save would add ".npy" to the name
        np.save(fh, np.concatenate([v.values, v.prefix]), allow_pickle=False)


def _load(folder: Path | None, relation: str, expr: str, version: str, query) -> SortedSample:
    """From the file beside the database when it is there, else from ``query()`` (then
    written, replacing the files of the column's earlier reference versions)."""
    stem = "sorted-" + digest(f"{relation}\0{expr}")
    return kept_file(
        folder,
        stem,
        f"{version}\0{FORMAT}",
        ".npy",
        read=_read,
        compute=lambda: _sample(query()),
        write=_write,
    )
