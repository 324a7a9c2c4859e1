"""Confidence-based performance estimation (CBPE) for classifiers, as in NannyML.

Scores are calibrated on the reference (isotonic regression, kept only where it lowers the
cross-validated calibration error); on a day without labels each row's calibrated probability
stands in for its unknown label, so the expected confusion matrix, and every figure built on
it, is the mean over the labels the model believes in. Multiclass is one-vs-rest, with the
calibrated class probabilities renormalised to sum to one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression

from monitoring_pipelines.performance.weighted import (
    binary_metrics,
    calibration_error,
    ratio,
    roc_auc,
)

BINARY_ESTIMATES = ("accuracy", "precision", "recall", "f1", "specificity", "roc_auc")


@dataclass
class Calibrator:
    """Isotonic map of one score column, or the identity when it did not help."""

    isotonic: IsotonicRegression | None

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities in [0, 1]."""
        if self.isotonic is None:
            return np.clip(scores, 0.0, 1.0)
        return self.isotonic.predict(scores)


def fit_calibrator(
    scores: np.ndarray, y: np.ndarray, mode: str, bins: int, seed: int
) -> Calibrator:
    """Fit isotonic calibration of ``scores`` to 0/1 ``y``.

    ``mode``: 'isotonic' always calibrates, 'none' never, 'auto' calibrates when a 2-fold
    cross-validated isotonic map has a lower expected calibration error than the raw scores.
    """
    if mode == "none":
        return Calibrator(None)
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    if mode == "auto":
        fold = np.random.default_rng(seed).permutation(len(y)) % 2
        raw, cal = [], []
        for f in (0, 1):
            tr, te = fold != f, fold == f
            fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            fitted.fit(scores[tr], y[tr])
            ones = np.ones((1, int(te.sum())))
            raw.append(calibration_error(ones, y[te], scores[te], bins)[0])
            cal.append(calibration_error(ones, y[te], fitted.predict(scores[te]), bins)[0])
        if np.mean(cal) >= np.mean(raw):
            return Calibrator(None)
    return Calibrator(iso.fit(scores, y))


@dataclass
class BinaryCBPE:
    """CBPE for a binary classifier: its positive-score calibrator."""

    calibrator: Calibrator

    @classmethod
    def fit(cls, scores: np.ndarray, y: np.ndarray, mode: str, bins: int, seed: int) -> BinaryCBPE:
        """Fit on the reference's positive-class scores and 0/1 labels."""
        return cls(fit_calibrator(scores, y, mode, bins, seed))

    def estimate(self, scores: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
        """Expected accuracy, precision, recall, f1, specificity and roc_auc (shares) of
        rows with positive-class ``scores`` and 0/1 predictions ``yhat``."""
        p = self.calibrator(scores)
        got = binary_metrics(np.ones((1, len(p))), p, yhat, None)
        got["roc_auc"] = roc_auc(np.ones((1, len(p))), p, scores)
        return {k: float(got[k][0]) for k in BINARY_ESTIMATES}


@dataclass
class MulticlassCBPE:
    """CBPE for a multiclass classifier: one calibrator per class score (one-vs-rest)."""

    calibrators: list[Calibrator]

    @classmethod
    def fit(
        cls, scores: np.ndarray, y: np.ndarray, mode: str, bins: int, seed: int
    ) -> MulticlassCBPE:
        """Fit on the reference's (n, k) class scores and class indices ``y``."""
        k = scores.shape[1]
        return cls(
            [
                fit_calibrator(scores[:, c], (y == c).astype(float), mode, bins, seed)
                for c in range(k)
            ]
        )

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """(n, k) calibrated class probabilities, each row summing to one."""
        p = np.column_stack([cal(scores[:, c]) for c, cal in enumerate(self.calibrators)])
        total = p.sum(axis=1, keepdims=True)
        return np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])

    def estimate(self, scores: np.ndarray, yhat: np.ndarray) -> dict[str, float]:
        """Expected accuracy, macro_f1, weighted_f1 and macro_roc_auc (one-vs-rest) of rows
        with (n, k) class ``scores`` and predicted class indices ``yhat``."""
        p = self.probabilities(scores)
        n, k = p.shape
        ones = np.ones((1, n))
        pred = np.eye(k)[np.clip(yhat, 0, k - 1)] * (yhat >= 0)[:, None]
        tp, true, predicted = (p * pred).sum(axis=0), p.sum(axis=0), pred.sum(axis=0)
        f1 = np.nan_to_num(ratio(2 * tp, true + predicted))
        aucs = [roc_auc(ones, p[:, c], scores[:, c])[0] for c in range(k)]
        return {
            "accuracy": float(tp.sum() / n),
            "macro_f1": float(f1.mean()),
            "weighted_f1": float((f1 * true).sum() / true.sum()),
            "macro_roc_auc": float(np.nanmean(aucs)),
        }
