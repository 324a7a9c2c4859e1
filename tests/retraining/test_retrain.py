"""The retraining job's core on the intent demo (a product the model never saw launches
11 days before the end): a worse challenger is registered and not promoted, a better one is
promoted; the registry shows both and why; the promoted version gets its own reference."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from monitoring_pipelines.config.model_config import Retraining
from monitoring_pipelines.retraining import registry
from monitoring_pipelines.retraining.dataset import build_dataset
from monitoring_pipelines.retraining.evaluate import Evaluation, decide, predict
from monitoring_pipelines.retraining.retrain import retrain
from tests.performance.conftest import demo_store


@pytest.fixture(scope="module")
def intent(tmp_path_factory):
    home = tmp_path_factory.mktemp("intent")
    con, cfgs, manifest, days = demo_store(home, ["intent"], rows_per_day=600)
    yield con, cfgs["intent"], manifest, days, home
    con.close()


def with_retraining(cfg, **changes):
    return cfg.model_copy(
        update={"retraining": Retraining(**{**cfg.retraining.model_dump(), **changes})}
    )


def test_worse_then_better_challenger_and_the_registry_says_why(intent):
    con, cfg, manifest, days, home = intent
    trigger = days[-6]  # five days into the launch: its first labels have arrived
    bad = retrain(
        con,
        with_retraining(cfg, trainer="tests.retraining.trainers:majority"),
        home,
        trigger,
        triggered_by="drift",
    )
    assert not bad.promoted and bad.version == "retrain-1" and bad.champion_version == "1.0.0"
    assert bad.decision.reason.startswith("not promoted: accuracy")
    assert bad.reference_path is None

    good = retrain(con, cfg, home, trigger, triggered_by="drift")
    assert good.promoted, good.decision.reason
    assert good.version == "retrain-2"
    # the figures are what scikit-learn says on the held-out rows
    data = build_dataset(con, cfg, trigger)
    y = data.holdout.target.astype(str)
    chal = predict(cfg, joblib.load(good.artifact), data.holdout.inputs).prediction.astype(str)
    champ_model = joblib.load(home / "data" / "models" / "intent" / "v1.joblib")
    champ = predict(cfg, champ_model, data.holdout.inputs).prediction.astype(str)
    assert good.decision.challenger == pytest.approx(accuracy_score(y, chal))
    assert good.decision.champion == pytest.approx(accuracy_score(y, champ))
    assert good.decision.improvement >= cfg.retraining.min_improvement

    rows = {e["version"]: e for e in registry.entries(con, "intent")}
    assert {v: (e["status"], e["promoted"]) for v, e in rows.items()} == {
        "1.0.0": ("retired", True),
        "retrain-1": ("challenger", False),
        "retrain-2": ("champion", True),
    }
    assert rows["retrain-1"]["reason"] == bad.decision.reason
    assert rows["retrain-2"]["trained_on"]["labels_known_by"] == trigger.isoformat()
    assert rows["retrain-2"]["trained_on"]["production_rows"] > 0
    assert registry.champion(con, "intent")["version"] == "retrain-2"
    # labels that arrived after the trigger day were not used
    (late,) = con.execute(
        "SELECT count(*) FROM ground_truth__intent WHERE _day <= ? AND label_timestamp >= ?",
        [trigger, trigger + timedelta(days=1)],
    ).fetchone()
    n_known = len(data.recent) + len(data.holdout)
    (n_all,) = con.execute(
        "SELECT count(*) FROM ground_truth__intent WHERE _day BETWEEN ? AND ? "
        "AND label IS NOT NULL",
        [trigger - timedelta(days=cfg.retraining.window_days - 1), trigger],
    ).fetchone()
    assert late > 0 and n_known == n_all - late

    # the new version's reference: its training and holdout rows, scored by it
    ref = pd.read_parquet(good.reference_path)
    assert set(ref["model_version"]) == {"retrain-2"}
    assert len(ref) == len(data.reference) + len(data.recent) + len(data.holdout)
    top = ref[list(cfg.columns.class_scores.values())].idxmax(axis=1)
    inverse = {col: cls for cls, col in cfg.columns.class_scores.items()}
    assert (top.map(inverse) == ref["prediction"]).mean() > 0.999


def test_too_few_labelled_rows_is_a_clear_error(intent):
    con, cfg, manifest, days, home = intent
    with pytest.raises(ValueError, match="retraining needs 200"):
        build_dataset(con, cfg, days[0] - timedelta(days=40))


def _eval(metric, gap):
    return Evaluation({"accuracy": metric}, gap)


def test_decision_rules(intent):
    cfg = intent[1]
    better_less_fair = decide(cfg, _eval(0.70, 0.05), _eval(0.75, 0.10))
    assert (
        not better_less_fair.promote and "fairness gap grows by +0.0500" in better_less_fair.reason
    )
    slightly = decide(cfg, _eval(0.70, 0.05), _eval(0.705, 0.05))
    assert not slightly.promote and "below retraining.min_improvement" in slightly.reason
    ok = decide(cfg, _eval(0.70, 0.05), _eval(0.72, 0.06))
    assert ok.promote and ok.improvement == pytest.approx(0.02)
    reg = cfg.model_copy(update={"task": "regression"})
    err = decide(reg, Evaluation({"mae": 10.0}, None), Evaluation({"mae": 9.0}, None))
    assert err.promote and err.improvement == pytest.approx(0.1)  # relative for errors


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_fairness_gap_from_counted_cells_equals_fairlearn_on_the_rows(task):
    """The retraining's fairness gap, given to fairlearn as weighted (group, true,
    predicted) cells, is fairlearn's figure on the raw rows; groups under MIN_GROUP_ROWS
    are left out as before."""
    from fairlearn.metrics import MetricFrame, equalized_odds_difference
    from sklearn.metrics import accuracy_score

    from monitoring_pipelines.config import Task
    from monitoring_pipelines.retraining.evaluate import MIN_GROUP_ROWS, Outputs, _gap

    rng = np.random.default_rng(7)
    n = 5_000
    g = rng.choice(np.array(["a", "b", "c", "tiny"], dtype=object), n, p=[0.5, 0.3, 0.195, 0.005])
    assert (g == "tiny").sum() < MIN_GROUP_ROWS
    if task == "binary":
        y = rng.integers(0, 2, n)
        pred = np.where(rng.uniform(size=n) < np.where(g == "b", 0.3, 0.1), 1 - y, y)
    else:
        y = rng.choice(np.array(["x", "y", "z"], dtype=object), n)
        pred = np.where(rng.uniform(size=n) < np.where(g == "c", 0.4, 0.2), "x", y)
    cfg = SimpleNamespace(task=Task(task))  # _gap reads only the task
    gap = _gap(cfg, y, Outputs(pred), g.astype(str))
    big = g != "tiny"
    if task == "binary":
        want = equalized_odds_difference(y[big], pred[big], sensitive_features=g[big])
    else:
        want = MetricFrame(
            metrics=accuracy_score, y_true=y[big], y_pred=pred[big], sensitive_features=g[big]
        ).difference()
    assert gap == pytest.approx(float(want), abs=1e-12) and gap > 0.05
