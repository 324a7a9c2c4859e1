"""A shadow challenger scored on the same rows: flipped decisions, output shift and both
models' realized figures on identical labelled rows, checked against pandas/scikit-learn."""

from __future__ import annotations

from datetime import date

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import accuracy_score, roc_auc_score

from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect
from tests.conftest import TOY_CONFIG, toy_frame, write_day, write_toy_reference

DAY = date(2026, 3, 1)


def test_challenger_on_the_same_traffic(home):
    cfg = {**TOY_CONFIG, "columns": {"challenger_score": "shadow_score"}, "actions": {"hard": 0.8}}
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(cfg))
    write_toy_reference(home)
    rng = np.random.default_rng(3)
    frame = toy_frame(DAY, n=400, seed=0)
    labels = (rng.uniform(size=400) < frame["score"]).astype(int)
    # the challenger is the champion's score plus noise: some decisions flip
    frame["shadow_score"] = np.clip(frame["score"] + rng.normal(0, 0.15, 400), 0, 1)
    write_day(home, DAY, frame)
    lab = home.home / "landing/toy/labels/l.parquet"
    lab.parent.mkdir(parents=True)
    pd.DataFrame(
        {
            "prediction_id": frame["prediction_id"],
            "label": labels,
            "label_timestamp": pd.Timestamp(DAY) + pd.Timedelta(days=2),
        }
    ).to_parquet(lab)
    assert run_days(home, ["toy"], DAY, DAY, instance=dg.DagsterInstance.ephemeral()).exit_code == 0
    con = connect(home.database, read_only=True)
    got = {
        (m, s): v
        for m, s, v in con.execute(
            "SELECT metric, subject, value FROM metrics WHERE family = 'model_comparison'"
        ).fetchall()
    }
    con.close()
    champ_dec = frame["score"] >= 0.5
    chall_dec = frame["shadow_score"] >= 0.5
    assert got[("flipped_decisions", "challenger")] == pytest.approx(
        (champ_dec != chall_dec).mean()
    )
    assert got[("output_shift", "challenger")] == pytest.approx(
        (frame["shadow_score"] - frame["score"]).mean()
    )
    assert got[("flipped_hard_actions", "challenger")] == pytest.approx(
        ((frame["score"] >= 0.8) != (frame["shadow_score"] >= 0.8)).mean()
    )
    acc_champ = accuracy_score(labels, champ_dec.astype(int))
    acc_chall = accuracy_score(labels, chall_dec.astype(int))
    assert got[("accuracy", "champion")] == pytest.approx(acc_champ)
    assert got[("accuracy", "challenger")] == pytest.approx(acc_chall)
    assert got[("roc_auc", "challenger")] == pytest.approx(
        roc_auc_score(labels, frame["shadow_score"])
    )
    assert got[("delta_accuracy", "challenger")] == pytest.approx(acc_chall - acc_champ)
