"""Evidently 0.7: one report per day with the data drift and classification presets,
reference = the whole reference file.

Usage: python evidently_run.py <home> <out.json> [max_days]  (bench/.venv-evidently/bin/python)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).parent))

from common import load, write  # noqa: E402


def main(home: Path, out: Path, max_days: int) -> None:
    t0 = time.perf_counter()
    import evidently
    from evidently import BinaryClassification, DataDefinition, Dataset, Report
    from evidently.presets import ClassificationPreset, DataDriftPreset

    w, ref, ana = load(home)
    t_load = time.perf_counter()
    definition = DataDefinition(
        numerical_columns=w["numeric"],
        categorical_columns=w["categorical"],
        classification=[
            BinaryClassification(target="label", prediction_labels="prediction", pos_label=1)
        ],
    )
    keep = [*w["numeric"], *w["categorical"], "label", "prediction"]
    reference = Dataset.from_pandas(ref[keep], data_definition=definition)
    ana["_day"] = ana["timestamp"].dt.date
    days = sorted(ana["_day"].unique())
    if max_days:
        days = days[-max_days:]
    report = Report([DataDriftPreset(), ClassificationPreset()])
    per_day = []
    for day in days:
        t = time.perf_counter()
        cur = Dataset.from_pandas(ana.loc[ana["_day"] == day, keep], data_definition=definition)
        report.run(cur, reference)
        per_day.append(time.perf_counter() - t)
    write(
        out,
        {
            "tool": f"evidently {evidently.__version__}",
            "load_seconds": t_load - t0,
            "days": len(days),
            "day_seconds": per_day,
            "seconds": time.perf_counter() - t0,
        },
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0)
