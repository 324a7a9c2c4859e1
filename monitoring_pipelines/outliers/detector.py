"""What is fitted once per model on its reference: the encoder, the detectors and each
detector's threshold (a reference percentile of its score), kept in the store between runs."""

from __future__ import annotations

import math
import pickle
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.config.outliers import OutlierBackend, OutlierDetectorName
from monitoring_pipelines.cores import near_equal
from monitoring_pipelines.outliers import lazy_alibi
from monitoring_pipelines.outliers.backends import Detector, make_detector
from monitoring_pipelines.outliers.encoding import Encoder
from monitoring_pipelines.store.sql import model_row, qi, reference_table

TABLE = "outlier_detectors"


SCORING_THREADS = 2  # the machines this runs on have two cores
MIN_PART_ROWS = 4096  # fewer rows a part: a thread's hand-off costs more than it saves


def _parts(detector, rows: int) -> list[tuple[int, int]]:
    """The (start, stop) row ranges ``detector`` scores ``rows`` rows in: one, or
    :data:`SCORING_THREADS` near-equal ones for a ``row_independent`` detector with at least
    :data:`MIN_PART_ROWS` rows a part."""
    n = SCORING_THREADS if getattr(detector, "row_independent", False) else 1
    if rows < n * MIN_PART_ROWS:
        n = 1
    return near_equal(rows, n)


@dataclass
class OutlierDetector:
    """A model's fitted outlier state.

    ``thresholds``: detector -> score above which a row is an outlier; ``expected_rates``:
    detector -> share of reference rows above it, plus ``any`` for rows above any detector's
    (the rate a reference-like day should show).
    """

    model: str
    backend: str
    reference_rows: int
    encoder: Encoder
    detectors: dict[str, Detector] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    expected_rates: dict[str, float] = field(default_factory=dict)
    reference_scores: dict[str, np.ndarray] = field(default_factory=dict)  # sorted
    inputs: dict[str, int] = field(default_factory=dict)  # detector -> leading columns used

    def scores(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Each detector's score of the encoded rows ``X``, on :data:`SCORING_THREADS`
        threads: the detectors side by side, and a detector that scores each row on its own
        (``row_independent``: the isolation forests, the covariance Mahalanobis) in
        :data:`SCORING_THREADS` parts of rows when there are at least :data:`MIN_PART_ROWS`
        a part, so one slow forest does not leave a core idle. Each scores its own copy of
        its state (alibi-detect's online Mahalanobis, whose rows depend on those before,
        is never split); scikit-learn's trees release the GIL, so parts overlap on two
        cores. The figures are those of one call per detector, to the bit (tested)."""
        inputs = getattr(self, "inputs", {})  # states stored before inputs existed: all
        jobs = {
            name: (d, X[:, : inputs[name]] if name in inputs else X)
            for name, d in self.detectors.items()
        }
        parts = {name: _parts(d, len(x)) for name, (d, x) in jobs.items()}
        if sum(len(p) for p in parts.values()) < 2:
            return {name: d.score(x) for name, (d, x) in jobs.items()}
        # the detectors scored in one call first, so a thread is free for them from the start
        # and the parts fill the other thread around them
        order = sorted(jobs, key=lambda name: len(parts[name]))
        with ThreadPoolExecutor(SCORING_THREADS, thread_name_prefix="outlier-detector") as pool:
            running = {
                name: [pool.submit(jobs[name][0].score, jobs[name][1][a:b]) for a, b in parts[name]]
                for name in order
            }
            return {name: np.concatenate([job.result() for job in running[name]]) for name in jobs}

    def rank(self, scores: dict[str, np.ndarray]) -> np.ndarray:
        """One outlier score per row comparable across detectors and backends: the highest
        share of reference rows a detector scores at or below the row (0..1)."""
        ranks = []
        for d, s in scores.items():
            ref = self.reference_scores[d]
            ranks.append(np.searchsorted(ref, s, side="right") / len(ref))
        return np.max(ranks, axis=0)


def reference_features(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> pd.DataFrame:
    """The reference's feature columns (rows where the model gave an output), or, when there
    are more than ``outliers.max_reference_rows`` of them, the rows :func:`fit_detector`
    would sample from them: the same rows in the same order as ``frame.sample(n,
    random_state=seed)`` of the whole frame, fetched from DuckDB by position instead of
    loading every reference row into pandas to keep a few."""
    cols = ", ".join(qi(f) for f in cfg.features.all)
    source = f"{reference_table(cfg.name)} WHERE {qi(cfg.columns.prediction)} IS NOT NULL"
    s = cfg.outliers
    (n,) = con.execute(f"SELECT count(*) FROM {source}").fetchone()
    if n <= s.max_reference_rows:
        return con.execute(f"SELECT {cols} FROM {source}").df()
    picks = pd.RangeIndex(n).to_series().sample(s.max_reference_rows, random_state=s.seed)
    order = pd.DataFrame({"_pos": picks.to_numpy(), "_ord": np.arange(len(picks))})
    numbered = f"SELECT {cols}, row_number() OVER (ORDER BY rowid) - 1 AS _pos FROM {source}"
    cur = con.cursor()  # the picks registered on a cursor of its own: gone with it
    try:
        cur.register("_outlier_picks", order)
        return cur.execute(
            f"SELECT {cols} FROM ({numbered}) JOIN _outlier_picks USING (_pos) ORDER BY _ord"
        ).df()
    finally:
        cur.close()


def fit_detector(cfg: ModelConfig, reference: pd.DataFrame) -> OutlierDetector:
    """Fit the encoder and every configured detector on (a sample of) the reference, and set
    each threshold at the configured percentile of its reference scores."""
    s = cfg.outliers
    needed = math.ceil(100 / (100 - s.percentile))  # for one row above the percentile
    if len(reference) < needed:
        raise ValueError(
            f"{cfg.name}: {len(reference)} reference rows, too few for a {s.percentile}th "
            f"percentile threshold (at least {needed})"
        )
    if len(reference) > s.max_reference_rows:
        reference = reference.sample(s.max_reference_rows, random_state=s.seed)
    encoder = Encoder.fit(
        reference, cfg.features.numeric, cfg.features.categorical, s.max_categories
    )
    X = encoder.transform(reference)
    state = OutlierDetector(cfg.name, OutlierBackend(s.backend).value, len(reference), encoder)
    flagged = np.zeros(len(X), dtype=bool)
    for name in map(OutlierDetectorName, s.detectors):
        detector = make_detector(name, s.backend, s.n_estimators, s.seed)
        cols = mahalanobis_columns(encoder) if name is OutlierDetectorName.mahalanobis else None
        if cols is not None:
            state.inputs[name.value] = cols
        Xd = X if cols is None else X[:, :cols]
        detector.fit(Xd)
        scores = detector.score(Xd)
        threshold = float(np.percentile(scores, s.percentile))
        state.detectors[name.value] = detector
        state.thresholds[name.value] = threshold
        state.expected_rates[name.value] = float(np.mean(scores > threshold))
        state.reference_scores[name.value] = np.sort(scores)
        flagged |= scores > threshold
    state.expected_rates["any"] = float(flagged.mean()) if len(X) else 0.0
    return state


def mahalanobis_columns(encoder: Encoder) -> int | None:
    """How many leading encoded columns the Mahalanobis distance uses: the numeric features'
    z-scores, when there are any (None: every column).

    A covariance over one-hot columns is near-singular (a few tenths of variance each, exact
    linear constraints) and an unusual category is what the isolation forest isolates; the
    distance is the multivariate-normal view of the numeric features. It is also what keeps
    alibi's online detector affordable: its cost grows with rows x dimensions squared."""
    return len(encoder.numeric) or None


def save_detector(con: duckdb.DuckDBPyConnection, state: OutlierDetector) -> None:
    """Replace the model's stored detector (call inside a transaction)."""
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {TABLE} (model VARCHAR PRIMARY KEY, backend VARCHAR, "
        "fitted_at TIMESTAMP, state BLOB)"
    )
    con.execute(f"DELETE FROM {TABLE} WHERE model = ?", [state.model])
    con.execute(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
        [state.model, state.backend, datetime.now(), pickle.dumps(state)],
    )


def load_detector(con: duckdb.DuckDBPyConnection, model: str) -> OutlierDetector | None:
    """The model's stored detector, or None when none was fitted yet. An alibi-detect state
    is unpickled with alibi-detect's package loaded lazily (:mod:`.lazy_alibi`); a
    scikit-learn one leaves alibi-detect alone."""
    row = model_row(con, TABLE, model, "state, backend")
    if not row:
        return None
    if row[1] == OutlierBackend.alibi.value:
        lazy_alibi.register()
    return pickle.loads(row[0])
