"""Segment performance and per-row losses against independent computations."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import mean_absolute_error

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.cbpe import BinaryCBPE
from monitoring_pipelines.performance.data import Rows
from monitoring_pipelines.performance.realized import realized_performance
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.loss import REALIZED, DayRows, estimated_loss, row_loss
from monitoring_pipelines.slices.segments import segment_performance
from monitoring_pipelines.slices.stats import holm

REG = {
    "name": "reg",
    "task": "regression",
    "logs": {"path": "landing/reg/{day}.parquet"},
    "reference": {"path": "reference/reg.parquet"},
    "features": {"numeric": ["x"], "categorical": ["region"]},
    "segments": ["region"],
    "slices": {"segment_min_rows": 20, "min_label_coverage": 0.5},
}


@pytest.fixture
def duck(tmp_path):
    con = duckdb.connect(str(tmp_path / "segments.duckdb"))
    yield con
    con.close()


def day(n: int = 900, seed: int = 0) -> tuple[DayRows, pd.DataFrame]:
    """A day: region 'north' predicted badly; 80% of rows labelled."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "region": rng.choice(["north", "south", "east"], n)}
    )
    y = rng.normal(10, 2, n)
    noise = np.where(frame["region"] == "north", 3.0, 1.0)
    yhat = y + rng.normal(0, 1, n) * noise
    labelled = rng.uniform(size=n) < 0.8
    data = DayRows(Rows(yhat, None, None, frame), labelled, y[labelled])
    truth = frame.assign(y=y, yhat=yhat, labelled=labelled)
    return data, truth


def test_segment_figures_equal_a_pandas_groupby(duck):
    cfg = ModelConfig.model_validate(REG)
    data, truth = day()
    loss = row_loss(cfg, None, data)
    assert loss.source == REALIZED and loss.labelled == truth["labelled"].sum()
    got = segment_performance(duck, cfg, None, Binning(("x", "region"), {}), data, loss)
    by = {(m.metric, m.subject): m for m in got.metrics}

    lab = truth[truth["labelled"]].assign(err=lambda t: (t["yhat"] - t["y"]).abs())
    whole = lab["err"].mean()
    assert by[("mean_loss", "")].value == pytest.approx(whole)
    ps = {}
    for region, g in lab.groupby("region"):
        sid = f"region={region}"
        served = (truth["region"] == region).sum()
        assert by[("rows", sid)].value == served
        assert by[("coverage", sid)].value == pytest.approx(len(g) / served)
        assert by[("mae", sid)].value == pytest.approx(mean_absolute_error(g["y"], g["yhat"]))
        assert by[("mean_loss", sid)].value == pytest.approx(g["err"].mean())
        assert by[("gap", sid)].value == pytest.approx(g["err"].mean() - whole)
        assert by[("relative_gap", sid)].value == pytest.approx(g["err"].mean() / whole - 1)
        rest = lab.loc[lab["region"] != region, "err"]
        ps[sid] = stats.ttest_ind(g["err"], rest, equal_var=False, alternative="greater").pvalue
    ids = sorted(ps)
    for sid, p in zip(ids, holm(np.array([ps[i] for i in ids])), strict=True):
        assert by[("p_adjusted", sid)].value == pytest.approx(p, rel=1e-6)
    # the segments are figured two at a time on threads: each interval is its own seeded
    # bootstrap, as realized_performance gives it for the segment's rows alone
    for region in ("north", "south", "east"):
        sid = f"region={region}"
        g = truth[(truth["region"] == region) & truth["labelled"]]
        rows = Rows(g["yhat"].to_numpy(), g["y"].to_numpy(), None, g[["x", "region"]])
        alone = {
            m.metric: m for m in realized_performance(cfg, rows, served=by[("rows", sid)].value)
        }
        for metric in ("mae", "rmse", "r2"):
            assert (by[(metric, sid)].lower, by[(metric, sid)].upper) == pytest.approx(
                (alone[metric].lower, alone[metric].upper)
            )
    assert [m.subject for m in got.metrics if m.metric == "rows"] == [
        "region=east",
        "region=north",
        "region=south",
    ]
    assert got.worst.segment == "region=north"
    assert by[("gap", "region=north")].status == "alert"  # about 2x the whole's error
    assert {by[("gap", s)].status for s in ("region=south", "region=east")} == {"ok"}
    assert by[("segments_flagged", "")].value == 1


def test_without_enough_labels_the_loss_is_estimated_and_segments_still_report(duck):
    cfg = ModelConfig.model_validate(REG)
    data, _ = day()
    few = DayRows(data.rows, np.zeros(len(data), bool), data.y[:0])
    assert row_loss(cfg, None, few) is None  # no labels and no estimator: nothing to rank
    got = segment_performance(duck, cfg, None, Binning(("x", "region"), {}), few, None)
    by = {(m.metric, m.subject): m for m in got.metrics}
    assert by[("coverage", "region=north")].value == 0.0
    assert ("gap", "region=north") not in by


def test_estimated_loss_of_a_binary_classifier_is_its_cbpe_error():
    rng = np.random.default_rng(3)
    scores = rng.uniform(size=4000)
    y = (rng.uniform(size=4000) < scores).astype(float)
    cbpe = BinaryCBPE.fit(scores, y, "isotonic", 10, 0)
    yhat = (scores >= 0.5).astype(float)
    rows = Rows(yhat, None, scores, pd.DataFrame(index=range(4000)))
    loss = estimated_loss(cbpe, rows)
    p = cbpe.calibrator(scores)
    assert loss == pytest.approx(np.where(yhat == 1, 1 - p, p))
    assert loss.mean() == pytest.approx(1 - cbpe.estimate(scores, yhat)["accuracy"])
