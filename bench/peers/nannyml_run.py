"""NannyML 0.13: univariate drift (all features, Jensen-Shannon + chi2 / KS defaults),
CBPE (ROC AUC, F1, accuracy) and realized performance, daily chunks.

Usage: python nannyml_run.py <home> <out.json>  (run with bench/.venv-nannyml/bin/python)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).parent))

from common import load, write  # noqa: E402


def main(home: Path, out: Path) -> None:
    t0 = time.perf_counter()
    import nannyml as nml

    w, ref, ana = load(home)
    t_load = time.perf_counter()
    features = w["numeric"] + w["categorical"]
    drift = nml.UnivariateDriftCalculator(
        column_names=features,
        timestamp_column_name="timestamp",
        continuous_methods=["jensen_shannon"],
        categorical_methods=["jensen_shannon"],
        chunk_period="D",
    )
    drift.fit(ref)
    d = drift.calculate(ana)
    t_drift = time.perf_counter()
    common = dict(
        y_pred_proba="score",
        y_pred="prediction",
        y_true="label",
        timestamp_column_name="timestamp",
        problem_type="classification_binary",
        chunk_period="D",
    )
    metrics = ["roc_auc", "f1", "accuracy"]
    cbpe = nml.CBPE(metrics=metrics, **common)
    cbpe.fit(ref)
    e = cbpe.estimate(ana)
    t_cbpe = time.perf_counter()
    perf = nml.PerformanceCalculator(metrics=metrics, **common)
    perf.fit(ref)
    r = perf.calculate(ana)
    t_perf = time.perf_counter()
    write(
        out,
        {
            "tool": f"nannyml {nml.__version__}",
            "load_seconds": t_load - t0,
            "drift_seconds": t_drift - t_load,
            "cbpe_seconds": t_cbpe - t_drift,
            "realized_seconds": t_perf - t_cbpe,
            "seconds": t_perf - t0,
            "chunks": len(d.filter(period="analysis").to_df()),
            "estimated_chunks": len(e.filter(period="analysis").to_df()),
            "realized_chunks": len(r.filter(period="analysis").to_df()),
        },
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
