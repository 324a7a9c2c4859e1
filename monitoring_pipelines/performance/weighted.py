"""Performance metrics under row weights, vectorised over many weightings at once.

Every function takes ``w``, a (B, n) array of row weights (one row of ones for the plain
figure, Poisson counts for bootstrap resamples) and returns a dict metric -> (B,) array.
With unit weights each figure equals scikit-learn's on the same rows (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from monitoring_pipelines.cores import near_equal, side_by_side

EPS = np.finfo(np.float64).eps
# floor(2**32 P(X <= k)) for X ~ Poisson(1), while below 2**32 - 1 (k = 0..11): the
# inverse-CDF thresholds of :func:`poisson_weights`
_POISSON1_CUTS = [
    c
    for c in (
        math.floor(2**32 * sum(math.exp(-1.0) / math.factorial(j) for j in range(k + 1)))
        for k in range(20)
    )
    if c < 2**32 - 1
]


_CUTS = np.array(_POISSON1_CUTS, dtype=np.uint32)
_HEAD = 3  # thresholds compared on every draw; the others only where X >= 4 (1.9 %)


SPLIT_THREADS = 2
"""Threads sharing the weightings of one large bootstrap: each weighting's figures depend on
its own row of weights only, and numpy's array work releases the GIL, so on two cores the
parts run side by side (200 weightings of 33,000 binary rows: 130 -> 65 ms)."""
MIN_SPLIT_CELLS = 300_000
"""Weights (B x n) below which one thread is quicker than handing parts to two."""


def row_parts(rows: int, cells: int, threads: int = SPLIT_THREADS) -> list[tuple[int, int]]:
    """(start, stop) of up to ``threads`` near-equal parts of ``rows`` weightings, at least
    two weightings each; the whole as one part when ``cells`` are too few to be worth it."""
    parts = min(threads, rows // 2) if cells >= MIN_SPLIT_CELLS else 1
    return near_equal(rows, max(parts, 1))


def by_weightings(
    metrics: Callable[[np.ndarray], dict[str, np.ndarray]],
    w: np.ndarray,
    threads: int = SPLIT_THREADS,
) -> dict[str, np.ndarray]:
    """``metrics(w)`` (metric -> (B,) figures under the (B, n) weights ``w``) computed on
    parts of the weightings side by side (:func:`row_parts`) and put back in order: the same
    figures as one call, to the bit, for any ``metrics`` whose figure of a weighting depends
    on that weighting alone (every function of this module; tested)."""
    results = side_by_side(
        lambda a, b: metrics(w[a:b]), row_parts(len(w), w.size, threads), "weightings"
    )
    if len(results) == 1:
        return results[0]
    return {k: np.concatenate([r[k] for r in results]) for k in results[0]}


def poisson_weights(
    rng: np.random.Generator, shape: tuple[int, int], threads: int = 1
) -> np.ndarray:
    """Poisson(1) bootstrap weights, by inverting the CDF of uniform 32-bit draws: a weight is
    the number of thresholds P(X <= k) its draw reaches. The same distribution as
    ``rng.poisson(1.0, shape)`` to 2**-32 in every probability (counts above 12, probability
    2e-11, are cut at 12), about 5x faster. Counts are taken in uint8: the first
    ``_HEAD`` thresholds on every draw, the others only on the 1.9 % of draws past them.
    float32 (half the memory of float64; counts are small integers, so their sums stay
    exact) unless rows are many. The draws come in one call, so the weights are the same
    whatever ``threads``; with more than one, parts of the rows are counted side by side."""
    u = rng.integers(0, 2**32, shape, dtype=np.uint32)
    # float32 sums of counts are exact below 2**24: keep float64 for longer rows
    out = np.empty(shape, np.float32 if shape[-1] < 2**22 else np.float64)

    def count_rows(a: int, b: int) -> None:
        out[a:b] = _poisson_counts(u[a:b])

    side_by_side(count_rows, row_parts(shape[0], u.size, threads), "weights")
    return out


def _poisson_counts(u: np.ndarray) -> np.ndarray:
    """uint8 counts of the thresholds each uint32 draw of ``u`` reaches (see above)."""
    count = (u >= _CUTS[0]).view(np.uint8)
    for cut in _CUTS[1:_HEAD]:
        np.add(count, u >= cut, out=count, casting="unsafe")
    flat_u, flat_count = u.reshape(-1), count.reshape(-1)
    tail = np.flatnonzero(flat_u >= _CUTS[_HEAD])
    u_tail, more = flat_u[tail], np.zeros(len(tail), np.uint8)
    for cut in _CUTS[_HEAD:]:
        more += u_tail >= cut
    flat_count[tail] += more
    return count


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, NaN where den is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _ranked(w: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per distinct score, highest first: positives and negatives at that score and the
    cumulative positives/negatives at or above it, each (B, U). One sort for all weightings
    (none when the rows come sorted); tied scores are summed group by group."""
    if len(s) < 2 or bool(np.all(s[:-1] >= s[1:])):
        ss, wo, yo = s, w, y  # already highest first (the bootstrap sorts its rows once)
    else:
        order = np.argsort(-s, kind="stable")
        ss, wo, yo = s[order], w[:, order], y[order]
    yo = yo.astype(wo.dtype, copy=False)
    pos = wo * yo
    starts = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
    if len(starts) < len(ss):  # ties: sum each group of equal scores
        pos, neg = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(wo, starts, axis=1)
        neg -= pos
    else:
        neg = wo - pos
    return pos, neg, np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)


def _roc_auc(pos, neg, tp, fp) -> np.ndarray:
    total_pos, total_neg = tp[:, -1], fp[:, -1]
    # each positive beats the negatives scored below it and ties half of those level with it
    num = (pos * (total_neg[:, None] - fp + 0.5 * neg)).sum(axis=1)
    return ratio(num, total_pos * total_neg)


def _average_precision(pos, neg, tp, fp) -> np.ndarray:
    total = tp[:, -1]
    # recall steps by pos/total at each threshold; precision there is tp / (tp + fp)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pos > 0, tp / np.where(tp + fp > 0, tp + fp, 1.0), 0.0)
    return ratio((pos * precision).sum(axis=1), total)


MOSTLY_DISTINCT = 0.5
"""Share of distinct scores from which :func:`_binary_ranked` beats :func:`_ranked`."""


def _binary_ranked(w: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, ...]:
    """(ROC AUC, average precision) of rows sorted by score, highest first, with 0/1 labels.

    The sums of :func:`_roc_auc` and :func:`_average_precision` taken over the positive rows
    only, since every other term is zero, from running totals of the positives' and the
    negatives' weights: a positive beats the negatives below it, and its precision is the
    positives' share of the rows at or above it. A positive inside a group of tied scores
    beats the negatives below the group and half of those inside it, and its precision is
    taken at the group's end: such positives (few, in real scores) are corrected one by one.
    About half the time of :func:`_ranked`, which sums every row into its group first
    (200 weightings of 20,000 rows with few ties: 41-52 ms against 94-120 ms)."""
    n = len(s)
    first = np.r_[True, s[1:] != s[:-1]]  # a row opening a group of equal scores
    starts = np.flatnonzero(first)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    group = (np.cumsum(first) - 1)[pos]
    start, end = starts[group], np.r_[starts[1:], n][group]  # each positive's group
    positives = w[:, pos]
    tp = np.cumsum(positives, axis=1)
    running_neg = np.cumsum(w[:, neg], axis=1)
    running_neg = np.concatenate([np.zeros((len(w), 1), w.dtype), running_neg], axis=1)
    fp = running_neg[:, pos - np.arange(len(pos))]  # negatives scored above each positive
    total_pos = tp[:, -1].astype(np.float64) if len(pos) else np.zeros(len(w))
    total_neg = running_neg[:, -1]
    f64 = np.float64  # sums of ~10^4 float32 terms, accumulated in double
    tiny = np.finfo(w.dtype).tiny  # tp / max(tp + fp, tiny) is 0 where no row is above
    beaten = (positives * (total_neg[:, None] - fp)).sum(axis=1, dtype=f64)
    precise = (positives * (tp / np.maximum(tp + fp, tiny))).sum(axis=1, dtype=f64)
    tied = np.flatnonzero(end - start > 1)
    if len(tied):  # ties: from the group's ends, not the positive's own place
        p, fp_own, tp_own = positives[:, tied], fp[:, tied], tp[:, tied]
        fp_start = running_neg[:, np.searchsorted(neg, start[tied])]
        fp_end = running_neg[:, np.searchsorted(neg, end[tied])]
        running_pos = np.concatenate([np.zeros((len(w), 1), w.dtype), tp], axis=1)
        tp_end = running_pos[:, np.searchsorted(pos, end[tied])]
        beaten += (p * (fp_own - 0.5 * (fp_start + fp_end))).sum(axis=1, dtype=f64)
        own = tp_own / np.maximum(tp_own + fp_own, tiny)
        at_end = tp_end / np.maximum(tp_end + fp_end, tiny)
        precise += (p * (at_end - own)).sum(axis=1, dtype=f64)
    return ratio(beaten, total_pos * total_neg), ratio(precise, total_pos)


def _auc_and_ap(w: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ROC AUC, average precision) under each weighting: :func:`_binary_ranked` for 0/1
    labels and mostly distinct scores (sorted first unless they come sorted, as the
    bootstrap's do), else the general :func:`_ranked`, which is the faster one when ties
    shrink the rows to few groups. The two agree to float rounding (tested)."""
    if bool(np.all((y == 0) | (y == 1))):
        if len(s) >= 2 and not bool(np.all(s[:-1] >= s[1:])):
            order = np.argsort(-s, kind="stable")
            s, w, y = s[order], w[:, order], y[order]
        if np.count_nonzero(s[1:] != s[:-1]) + 1 >= MOSTLY_DISTINCT * len(s):
            return _binary_ranked(w, y, s)
    ranked = _ranked(w, y, s)
    return _roc_auc(*ranked), _average_precision(*ranked)


def roc_auc(w: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Weighted ROC AUC of scores ``s`` for labels ``y`` (0/1, or the probability of the
    positive class: each row counts y as a positive and 1 - y as a negative; ties count one
    half)."""
    return _auc_and_ap(w, y, s)[0]


def average_precision(w: np.ndarray, y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Weighted average precision (area under the precision-recall curve, step-wise)."""
    return _auc_and_ap(w, y, s)[1]


def binary_metrics(
    w: np.ndarray, y: np.ndarray, yhat: np.ndarray, s: np.ndarray | None, bins: int = 10
) -> dict[str, np.ndarray]:
    """Binary figures; ``y``/``yhat`` are 0/1, ``s`` the positive-class score in [0, 1].

    Returns accuracy, precision, recall, f1, specificity (shares in [0, 1]) and, with scores,
    roc_auc, pr_auc, log_loss (nats), brier and calibration_error (expected calibration error
    over ``bins`` equal-width score bins, in probability points).
    """
    y, yhat = y.astype(w.dtype, copy=False), yhat.astype(w.dtype, copy=False)
    n = w.sum(axis=1)
    tp, fp = w @ (y * yhat), w @ ((1 - y) * yhat)
    fn, tn = w @ (y * (1 - yhat)), w @ ((1 - y) * (1 - yhat))
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    out = {
        "accuracy": ratio(tp + tn, n),
        "precision": np.nan_to_num(precision),
        "recall": np.nan_to_num(recall),
        "f1": np.nan_to_num(ratio(2 * tp, 2 * tp + fp + fn)),
        "specificity": np.nan_to_num(ratio(tn, tn + fp)),
    }
    if s is None:
        return out
    p = np.clip(s, EPS, 1 - EPS)
    out["roc_auc"], out["pr_auc"] = _auc_and_ap(w, y, s)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    out["log_loss"] = ratio(w @ loss.astype(w.dtype, copy=False), n)
    out["brier"] = ratio(w @ ((s - y) ** 2).astype(w.dtype, copy=False), n)
    out["calibration_error"] = calibration_error(w, y, s, bins)
    return out


def calibration_error(w: np.ndarray, y: np.ndarray, s: np.ndarray, bins: int) -> np.ndarray:
    """Expected calibration error: sum over equal-width bins of |mean score - positive share|
    weighted by the bin's share of rows (scikit-learn's ``calibration_curve`` bins)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.searchsorted(edges[1:-1], s)  # as calibration_curve bins
    if len(w) == 1:  # one weighting (a point figure): three weighted counts per bin
        w0 = w[0].astype(np.float64, copy=False)
        count, score, pos = (
            np.bincount(idx, weights=v, minlength=bins)[None, :].astype(w.dtype, copy=False)
            for v in (w0, w0 * s, w0 * y)
        )
    else:
        onehot = np.eye(bins, dtype=w.dtype)[idx]
        sc, yc = s.astype(w.dtype)[:, None], y.astype(w.dtype)[:, None]
        # one product for the three (B, bins) sums: rows, scores and positives per bin
        stacked = np.hstack([onehot, onehot * sc, onehot * yc])
        count, score, pos = np.split(w @ stacked, 3, axis=1)
    gap = np.abs(ratio(score, count) - ratio(pos, count))
    return ratio(np.nansum(gap * count, axis=1), count.sum(axis=1))


def multiclass_metrics(
    w: np.ndarray, y: np.ndarray, yhat: np.ndarray, scores: np.ndarray | None, k: int
) -> dict[str, np.ndarray]:
    """Multiclass figures; ``y``/``yhat`` are class indices 0..k-1, ``scores`` (n, k).

    Returns accuracy, macro_f1, weighted_f1, recall_<i> / precision_<i> per class index and,
    with scores, macro_roc_auc (one-vs-rest; classes absent from the labels are skipped).
    """
    n = w.sum(axis=1)
    out = {"accuracy": ratio(w @ (y == yhat).astype(float), n)}
    f1s, support = [], []
    for c in range(k):
        t, p = (y == c).astype(float), (yhat == c).astype(float)
        tp, n_true, n_pred = w @ (t * p), w @ t, w @ p
        out[f"recall_{c}"] = np.nan_to_num(ratio(tp, n_true))
        out[f"precision_{c}"] = np.nan_to_num(ratio(tp, n_pred))
        f1s.append(np.nan_to_num(ratio(2 * tp, n_true + n_pred)))
        support.append(n_true)
    f1, sup = np.stack(f1s, axis=1), np.stack(support, axis=1)
    out["macro_f1"] = f1.mean(axis=1)
    out["weighted_f1"] = ratio((f1 * sup).sum(axis=1), sup.sum(axis=1))
    if scores is not None:
        aucs = [
            roc_auc(w, (y == c).astype(float), scores[:, c]) for c in range(k) if (y == c).any()
        ]
        out["macro_roc_auc"] = np.nanmean(np.stack(aucs, axis=1), axis=1)
    return out


def regression_metrics(w: np.ndarray, y: np.ndarray, pred: np.ndarray) -> dict[str, np.ndarray]:
    """Regression figures in the target's units (error = prediction - label).

    Returns rmse, mae, mean_error (bias; > 0 over-predicts), error_std (population standard
    deviation), mape (a share, |error| / max(|label|, eps)), r2, share_over, share_under.
    """
    n = w.sum(axis=1)
    e = pred - y
    mean_e = ratio(w @ e, n)
    y_mean = ratio(w @ y, n)
    sst = (w * (y[None, :] - y_mean[:, None]) ** 2).sum(axis=1)
    sse = w @ e**2
    return {
        "rmse": np.sqrt(ratio(sse, n)),
        "mae": ratio(w @ np.abs(e), n),
        "mean_error": mean_e,
        "error_std": np.sqrt(np.maximum(ratio(w @ e**2, n) - mean_e**2, 0.0)),
        "mape": ratio(w @ (np.abs(e) / np.maximum(np.abs(y), EPS)), n),
        "r2": 1.0 - ratio(sse, sst),
        "share_over": ratio(w @ (e > 0).astype(float), n),
        "share_under": ratio(w @ (e < 0).astype(float), n),
    }


def weighted_quantiles(w: np.ndarray, values: np.ndarray, q: float) -> np.ndarray:
    """The ``q`` quantile of ``values`` under each weighting (inverted empirical CDF)."""
    order = np.argsort(values)
    v, cw = values[order], np.cumsum(w[:, order], axis=1)
    target = q * cw[:, -1:]
    idx = np.minimum((cw < target).sum(axis=1), len(v) - 1)
    return v[idx]
