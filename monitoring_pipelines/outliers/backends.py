"""The detectors behind one interface (``fit(X)`` on the reference, ``score(X)``: higher is more
outlying), in two backends chosen by ``outliers.backend``.

``alibi``: alibi-detect's ``IForest`` (score = minus sklearn's decision function) and
``Mahalanobis`` (an online detector: fitting scores the reference once to learn the mean and
covariance of the numeric features' z-scores, see ``detector.mahalanobis_columns``; each day is
scored on a copy of that state, so a day never changes the stored detector, though within a day
the copy keeps updating as alibi does, with values clipped at ``std_clip`` standard deviations).
alibi-detect is BSL-licensed since 0.11.5 and is imported only when chosen, and then without
its package's eager imports of what the outlier layer does not use (:mod:`.lazy_alibi`).

``sklearn``: ``sklearn.ensemble.IsolationForest`` (score = minus ``score_samples``) and the
squared Mahalanobis distance to the reference mean with the reference covariance (numpy, its
pseudo-inverse), which is what alibi's converges to on reference-like data.
"""

from __future__ import annotations

import copy
from typing import Protocol

import numpy as np
from sklearn.ensemble import IsolationForest

from monitoring_pipelines.config.outliers import OutlierBackend, OutlierDetectorName
from monitoring_pipelines.outliers import lazy_alibi


class Detector(Protocol):
    def fit(self, X: np.ndarray) -> None: ...

    def score(self, X: np.ndarray) -> np.ndarray: ...


class SklearnIForest:
    """Isolation forest; the score is the average path length's anomaly score (higher: more
    isolated)."""

    def __init__(self, n_estimators: int, seed: int) -> None:
        self.model = IsolationForest(n_estimators=n_estimators, random_state=seed)

    def fit(self, X: np.ndarray) -> None:
        self.model.fit(X)

    def score(self, X: np.ndarray) -> np.ndarray:
        return -self.model.score_samples(X)


class CovarianceMahalanobis:
    """Squared Mahalanobis distance to the reference mean under the reference covariance."""

    def fit(self, X: np.ndarray) -> None:
        self.mean = X.mean(axis=0)
        cov = np.atleast_2d(np.cov(X, rowvar=False))
        self.precision = np.linalg.pinv(cov, hermitian=True)

    def score(self, X: np.ndarray) -> np.ndarray:
        d = X - self.mean
        return np.einsum("ij,jk,ik->i", d, self.precision, d)


class AlibiIForest:
    """alibi-detect ``IForest``."""

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
        """Scores in chunks of :data:`CHUNK` rows, each on a fresh copy of the fitted state:
        alibi builds an n x d x d array per call, which at a million rows needs gigabytes."""
        white = self._white(X)
        parts = [
            np.asarray(copy.deepcopy(self.model).score(white[i : i + CHUNK]), dtype=float)
            for i in range(0, len(white), CHUNK)
        ]
        return np.concatenate(parts) if parts else np.zeros(0)


def make_detector(
    name: OutlierDetectorName, backend: OutlierBackend, n_estimators: int, seed: int
) -> Detector:
    """An unfitted detector of the chosen kind and backend."""
    alibi = OutlierBackend(backend) is OutlierBackend.alibi
    if OutlierDetectorName(name) is OutlierDetectorName.iforest:
        return AlibiIForest(n_estimators, seed) if alibi else SklearnIForest(n_estimators, seed)
    return AlibiMahalanobis() if alibi else CovarianceMahalanobis()
