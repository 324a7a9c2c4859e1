"""Workload W1 as a monitoring home: a binary classifier's reference, daily Parquet logs,
one labels file and a model config, generated with vectorised numpy (no per-row Python).

Layout under ``home``: ``config/models/<model>.yaml``, ``data/reference/<model>.parquet``,
``data/landing/<model>/predictions/<day>.parquet``, ``data/landing/<model>/labels/*.parquet``
and ``workload.json`` (what was generated: days, rows, drifted features).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

MODEL = "w1"
N_NUMERIC = 15
CARDINALITIES = (3, 8, 15, 30, 50)
DRIFT_NUMERIC = ("num_00", "num_01", "num_02")
DRIFT_CATEGORICAL = "cat_1"
SEGMENT = "channel"
SEGMENT_VALUES = ("web", "app", "store", "partner")
SENSITIVE = "sex"
SENSITIVE_VALUES = ("F", "M")
SHIFT = 0.5
"""Mean shift of a drifted numeric feature, in standard deviations."""
CONCEPT_NOISE = 1.2
"""Extra log-odds noise on the label in the drift window: the model's accuracy drops there."""


@dataclass
class Workload:
    """What a generated home holds."""

    home: str
    model: str
    reference_rows: int
    analysis_rows: int
    days: int
    first_day: str
    last_day: str
    drift_days: int
    drift_from: str
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def first(self) -> date:
        return date.fromisoformat(self.first_day)

    @property
    def last(self) -> date:
        return date.fromisoformat(self.last_day)

    @property
    def reference_file(self) -> Path:
        return Path(self.home) / "data" / "reference" / f"{self.model}.parquet"

    @property
    def log_glob(self) -> str:
        return str(Path(self.home) / "data" / "landing" / self.model / "predictions" / "*.parquet")

    @property
    def labels_glob(self) -> str:
        return str(Path(self.home) / "data" / "landing" / self.model / "labels" / "*.parquet")

    def day_file(self, day: date) -> Path:
        return Path(self.home) / "data" / "landing" / self.model / "predictions" / f"{day}.parquet"

    @classmethod
    def load(cls, home: Path) -> Workload:
        return cls(**json.loads((Path(home) / "workload.json").read_text()))


def numeric_names() -> list[str]:
    return [f"num_{i:02d}" for i in range(N_NUMERIC)]


def categorical_names() -> list[str]:
    return [f"cat_{i}" for i in range(len(CARDINALITIES))]


def _weights(rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The true model: numeric coefficients, per-category log-odds, category mixes."""
    coef = rng.normal(0.0, 0.5, N_NUMERIC)
    cat_effects = [rng.normal(0.0, 0.4, c) for c in CARDINALITIES]
    mixes = [rng.dirichlet(np.full(c, 2.0)) for c in CARDINALITIES]
    return coef, cat_effects, mixes


def _categories(rng: np.random.Generator, n: int, p: np.ndarray) -> np.ndarray:
    """``n`` category codes drawn from the mix ``p`` (inverse CDF: one searchsorted)."""
    return np.minimum(np.searchsorted(np.cumsum(p), rng.random(n)), len(p) - 1).astype(np.int32)


def _strings(codes: np.ndarray, prefix: str, k: int) -> pa.Array:
    """Category codes as an Arrow string column (``<prefix>_<code>``) without Python loops."""
    labels = pa.array([f"{prefix}_{i:02d}" for i in range(k)])
    return pa.DictionaryArray.from_arrays(pa.array(codes), labels).cast(pa.string())


def _block(
    rng: np.random.Generator,
    n: int,
    model: tuple,
    drifted: np.ndarray,
    *,
    with_label: bool = True,
) -> dict[str, pa.Array]:
    """``n`` rows: features, score, prediction, label; ``drifted`` marks rows in the drift
    window (shifted features, a changed category mix, a noisier concept)."""
    coef, cat_effects, mixes = model
    x = rng.standard_normal((n, N_NUMERIC)).astype(np.float64)
    for j, name in enumerate(numeric_names()):
        if name in DRIFT_NUMERIC:
            x[:, j] += SHIFT * drifted
    logit = x @ coef
    cols: dict[str, pa.Array] = {}
    for j, name in enumerate(numeric_names()):
        cols[name] = pa.array(np.round(x[:, j] * (1 + j) + 10 * j, 4))
    for j, (name, k) in enumerate(zip(categorical_names(), CARDINALITIES, strict=True)):
        codes = _categories(rng, n, mixes[j])
        if name == DRIFT_CATEGORICAL and drifted.any():
            alt = _categories(rng, n, mixes[j][::-1].copy())
            codes = np.where(drifted, alt, codes)
        logit = logit + cat_effects[j][codes]
        cols[name] = _strings(codes, name, k)
    score = 1.0 / (1.0 + np.exp(-logit))
    true_logit = logit + CONCEPT_NOISE * drifted * rng.standard_normal(n) * 2.0
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-true_logit))).astype(np.int64)
    cols["score"] = pa.array(np.round(score, 6))
    cols["prediction"] = pa.array((score >= 0.5).astype(np.int64))
    cols[SEGMENT] = _strings(_categories(rng, n, np.array([0.4, 0.3, 0.2, 0.1])), "ch", 4)
    cols[SENSITIVE] = _strings(_categories(rng, n, np.array([0.5, 0.5])), "sex", 2)
    cols["model_version"] = pa.array(np.full(n, "v1"))
    cols["latency_ms"] = pa.array(np.round(rng.lognormal(3.5, 0.3, n), 2))
    cols["error"] = pa.nulls(n, pa.string())
    if with_label:
        cols["label"] = pa.array(label)
    return cols


def config_yaml(model: str, expected_rows: int) -> dict:
    """The model config: every feature declared, segment and sensitive columns, labels."""
    return {
        "name": model,
        "task": "binary",
        "description": "Benchmark workload W1: synthetic binary classifier.",
        "logs": {"path": f"data/landing/{model}/predictions/{{day}}.parquet"},
        "labels": {"path": f"data/landing/{model}/labels/*.parquet"},
        "reference": {"path": f"data/reference/{model}.parquet"},
        "features": {"numeric": numeric_names(), "categorical": categorical_names()},
        "segments": [SEGMENT],
        "sensitive": [SENSITIVE],
        "positive_class": "1",
        "labels_expected_after_days": 1,
        "actions": {"hard": 0.8, "soft": 0.5},
        "review": {"capacity_per_day": 1000, "control_share": 0.02},
        "volume": {"expected_daily_rows": expected_rows},
    }


def generate(
    home: Path,
    *,
    analysis_rows: int = 1_000_000,
    reference_rows: int = 1_000_000,
    days: int = 30,
    drift_days: int = 10,
    last_day: date = date(2025, 3, 31),
    seed: int = 11,
) -> Workload:
    """Write the workload under ``home`` (existing files of the model are replaced)."""
    t0 = time.perf_counter()
    home = Path(home).resolve()
    rng = np.random.default_rng(seed)
    model = _weights(rng)
    first = last_day - timedelta(days=days - 1)
    drift_from = last_day - timedelta(days=drift_days - 1)
    w = Workload(
        home=str(home),
        model=MODEL,
        reference_rows=reference_rows,
        analysis_rows=analysis_rows,
        days=days,
        first_day=first.isoformat(),
        last_day=last_day.isoformat(),
        drift_days=drift_days,
        drift_from=drift_from.isoformat(),
        numeric=numeric_names(),
        categorical=categorical_names(),
        drifted=[*DRIFT_NUMERIC, DRIFT_CATEGORICAL],
    )
    for sub in ("predictions", "labels"):
        folder = home / "data" / "landing" / MODEL / sub
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
    (home / "data" / "reference").mkdir(parents=True, exist_ok=True)
    (home / "config" / "models").mkdir(parents=True, exist_ok=True)
    (home / "expectations").mkdir(parents=True, exist_ok=True)
    suite = home / "expectations" / f"{MODEL}.json"
    suite.unlink(missing_ok=True)  # regenerated from the new reference by the pipeline

    per_day = analysis_rows // days
    cfg = config_yaml(MODEL, per_day)
    (home / "config" / "models" / f"{MODEL}.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))

    ref = _block(rng, reference_rows, model, np.zeros(reference_rows))
    ref_start = np.datetime64(first - timedelta(days=60), "us")
    ref["timestamp"] = pa.array(
        ref_start + rng.integers(0, 60 * 86_400_000_000, reference_rows).astype("timedelta64[us]")
    )
    ref["prediction_id"] = _ids("r", 0, reference_rows)
    pq.write_table(pa.table(ref), w.reference_file, compression="zstd")

    day_index = np.repeat(np.arange(days), per_day)
    day_index = np.concatenate([day_index, np.full(analysis_rows - len(day_index), days - 1)])
    drifted = (day_index >= days - drift_days).astype(np.float64)
    block = _block(rng, analysis_rows, model, drifted)
    starts = np.datetime64(first, "us") + day_index.astype("timedelta64[D]")
    offsets = np.sort(rng.integers(0, 86_400_000_000, analysis_rows))
    block["timestamp"] = pa.array(starts + offsets.astype("timedelta64[us]"))
    block["prediction_id"] = _ids("p", 0, analysis_rows)
    labels = block.pop("label")
    table = pa.table(block)
    order = ["prediction_id", "timestamp", *[c for c in table.column_names if c not in
             ("prediction_id", "timestamp")]]  # fmt: skip
    table = table.select(order)
    bounds = np.searchsorted(day_index, np.arange(days + 1))
    for d in range(days):
        day = first + timedelta(days=d)
        part = table.slice(bounds[d], bounds[d + 1] - bounds[d])
        pq.write_table(part, w.day_file(day), compression="zstd")
    label_time = pc.add(table["timestamp"], pa.scalar(timedelta(days=1), pa.duration("us")))
    lab = pa.table(
        {"prediction_id": table["prediction_id"], "label": labels, "label_timestamp": label_time}
    )
    pq.write_table(lab, Path(home) / "data" / "landing" / MODEL / "labels" / "labels_all.parquet")
    w.seconds = time.perf_counter() - t0
    (home / "workload.json").write_text(json.dumps(asdict(w), indent=2))
    return w


def _ids(prefix: str, start: int, n: int) -> pa.Array:
    """``<prefix><number>`` ids as an Arrow string column."""
    numbers = pc.cast(pa.array(np.arange(start, start + n)), pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), numbers, "")
