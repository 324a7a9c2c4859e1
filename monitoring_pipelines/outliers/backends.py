"""The detectors behind one interface (``fit(X)`` on the reference, ``score(X)``: higher is more
outlying), in two backends chosen by ``outliers.backend``.

``alibi``: alibi-detect's ``IForest`` (score = minus sklearn's decision function) and
``Mahalanobis`` (an online detector: fitting scores the reference once to learn the mean and
covariance of the numeric features' z-scores, see ``detector.mahalanobis_columns``; each day is
scored on a copy of that state, so a day never changes the stored detector, though within a day
the copy keeps updating as alibi does, with values clipped at ``std_clip`` standard deviations).
Mahalanobis fits through alibi's own ``score``; a day is scored with alibi's arithmetic from
the fitted state, its per-row Python loop put in closed form (:func:`online_mahalanobis_scores`,
equal to alibi's figures to rounding, about 5x faster), and by alibi's own ``score`` where that
function defers to it. alibi-detect is BSL-licensed since 0.11.5 and is imported only when
chosen, and then without its package's eager imports of what the outlier layer does not use
(:mod:`.lazy_alibi`).

``sklearn``: ``sklearn.ensemble.IsolationForest`` (score = minus ``score_samples``) and the
squared Mahalanobis distance to the reference mean with the reference covariance (numpy, its
pseudo-inverse), which is what alibi's converges to on reference-like data.
"""

from __future__ import annotations

import copy
from typing import Protocol

import numpy as np
from scipy.linalg import eigh
from sklearn.ensemble import IsolationForest

from monitoring_pipelines.config.outliers import OutlierBackend, OutlierDetectorName
from monitoring_pipelines.outliers import lazy_alibi


class Detector(Protocol):
    """A detector whose class sets ``row_independent = True`` scores each row from the fitted
    state alone, so its rows may be scored in parts (side by side) with the same figures, to
    the bit (see ``OutlierDetector.scores``)."""

    def fit(self, X: np.ndarray) -> None: ...

    def score(self, X: np.ndarray) -> np.ndarray: ...


class SklearnIForest:
    """Isolation forest; the score is the average path length's anomaly score (higher: more
    isolated)."""

    row_independent = True

    def __init__(self, n_estimators: int, seed: int) -> None:
        self.model = IsolationForest(n_estimators=n_estimators, random_state=seed)

    def fit(self, X: np.ndarray) -> None:
        self.model.fit(X)

    def score(self, X: np.ndarray) -> np.ndarray:
        return -self.model.score_samples(X)


class CovarianceMahalanobis:
    """Squared Mahalanobis distance to the reference mean under the reference covariance."""

    row_independent = True

    def fit(self, X: np.ndarray) -> None:
        self.mean = X.mean(axis=0)
        cov = np.atleast_2d(np.cov(X, rowvar=False))
        self.precision = np.linalg.pinv(cov, hermitian=True)

    def score(self, X: np.ndarray) -> np.ndarray:
        d = X - self.mean
        return np.einsum("ij,jk,ik->i", d, self.precision, d)


class AlibiIForest:
    """alibi-detect ``IForest``."""

    row_independent = True

    def __init__(self, n_estimators: int, seed: int) -> None:
        lazy_alibi.register()
        from alibi_detect.od import IForest

        self.model = IForest(threshold=np.inf, n_estimators=n_estimators)  # ours apply
        self.model.isolationforest.set_params(random_state=seed)

    def fit(self, X: np.ndarray) -> None:
        self.model.fit(X)

    def score(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.score(X), dtype=float)


CHUNK = 20_000  # rows per alibi Mahalanobis call (memory: CHUNK x d x d doubles)


class AlibiMahalanobis:
    """alibi-detect ``Mahalanobis`` over the columns it is given; the fitted state is frozen
    (every call scores on a copy of it).

    Inputs are whitened with the reference covariance first. The distance is unchanged by
    this (it is affine invariant), but alibi only inverts a covariance whose determinant
    exceeds 1e-8 and scores every row 0 otherwise, which one-hot columns (variances of a few
    tenths each) easily cause; whitened, the covariance it learns is close to the identity.
    """

    def fit(self, X: np.ndarray) -> None:
        lazy_alibi.register()
        from alibi_detect.od import Mahalanobis

        self.mean = X.mean(axis=0)
        values, vectors = np.linalg.eigh(np.atleast_2d(np.cov(X, rowvar=False)))
        keep = values > max(values.max(), 0.0) * 1e-9
        self.whiten = vectors[:, keep] / np.sqrt(values[keep])
        self.model = Mahalanobis(threshold=np.inf, n_components=max(int(keep.sum()), 1))
        white = self._white(X)
        for i in range(0, len(white), CHUNK):  # learns the mean and covariance online
            self.model.score(white[i : i + CHUNK])

    def _white(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) @ self.whiten

    def score(self, X: np.ndarray) -> np.ndarray:
        """Scores in chunks of :data:`CHUNK` rows, each from the fitted state: alibi builds an
        n x d x d array per call, which at a million rows needs gigabytes. Each chunk is
        scored by :func:`online_mahalanobis_scores` (alibi's arithmetic without its per-row
        loop), or by alibi's own ``score`` on a copy of the state where that function defers
        to it."""
        return self._by_chunk(X, self._score_chunk)

    def score_with_alibi(self, X: np.ndarray) -> np.ndarray:
        """The same scores by alibi's own ``score`` (its per-row loop) on every chunk: what
        :meth:`score` computed before the closed form, kept to compare against."""
        return self._by_chunk(X, self._alibi_chunk)

    def _by_chunk(self, X: np.ndarray, score_chunk) -> np.ndarray:
        white = self._white(X)
        parts = [score_chunk(white[i : i + CHUNK]) for i in range(0, len(white), CHUNK)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _score_chunk(self, X: np.ndarray) -> np.ndarray:
        scores = online_mahalanobis_scores(self.model, X)
        return self._alibi_chunk(X) if scores is None else scores

    def _alibi_chunk(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(copy.deepcopy(self.model).score(X), dtype=float)


SOLVE_BLOCK = 1024  # rows whose running covariances are built and solved at once
ALIBI_EPSILON = 1e-8  # alibi_detect.od.mahalanobis.EPSILON: below it, alibi does not invert


def online_mahalanobis_scores(model, X: np.ndarray) -> np.ndarray | None:
    """alibi-detect's ``Mahalanobis.score(X)`` (0.12-0.13) from ``model``'s state, leaving
    the state unchanged, with alibi's per-row loop in closed form; None where alibi's own
    ``score`` must run instead (no state learned yet, fewer than 2 rows seen, or a projected
    covariance alibi would not invert).

    alibi scores row ``i`` of a batch against a running covariance ``C_i`` that it keeps
    updated row by row in Python, inverting it with Sherman-Morrison: ``C_0`` is the stored
    covariance projected on the batch's principal components, and ``C_i = (n+i-2)/(n+i-1)
    C_(i-1) + B_(i-1)`` with ``B_m = d_m d_m' / (n+m+1)``, ``d_m`` the clipped row ``m``
    less the running mean before it, and ``n`` the rows seen before the batch. Unrolled,
    ``(n+i-1) C_i = (n-1) C_0 + sum_(m<i) (n+m) B_m``: a cumulative sum over the batch, so
    every row's inverse comes from one batched solve. The score is ``x_i' C_i^-1 x_i`` with
    ``x_i`` the row (unclipped) less the running mean, as alibi's. A W1 day (33,333 rows, 15
    dimensions) takes 0.12 s instead of alibi's 0.63 s, a 5M day 0.64 s instead of 3.44 s
    (``python -m bench.mahalanobis``); the scores equal alibi's to 2e-14 relative there and
    to 1e-9 in ``tests/outliers/test_detectors.py``."""
    n_batch, n_params = X.shape
    n = model.n if model.max_n is None else min(model.n, model.max_n)
    if n < 2 or n_batch == 0 or (isinstance(model.C, int) and model.C == 0):
        return None
    n_components = min(model.n_components, n_params)
    X_clip = np.clip(X, model.clip[0], model.clip[1]) if model.n > model.start_clip else X
    steps = np.arange(n_batch)
    # the running mean before each row, as alibi tracks it
    partial_means = X_clip.cumsum(axis=0) / (steps + 1.0)[:, None]
    new_means = model.mean + ((steps + 1.0) / (steps + n + 1.0))[:, None] * (
        partial_means - model.mean
    )
    means_before = np.empty_like(new_means)
    means_before[0] = model.mean
    means_before[1:] = new_means[:-1]
    # the batch's covariance, whose leading eigenvectors alibi projects on
    diff = X_clip - means_before
    weights = ((n + steps) / (n + steps + 1.0))[:, None]
    denominator = n + max(1, n_batch - 1.0)
    cov_batch = (n - 1.0) / denominator * model.C + 1.0 / denominator * ((diff * weights).T @ diff)
    _, eigvects = eigh(cov_batch, subset_by_index=(n_params - n_components, n_params - 1))
    proj_cov = eigvects.T @ model.C @ eigvects
    if abs(np.linalg.det(proj_cov)) <= ALIBI_EPSILON:
        return None
    proj_means = means_before @ eigvects
    d = X_clip @ eigvects - proj_means
    x = X @ eigvects - proj_means
    dw = d * weights
    quadratic = np.empty(n_batch)
    running = (n - 1.0) * proj_cov  # (n+i-1) C_i at the block's first row
    for start in range(0, n_batch, SOLVE_BLOCK):  # blocks small enough for the CPU's cache
        stop = min(start + SOLVE_BLOCK, n_batch)
        grown = dw[start:stop, :, None] * d[start:stop, None, :]
        np.cumsum(grown, axis=0, out=grown)  # through row i, inclusive
        scaled = np.empty_like(grown)  # the rows before i only
        scaled[0] = running
        scaled[1:] = running + grown[:-1]
        running = running + grown[-1]
        solved = np.linalg.solve(scaled, x[start:stop, :, None])[:, :, 0]
        quadratic[start:stop] = np.einsum("ij,ij->i", x[start:stop], solved)
    return (n + steps - 1.0) * quadratic


def make_detector(
    name: OutlierDetectorName, backend: OutlierBackend, n_estimators: int, seed: int
) -> Detector:
    """An unfitted detector of the chosen kind and backend."""
    alibi = OutlierBackend(backend) is OutlierBackend.alibi
    if OutlierDetectorName(name) is OutlierDetectorName.iforest:
        return AlibiIForest(n_estimators, seed) if alibi else SklearnIForest(n_estimators, seed)
    return AlibiMahalanobis() if alibi else CovarianceMahalanobis()
