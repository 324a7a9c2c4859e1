"""The benchmark's workload and its DuckDB floor, checked against scipy and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon

from bench.floor import BINS, EPS, run_floor
from bench.workload import Workload, generate


@pytest.fixture(scope="module")
def workload(tmp_path_factory) -> Workload:
    home = tmp_path_factory.mktemp("w1")
    return generate(home, analysis_rows=6000, reference_rows=4000, days=6, drift_days=2)


def _frames(w: Workload) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    ref = pd.read_parquet(w.reference_file)
    logs = pd.concat(
        [pd.read_parquet(w.day_file(w.first + pd.Timedelta(days=d))) for d in range(w.days)]
    )
    labels = pd.read_parquet(w.labels_glob.replace("*", "labels_all"))
    return ref, logs, labels


def _psi_js(p: np.ndarray, q: np.ndarray) -> tuple[float, float]:
    pe, qe = np.maximum(p, EPS), np.maximum(q, EPS)
    return float(np.sum((qe - pe) * np.log(qe / pe))), float(jensenshannon(p, q, base=2))


def test_workload_layout_and_drift(workload: Workload) -> None:
    ref, logs, labels = _frames(workload)
    assert len(ref) == 4000 and len(logs) == 6000 and len(labels) == 6000
    assert logs["timestamp"].dt.date.nunique() == 6
    assert set(workload.numeric) | set(workload.categorical) <= set(logs.columns)
    cards = [logs[c].nunique() for c in workload.categorical]
    assert min(cards) >= 3 and max(cards) <= 50
    late = logs["timestamp"] >= pd.Timestamp(workload.drift_from)
    shift = logs.loc[late, "num_00"].mean() - logs.loc[~late, "num_00"].mean()
    assert shift > 0.3  # num_00 has unit spread: half a standard deviation injected
    merged = logs.merge(labels, on="prediction_id")
    acc = (merged["prediction"] == merged["label"]).groupby(late.to_numpy()).mean()
    assert acc[True] < acc[False]


def test_floor_psi_js_and_confusion_match_scipy(workload: Workload) -> None:
    ref, logs, labels = _frames(workload)
    r = run_floor(
        str(workload.reference_file),
        workload.log_glob,
        workload.labels_glob,
        workload.numeric,
        workload.categorical,
    )
    assert len(r.drift) == workload.days * (len(workload.numeric) + len(workload.categorical))
    logs["day"] = logs["timestamp"].dt.normalize()
    edges = np.quantile(ref["num_00"], np.arange(1, BINS) / BINS)
    cats = sorted(set(ref["cat_1"]) | set(logs["cat_1"]))
    for day, part in logs.groupby("day"):
        got = r.drift[(r.drift["day"] == day)].set_index("feature")
        p = np.bincount(np.searchsorted(edges, ref["num_00"]), minlength=BINS) / len(ref)
        q = np.bincount(np.searchsorted(edges, part["num_00"]), minlength=BINS) / len(part)
        psi, js = _psi_js(p, q)
        assert got.loc["num_00", "psi"] == pytest.approx(psi, rel=1e-9, abs=1e-12)
        assert got.loc["num_00", "js"] == pytest.approx(js, rel=1e-9, abs=1e-12)
        p = ref["cat_1"].value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
        q = part["cat_1"].value_counts(normalize=True).reindex(cats, fill_value=0).to_numpy()
        psi, js = _psi_js(p, q)
        assert got.loc["cat_1", "psi"] == pytest.approx(psi, rel=1e-9, abs=1e-12)
        assert got.loc["cat_1", "js"] == pytest.approx(js, rel=1e-9, abs=1e-12)
    drifted = r.drift[r.drift["day"] >= pd.Timestamp(workload.drift_from)]
    assert drifted.groupby("feature")["psi"].mean().nlargest(4).index.sort_values().tolist() == (
        sorted(workload.drifted)
    )
    m = logs.merge(labels, on="prediction_id")
    want = m.groupby("day").apply(
        lambda g: pd.Series(
            {
                "tp": ((g.prediction == 1) & (g.label == 1)).sum(),
                "fp": ((g.prediction == 1) & (g.label == 0)).sum(),
                "tn": ((g.prediction == 0) & (g.label == 0)).sum(),
                "fn": ((g.prediction == 0) & (g.label == 1)).sum(),
            }
        ),
        include_groups=False,
    )
    got = r.confusion.set_index(pd.to_datetime(r.confusion["day"]))[["tp", "fp", "tn", "fn"]]
    assert (got.to_numpy() == want.to_numpy()).all()
