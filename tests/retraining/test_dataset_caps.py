"""A retraining's rows are bounded: a larger reference or more recent labelled rows are
sampled in DuckDB, stably, each day keeping its share; the written reference of a promoted
version reads the same sampled reference rows; without caps every row is used."""

from __future__ import annotations

from collections import Counter

import duckdb
import numpy as np
import pytest
from pydantic import ValidationError
from scipy import stats

from monitoring_pipelines.config.model_config import Retraining
from monitoring_pipelines.retraining.dataset import (
    LABEL,
    SAMPLE_SALT,
    build_dataset,
    recent_labelled,
    reference_frame,
    reference_part,
)
from tests.performance.conftest import demo_store


@pytest.fixture(scope="module")
def intent(tmp_path_factory):
    home = tmp_path_factory.mktemp("intent_caps")
    con, cfgs, manifest, days = demo_store(home, ["intent"], rows_per_day=300)
    yield con, cfgs["intent"], days
    con.close()


def capped(cfg, **caps):
    return cfg.model_copy(
        update={"retraining": Retraining(**{**cfg.retraining.model_dump(), **caps})}
    )


def test_recent_rows_are_a_stable_sample_with_each_days_share(intent):
    con, cfg, days = intent
    trigger = days[-3]
    full, available = recent_labelled(con, capped(cfg, max_recent_rows=None), trigger, 30)
    assert len(full) == available > 2_000
    cap = available // 4
    small = capped(cfg, max_recent_rows=cap, min_labelled_rows=100)
    sample, also = recent_labelled(con, small, trigger, 30)
    assert (len(sample), also) == (cap, available)
    again, _ = recent_labelled(con, small, trigger, 30)
    pid = cfg.columns.prediction_id
    assert list(again[pid]) == list(sample[pid])  # stable
    assert set(sample[pid]) <= set(full[pid])
    ts = cfg.columns.timestamp
    assert sample[ts].is_monotonic_increasing  # oldest first, as without the cap
    # each day keeps its share: per-day counts against the full rows' (chi-square)
    all_days, got = Counter(full["_day"]), Counter(sample["_day"])
    expected = np.array([all_days[d] * cap / available for d in sorted(all_days)])
    observed = np.array([got.get(d, 0) for d in sorted(all_days)])
    assert stats.chisquare(observed, expected).pvalue > 0.001
    # exactly the cap rows first in (hash of the id, id, day) order: a top-N over all rows
    mem = duckdb.connect()
    mem.register("ids", full[[pid, "_day"]])
    first = mem.execute(
        f"SELECT {pid} FROM ids ORDER BY hash(CAST({pid} AS VARCHAR), '{SAMPLE_SALT}'), "
        f"{pid}, _day LIMIT {cap}"
    ).fetchall()
    mem.close()
    assert sorted(r[0] for r in first) == sorted(sample[pid])
    # the labels are the rows' own
    merged = sample[[pid, LABEL]].merge(full[[pid, LABEL]], on=pid, suffixes=("", "_all"))
    assert len(merged) == cap and (merged[LABEL] == merged[f"{LABEL}_all"]).all()


def test_reference_sample_is_the_same_rows_for_training_and_the_written_reference(intent):
    con, cfg, _ = intent
    (total,) = con.execute(
        f"SELECT count(*) FROM reference__intent WHERE {cfg.columns.label} IS NOT NULL"
    ).fetchone()
    small = capped(cfg, max_reference_rows=total // 3)
    part = reference_part(con, small)
    frame = reference_frame(con, small)
    assert len(part) == len(frame) == total // 3
    assert list(part.frame[LABEL].astype(str)) == list(frame[LABEL].astype(str))
    for col in cfg.features.numeric:
        np.testing.assert_array_equal(part.inputs[col].to_numpy(), frame[col].to_numpy(float))
    assert len(reference_part(con, small)) == total // 3
    assert list(reference_frame(con, small)[LABEL]) == list(frame[LABEL])  # stable
    everything = reference_frame(con, capped(cfg, max_reference_rows=None))
    assert len(everything) == total
    # a sample, not the first rows
    first_rows = everything[LABEL].astype(str).head(total // 3).tolist()
    assert list(frame[LABEL].astype(str)) != first_rows


def test_dataset_summary_says_what_was_sampled(intent):
    con, cfg, days = intent
    trigger = days[-3]
    full = build_dataset(con, capped(cfg, max_recent_rows=None, max_reference_rows=None), trigger)
    small_cfg = capped(cfg, max_recent_rows=1_000, max_reference_rows=500, min_labelled_rows=100)
    small = build_dataset(con, small_cfg, trigger)
    s = small.summary()
    assert s["reference_rows"] == 500
    assert s["reference_rows_available"] == len(full.reference)
    assert s["production_rows"] + s["holdout_rows"] == 1_000
    assert s["production_rows_available"] == len(full.recent) + len(full.holdout)
    assert 200 < s["holdout_rows"] < 400  # holdout_share 0.3 of the sampled rows
    f = full.summary()
    assert f["reference_rows"] == f["reference_rows_available"]


def test_recent_cap_below_the_rows_needed_is_refused():
    with pytest.raises(ValidationError, match="max_recent_rows"):
        Retraining(max_recent_rows=100, min_labelled_rows=200)
