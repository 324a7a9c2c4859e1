"""Distances between two distributions given as bin counts, and p-value corrections."""

from __future__ import annotations

import numpy as np


def shares(counts: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Counts -> shares summing to 1; with ``smoothing`` every share is floored at it first."""
    p = np.asarray(counts, dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    if smoothing > 0:
        p = np.maximum(p, smoothing)
        p = p / p.sum()
    return p


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, smoothing: float = 1e-4) -> float:
    """Population stability index, in nats: sum over bins of (q - p) * ln(q / p).

    ``p`` and ``q`` are the reference and current shares, each floored at ``smoothing`` (and
    renormalized) so an empty bin gives a large but finite figure.
    """
    p, q = shares(ref_counts, smoothing), shares(cur_counts, smoothing)
    return float(np.sum((q - p) * np.log(q / p)))


def wasserstein_lower_bound(values: np.ndarray, mean: float, mad: float) -> float:
    """A lower bound of the Wasserstein-1 distance between ``values`` and a reference of
    mean ``mean`` and mean absolute deviation from it ``mad``, linear in the values, no sort.

    W1(P, Q) >= |E_P f - E_Q f| for every 1-Lipschitz f (Kantorovich-Rubinstein duality);
    with f(x) = x and f(x) = |x - mean| this is the larger of the shift in the mean and the
    shift in the mean absolute deviation about the reference's mean. It equals W1 for a
    pure translation or a pure change of scale about the reference mean, and catches a change
    of spread that leaves the mean in place; a change of shape that keeps both is left to the
    chi-squared test and PSI on the bins.
    """
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 0:
        return float("nan")
    return float(max(abs(v.mean() - mean), abs(np.abs(v - mean).mean() - mad)))


def js_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen-Shannon distance with base-2 logarithms: in [0, 1], 0 for equal shares.

    sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2; empty bins contribute 0.
    """
    p, q = shares(ref_counts), shares(cur_counts)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / m[nz])))

    return float(np.sqrt(max((kl(p) + kl(q)) / 2, 0.0)))


def correct(p_values: list[float], method: str) -> list[float]:
    """Adjusted p-values: ``bonferroni`` (p * m), ``fdr`` (Benjamini-Hochberg) or ``none``.

    NaN p-values (untested) stay NaN and do not count towards m. Results are capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(len(p), np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out.tolist()
    v = p[ok]
    if method == "bonferroni":
        adj = v * m
    elif method == "fdr":
        order = np.argsort(v)
        ranked = v[order] * m / np.arange(1, m + 1)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        adj = np.empty(m)
        adj[order] = ranked
    elif method == "none":
        adj = v
    else:
        raise ValueError(f"unknown correction {method!r}")
    out[ok] = np.minimum(adj, 1.0)
    return out.tolist()
