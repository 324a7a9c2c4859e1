"""One retraining: train a challenger, judge it against the champion on held-out recent
labelled rows, register it, and promote it only if it is better.

On promotion the challenger's training rows (reference + recent + holdout, scored by the new
champion) become the reference of the new version, written to
``<home>/data/reference/<model>/<version>.parquet``: the reference assets load it, so drift
is measured against what the new model learned from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import joblib
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig, Task
from monitoring_pipelines.retraining import registry
from monitoring_pipelines.retraining.dataset import (
    LABEL,
    Dataset,
    build_dataset,
    model_inputs,
    reference_frame,
)
from monitoring_pipelines.retraining.evaluate import (
    Decision,
    Evaluation,
    Outputs,
    decide,
    evaluate,
    predict,
)
from monitoring_pipelines.retraining.trainer import load_trainer
from monitoring_pipelines.store.connection import transaction
from monitoring_pipelines.store.sql import reference_table


@dataclass
class Outcome:
    model: str
    version: str
    champion_version: str
    decision: Decision
    champion_eval: Evaluation
    challenger_eval: Evaluation
    champion_source: str  # 'artifact' or 'logged outputs'
    trained_on: dict[str, Any]
    artifact: Path
    reference_path: Path | None

    @property
    def promoted(self) -> bool:
        return self.decision.promote


def _champion_version(con, cfg: ModelConfig, data: Dataset) -> str:
    col = cfg.columns.model_version
    frame = data.holdout.frame
    if col and col in frame and frame[col].notna().any():
        return str(frame[col].astype(str).mode().iloc[0])
    entry = registry.champion(con, cfg.name)
    return entry["version"] if entry else "v1"


def logged_outputs(cfg: ModelConfig, frame: pd.DataFrame) -> Outputs:
    """What the serving model said on these rows, from the logs."""
    from monitoring_pipelines.performance.data import _as_class, class_index

    pred = frame[cfg.columns.prediction]
    if cfg.task is Task.regression:
        return Outputs(pd.to_numeric(pred, errors="coerce").to_numpy(float))
    if cfg.task is Task.binary:
        score = None
        if cfg.columns.score and cfg.columns.score in frame:
            score = pd.to_numeric(frame[cfg.columns.score], errors="coerce").to_numpy(float)
        positive = class_index(pred, [cfg.positive_class]) == 0
        return Outputs(positive.astype(np.int64), score)
    return Outputs(_as_class(pred).to_numpy(object))


def _groups(cfg: ModelConfig, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {a: frame[a].astype(str).to_numpy(object) for a in cfg.sensitive if a in frame}


def champion_artifact(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, home: Path) -> Path | None:
    """The champion's model file: the registry's, else ``drift.model_path`` when it exists."""
    entry = registry.champion(con, cfg.name)
    if entry and entry.get("artifact"):
        path = Path(entry["artifact"])
        return path if path.exists() else None
    if cfg.drift.model_path:
        path = home / cfg.drift.model_path.format(model=cfg.name)
        return path if path.exists() else None
    return None


def retrain(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    home: Path,
    trigger_day: date,
    *,
    triggered_by: str,
    run_id: str | None = None,
) -> Outcome:
    """Train, judge, register and (maybe) promote; see the module docstring."""
    data = build_dataset(con, cfg, trigger_day)
    r = cfg.retraining
    inputs, target, weight = data.training(r.recent_weight)
    trainer = load_trainer(r.trainer)
    kwargs: dict[str, Any] = {"seed": r.seed}
    if r.recent_weight != 1.0:
        kwargs["sample_weight"] = weight
    challenger = trainer(cfg, inputs, target, **kwargs)

    holdout = data.holdout
    groups = _groups(cfg, holdout.frame)
    champ_version = _champion_version(con, cfg, data)
    champ_path = champion_artifact(con, cfg, home)
    if champ_path is not None:
        champ_out = predict(cfg, joblib.load(champ_path), holdout.inputs)
        source = "artifact"
    else:
        champ_out = logged_outputs(cfg, holdout.frame)
        source = "logged outputs"
    champ_eval = evaluate(cfg, holdout.target, champ_out, groups)
    chal_eval = evaluate(cfg, holdout.target, predict(cfg, challenger, holdout.inputs), groups)
    decision = decide(cfg, champ_eval, chal_eval)

    model_dir = home / "data" / "models" / cfg.name
    model_dir.mkdir(parents=True, exist_ok=True)
    version = registry.next_version(
        con, cfg.name, lambda v: v == champ_version or (model_dir / f"{v}.joblib").exists()
    )
    artifact = model_dir / f"{version}.joblib"
    joblib.dump(challenger, artifact)
    reference_path = None
    if decision.promote:
        reference_path = _write_reference(con, cfg, home, data, challenger, version)
    trained_on = {**data.summary(), "trainer": r.trainer or "default (scikit-learn)"}
    evaluation = {
        "champion": champ_eval.metrics,
        "challenger": chal_eval.metrics,
        "champion_fairness_by_attribute": champ_eval.fairness_by_attribute,
        "challenger_fairness_by_attribute": chal_eval.fairness_by_attribute,
        "champion_source": source,
    }
    with transaction(con):
        registry.ensure_registry(con)
        if registry.champion(con, cfg.name) is None:
            registry.register(
                con,
                {
                    "model": cfg.name,
                    "version": champ_version,
                    "status": "champion",
                    "triggered_by": "initial champion (first seen in the logs)",
                    "promoted": True,
                    "reason": "serving when monitoring began",
                    "artifact": str(champ_path) if champ_path else None,
                },
            )
        if decision.promote:
            current = registry.champion(con, cfg.name)
            if current:
                registry.set_status(con, cfg.name, current["version"], "retired")
        registry.register(
            con,
            {
                "model": cfg.name,
                "version": version,
                "status": "champion" if decision.promote else "challenger",
                "trigger_day": trigger_day,
                "triggered_by": triggered_by,
                "run_id": run_id,
                "champion_version": champ_version,
                "metric": decision.metric,
                "champion_value": decision.champion,
                "challenger_value": decision.challenger,
                "improvement": decision.improvement,
                "champion_fairness": champ_eval.fairness_gap,
                "challenger_fairness": chal_eval.fairness_gap,
                "promoted": decision.promote,
                "reason": decision.reason,
                "artifact": str(artifact),
                "reference_path": str(reference_path) if reference_path else None,
                "trained_on": trained_on,
                "evaluation": evaluation,
            },
        )
    return Outcome(
        cfg.name, version, champ_version, decision, champ_eval, chal_eval, source, trained_on,
        artifact, reference_path,
    )  # fmt: skip


def _write_reference(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    home: Path,
    data: Dataset,
    model: Any,
    version: str,
) -> Path:
    """The new version's reference: its training and holdout rows with the reference's
    columns, outputs replaced by the new model's, ``model_version`` set to ``version``.
    The dataset kept only the reference's features: its other columns are read again here
    (same rows, same order)."""
    ref_cols = [r[0] for r in con.execute(f"DESCRIBE {reference_table(cfg.name)}").fetchall()]
    reference = reference_frame(con, cfg)
    if len(reference) != len(data.reference):
        raise RuntimeError(f"{cfg.name}: the reference changed while retraining")
    parts = []
    for raw in (reference, data.recent.frame, data.holdout.frame):
        frame = raw.copy()
        frame[cfg.columns.label] = frame[LABEL]
        parts.append(frame[[c for c in ref_cols if c in frame.columns]])
    frame = pd.concat(parts, ignore_index=True)
    out = predict(cfg, model, model_inputs(cfg, frame))
    c = cfg.columns
    if cfg.task is Task.regression:
        frame[c.prediction] = out.prediction
    elif cfg.task is Task.binary:
        frame[c.prediction] = out.prediction
        if c.score:
            frame[c.score] = out.score
    else:
        frame[c.prediction] = out.prediction.astype(str)
        if c.class_scores:
            proba = np.asarray(model.predict_proba(model_inputs(cfg, frame)))
            classes = [str(x) for x in model.classes_]
            for value, col in c.class_scores.items():
                frame[col] = proba[:, classes.index(value)] if value in classes else 0.0
    if c.model_version:
        frame[c.model_version] = version
    path = home / "data" / "reference" / cfg.name / f"{version}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path
