"""The worst-slice search against an independent pandas / scipy computation, its false
positive rate on data without an effect, and a planted slice."""

from __future__ import annotations

from itertools import combinations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from monitoring_pipelines.config.slices import Correction, SliceSettings
from monitoring_pipelines.slices.binning import Binning, bin_labels
from monitoring_pipelines.slices.loss import REALIZED, RowLoss
from monitoring_pipelines.slices.search import search_metrics, search_slices, slices_table
from monitoring_pipelines.slices.stats import holm

EDGES = {"x": (-0.5, 0.5)}
BINNING = Binning(("x", "city", "tier"), EDGES)


@pytest.fixture
def duck(tmp_path):
    con = duckdb.connect(str(tmp_path / "slices.duckdb"))
    yield con
    con.close()


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(0, 1, n),
            "city": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "tier": rng.choice(["gold", "silver", None], n, p=[0.5, 0.4, 0.1]),
        }
    )


def as_loss(f: pd.DataFrame, loss: np.ndarray) -> RowLoss:
    return RowLoss(f, loss, REALIZED, len(f), len(f))


def test_bin_labels_are_left_closed_intervals():
    got = bin_labels(pd.Series([-2.0, -0.5, 0.0, 0.5, 3.0, np.nan]), (-0.5, 0.5))
    assert list(got) == [
        "(-inf,-0.5)",
        "[-0.5,0.5)",
        "[-0.5,0.5)",
        "[0.5,inf)",
        "[0.5,inf)",
        "<missing>",
    ]


def test_codes_group_like_the_string_labels():
    """Integer codes (what the search uses) give the groups of the per-row string labels,
    including nulls, mixed types that print alike, and bins whose edges print alike."""
    from monitoring_pipelines.slices.groups import group_stats

    f = frame(2_000, 9)
    f["mixed"] = pd.Series([1, "1", 2.5, None] * 500, dtype=object)
    f["y"] = np.random.default_rng(1).normal(size=len(f))
    binning = Binning(("x", "y", "city", "tier", "mixed"), {**EDGES, "y": (0.100001, 0.100002)})
    loss = np.random.default_rng(2).uniform(size=len(f))
    codes = binning.codes(f)
    labels = binning.labels(f)
    for col, (code, names) in codes.items():
        assert len(set(names)) == len(names)  # one code per label
        assert list(names[code]) == list(labels[col])
    assert set(codes["mixed"][1][codes["mixed"][0]]) == {"1", "2.5", "<missing>"}
    assert len(set(codes["y"][1][codes["y"][0]])) == 2  # two edges that print alike: one

    def table(groups):
        cols = [c for c in groups.columns if c not in ("n", "s", "ss")]
        key = groups[cols].fillna("-").astype(str).agg("|".join, axis=1)
        return groups.assign(key=key).set_index("key")[["n", "s", "ss"]].sort_index()

    by_codes, c1 = group_stats(codes, loss)
    by_labels, c2 = group_stats(labels, loss)
    assert c1 == c2 and len(by_codes) == len(by_labels) > 30
    pd.testing.assert_frame_equal(table(by_codes), table(by_labels), rtol=1e-12)


def test_group_sums_on_two_threads_are_those_of_one_to_the_bit():
    """Above MIN_SPLIT_ROWS the sets are counted on two threads: the same groups, in the same
    order, with the same sums to the bit; and every count and sum is that of pandas."""
    from monitoring_pipelines.slices import groups as g

    rng = np.random.default_rng(7)
    rows = g.MIN_SPLIT_ROWS + 1_001
    labels = pd.DataFrame({f"c{i}": rng.integers(0, k, rows).astype(str)
                           for i, k in enumerate((3, 7, 12, 2, 5))})  # fmt: skip
    codes = g.factorize(labels)
    values = {"a": rng.normal(size=rows), "b": rng.exponential(size=rows)}
    one = g.group_sums(codes, values, threads=1)
    two = g.group_sums(codes, values, threads=2)
    assert len(one) == 29 + (29**2 - (9 + 49 + 144 + 4 + 25)) // 2  # values + value pairs
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pair = two[two["c1"].notna() & two["c3"].notna()].set_index(["c1", "c3"]).sort_index()
    by_pandas = (
        labels.assign(a=values["a"]).groupby(["c1", "c3"])["a"].agg(["size", "sum"]).sort_index()
    )
    assert list(pair["n"]) == list(by_pandas["size"])
    np.testing.assert_allclose(pair["a"], by_pandas["sum"], rtol=1e-12)


def test_slice_figures_equal_a_pandas_groupby(duck):
    f = frame(600, 3)
    rng = np.random.default_rng(4)
    loss = rng.exponential(1.0, len(f)) + 0.8 * (f["city"] == "d").to_numpy()
    s = SliceSettings(min_support=20, min_support_share=0.0, prune_redundant=False)
    got = search_slices(duck, BINNING, as_loss(f, loss), s)

    # independent: labels by hand, every 1- and 2-column group with pandas
    lab = pd.DataFrame(
        {
            "x": pd.cut(f["x"], [-np.inf, -0.5, 0.5, np.inf], right=False).map(
                {
                    pd.Interval(-np.inf, -0.5, "left"): "(-inf,-0.5)",
                    pd.Interval(-0.5, 0.5, "left"): "[-0.5,0.5)",
                    pd.Interval(0.5, np.inf, "left"): "[0.5,inf)",
                }
            ),
            "city": f["city"],
            "tier": f["tier"].fillna("<missing>"),
        }
    ).astype(str)
    lab["loss"] = loss
    expected = {}
    for cols in [("x",), ("city",), ("tier",), *combinations(("x", "city", "tier"), 2)]:
        for key, g in lab.groupby(list(cols)):
            key = key if isinstance(key, tuple) else (key,)
            if len(g) < 20:
                continue
            sid = "&".join(f"{c}={v}" for c, v in zip(cols, key, strict=True))
            rest = lab.loc[~lab.index.isin(g.index), "loss"]
            p = stats.ttest_ind(g["loss"], rest, equal_var=False, alternative="greater").pvalue
            expected[sid] = (len(g), g["loss"].mean(), p)
    assert got.tried == len(expected)
    assert {x.slice_id for x in got.slices} == set(expected)
    ids = sorted(expected)
    p_holm = dict(zip(ids, holm(np.array([expected[i][2] for i in ids])), strict=True))
    for x in got.slices:
        n, mean, p = expected[x.slice_id]
        assert x.support == n
        assert x.mean_loss == pytest.approx(mean, rel=1e-9)
        assert x.gap == pytest.approx(mean - loss.mean(), rel=1e-9, abs=1e-12)
        assert x.relative_gap == pytest.approx(mean / loss.mean() - 1, rel=1e-9, abs=1e-12)
        assert x.p_value == pytest.approx(p, rel=1e-6)
        assert x.p_adjusted == pytest.approx(p_holm[x.slice_id], rel=1e-6)
    assert got.slices[0].slice_id == "city=d" and got.slices[0].significant
    assert [x.rank for x in got.slices] == list(range(1, len(got.slices) + 1))


@pytest.mark.parametrize("correction", [Correction.holm, Correction.bh])
def test_no_slice_is_significant_without_an_effect(duck, correction):
    s = SliceSettings(min_support=30, correction=correction, prune_redundant=False)
    flagged = 0
    for seed in range(50):
        f = frame(800, 100 + seed)
        loss = np.random.default_rng(seed).binomial(1, 0.2, len(f)).astype(float)
        got = search_slices(duck, BINNING, as_loss(f, loss), s)
        assert got.tried > 20
        flagged += bool(got.significant)
    # under the global null both control the family-wise error at alpha = 0.05
    assert flagged <= 6, flagged


def test_a_planted_two_feature_slice_is_found_and_ranked_first(duck):
    f = frame(3000, 7)
    rng = np.random.default_rng(8)
    planted = ((f["city"] == "b") & (f["x"] >= 0.5)).to_numpy()
    loss = rng.binomial(1, np.where(planted, 0.45, 0.2)).astype(float)
    got = search_slices(duck, BINNING, as_loss(f, loss), SliceSettings())
    top = got.slices[0]
    assert top.slice_id == "x=[0.5,inf)&city=b"  # canonical order: the binning's columns
    assert top.significant and top.status == "alert"
    assert top.support == planted.sum()
    # its parents are worse than the whole too, but the child explains them
    assert {x.slice_id for x in got.significant} <= {top.slice_id, "city=b", "x=[0.5,inf)"}
    metrics = search_metrics(got, top_k=3)
    by = {(m.metric, m.subject): m for m in metrics}
    assert by[("rank", top.slice_id)].value == 1
    assert by[("gap", top.slice_id)].status == "alert"
    assert by[("significant_slices", "")].value == len(got.significant)
    assert by[("loss_realized", "")].value == 1.0
    assert "x=[0.5,inf)&city=b" in slices_table(got, 3)


def test_pruning_drops_children_no_worse_than_their_parent(duck):
    f = frame(3000, 9)
    rng = np.random.default_rng(10)
    loss = rng.binomial(1, np.where(f["city"] == "a", 0.4, 0.2)).astype(float)
    got = search_slices(duck, BINNING, as_loss(f, loss), SliceSettings())
    assert got.slices[0].slice_id == "city=a"
    children = [x for x in got.slices if len(x.conditions) == 2 and ("city", "a") in x.conditions]
    assert not children  # corrected child-vs-parent tests: none survives by chance


def test_a_slice_as_bad_as_usual_on_the_reference_is_not_flagged(duck):
    f = frame(3000, 11)
    rng = np.random.default_rng(12)
    loss = rng.binomial(1, np.where(f["city"] == "a", 0.4, 0.2)).astype(float)
    s = SliceSettings()
    alone = search_slices(duck, BINNING, as_loss(f, loss), s)
    usual = {"city=a": alone.slices[0].relative_gap - 0.05}  # the reference had nearly as much
    judged = search_slices(duck, BINNING, as_loss(f, loss), s, usual)
    assert alone.slices[0].slice_id == judged.slices[0].slice_id == "city=a"
    assert alone.slices[0].status == "alert" and judged.slices[0].status == "ok"
    assert judged.slices[0].reference_relative_gap == usual["city=a"]
