"""Reading the workload's files the same way for every peer (pandas + pyarrow only)."""

from __future__ import annotations

import glob
import json
import resource
from pathlib import Path

import pandas as pd


def load(home: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(workload, reference, analysis with labels joined) from the home's Parquet files."""
    w = json.loads((home / "workload.json").read_text())
    ref = pd.read_parquet(Path(home) / "data" / "reference" / f"{w['model']}.parquet")
    logs = sorted(
        glob.glob(str(Path(home) / "data" / "landing" / w["model"] / "predictions" / "*.parquet"))
    )
    ana = pd.concat([pd.read_parquet(f) for f in logs], ignore_index=True)
    labels = pd.concat(
        [
            pd.read_parquet(f)
            for f in glob.glob(
                str(Path(home) / "data" / "landing" / w["model"] / "labels" / "*.parquet")
            )
        ],
        ignore_index=True,
    )
    ana = ana.merge(labels[["prediction_id", "label"]], on="prediction_id", how="left")
    return w, ref, ana


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write(out: Path, result: dict) -> None:
    result["peak_rss_mb"] = peak_rss_mb()
    out.write_text(json.dumps(result, indent=2, default=str))
