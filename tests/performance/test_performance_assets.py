"""Performance through Dagster: estimated figures on a day without labels; late labels for a
past day change its realized figures on the next run."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import numpy as np
import pandas as pd
import yaml

from monitoring_pipelines import constants as k
from monitoring_pipelines.performance.data import day_of, labelled_rows
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect
from tests.conftest import TOY_CONFIG, toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]
N = 300


def _family(home, day, family, subject=""):
    con = connect(home.database, read_only=True)
    try:
        rows = con.execute(
            "SELECT metric, value, lower, upper, status FROM metrics WHERE model = 'toy' "
            "AND day = ? AND family = ? AND subject = ?",
            [day, family, subject],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_operating_point_and_model_comparison_through_dagster(home, toy):
    cfg = {**TOY_CONFIG, "actions": {"hard": 0.8, "soft": 0.5}}
    cfg["performance"] = {"target_precision": 0.99, "precision_buffer": 0.01}
    (home.config_dir / "toy.yaml").write_text(yaml.safe_dump(cfg))
    write_toy_reference(home)
    day = DAYS[0]
    frame = toy_frame(day, n=N, seed=0)
    frame["model_version"] = np.where(np.arange(N) % 3 == 0, "2.0", "1.0")
    write_day(home, day, frame)
    run = run_days(home, ["toy"], day, day, instance=dg.DagsterInstance.ephemeral())
    assert run.exit_code == 0
    hard = _family(home, day, "operating_point", "hard")
    assert hard["action_share"][0] == (frame["score"] >= 0.8).mean()
    assert hard["estimated_precision"][3] == "alert"  # about 0.9, wanted 0.99 +/- 0.01
    versions = _family(home, day, "model_comparison", "version=2.0")
    assert versions["traffic_share"][0] == (frame["model_version"] == "2.0").mean()
    assert {"estimated_accuracy", "output_shift", "output_ks"} <= set(versions)


def _land_labels(home, day, share, name):
    frame = toy_frame(day, n=N, seed=DAYS.index(day))
    rng = np.random.default_rng(5)
    take = frame.iloc[: int(share * N)]
    path = home.home / "landing/toy/labels" / f"{name}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "prediction_id": take["prediction_id"],
            "label": (rng.uniform(size=len(take)) < take["score"]).astype(int),
            "label_timestamp": pd.Timestamp(day) + pd.Timedelta(days=5),
        }
    ).to_parquet(path)


def test_estimated_without_labels_then_realized_after_late_labels(home, toy):
    write_toy_reference(home)
    for i, d in enumerate(DAYS):
        write_day(home, d, toy_frame(d, n=N, seed=i))
    instance = dg.DagsterInstance.ephemeral()
    assert run_days(home, ["toy"], DAYS[0], DAYS[-1], instance=instance).exit_code == 0
    old = DAYS[0]
    est = _family(home, old, "estimated_performance")
    assert {"accuracy", "roc_auc", "f1", "precision", "recall"} <= set(est)
    value, lower, upper, _ = est["roc_auc"]
    assert lower < value < upper
    before = _family(home, old, "performance")
    assert before["coverage"][0] == 0.0 and "accuracy" not in before

    # 30 % of the day's labels land late: realized figures, flagged partial
    _land_labels(home, old, 0.3, "first")
    refresh = run_days(home, ["toy"], old, old, instance=instance, job=k.REFRESH_LABELS_JOB)
    assert refresh.exit_code == 0
    partial = _family(home, old, "performance")
    assert partial["coverage"][0] == 0.3 and partial["coverage"][3] == "warn"
    assert "accuracy" in partial and "roc_auc" in partial
    assert "accuracy" in _family(home, old, "estimation_error")

    # the rest arrive: the figures are replaced, intervals narrow, coverage recorded
    _land_labels(home, old, 1.0, "second")
    run_days(home, ["toy"], old, old, instance=instance, job=k.REFRESH_LABELS_JOB)
    full = _family(home, old, "performance")
    assert full["coverage"][0] == 1.0 and full["coverage"][3] == "ok"
    assert full["labelled_rows"][0] == N
    assert full["accuracy"][0] != partial["accuracy"][0]
    width = {f: v["accuracy"][2] - v["accuracy"][1] for f, v in (("p", partial), ("f", full))}
    assert width["f"] < width["p"]


def test_trailing_window_pools_the_labelled_days(home, toy):
    from sklearn.metrics import accuracy_score, roc_auc_score

    write_toy_reference(home)
    frames = [toy_frame(d, n=N, seed=i) for i, d in enumerate(DAYS)]
    for d, f in zip(DAYS, frames, strict=True):
        write_day(home, d, f)
    for d, name in ((DAYS[0], "w0"), (DAYS[2], "w2")):
        _land_labels(home, d, 1.0, name)
    assert (
        run_days(
            home, ["toy"], DAYS[0], DAYS[-1], instance=dg.DagsterInstance.ephemeral()
        ).exit_code
        == 0
    )
    con = connect(home.database, read_only=True)
    pooled = con.execute(
        "SELECT g.label, p.prediction, p.score FROM ground_truth__toy g JOIN predictions__toy p "
        "USING (prediction_id) WHERE g._day BETWEEN ? AND ? ORDER BY g._day",
        [DAYS[0], DAYS[2]],
    ).df()
    # the asset reads the window once and takes each day from it: the same rows, in the same
    # order, as reading the day alone (unlabelled DAYS[1] included: none)
    read = labelled_rows(con, toy, DAYS[0], DAYS[2])
    for d in DAYS:
        alone, taken = labelled_rows(con, toy, d, d), day_of(read, d)
        assert len(taken) == (N if d != DAYS[1] else 0)
        for a, b in ((alone.yhat, taken.yhat), (alone.y, taken.y), (alone.scores, taken.scores)):
            np.testing.assert_array_equal(a, b)
        pd.testing.assert_frame_equal(alone.frame, taken.frame)
    con.close()
    day = _family(home, DAYS[2], "performance")
    last = pooled.iloc[N:]  # DAYS[2]'s rows
    assert day["labelled_rows"][0] == N
    assert abs(day["roc_auc"][0] - roc_auc_score(last["label"].astype(int), last["score"])) < 1e-9
    window = _family(home, DAYS[2], "performance_window")
    assert window["labelled_rows"][0] == 2 * N and window["coverage"][0] == 2 / 3
    y = pooled["label"].astype(int)
    assert abs(window["accuracy"][0] - accuracy_score(y, pooled["prediction"].astype(int))) < 1e-9
    assert abs(window["roc_auc"][0] - roc_auc_score(y, pooled["score"])) < 1e-9
