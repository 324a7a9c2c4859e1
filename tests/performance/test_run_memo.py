"""A day's rows read once per Dagster run and shared by the run's steps (store/run_memo.py):
the same rows as a plain read, each caller its own copy, nothing carried into another run."""

from __future__ import annotations

import pandas as pd
import pytest

from monitoring_pipelines.performance.data import day_rows, labelled_rows
from monitoring_pipelines.slices.loss import read_rows
from monitoring_pipelines.store import run_memo
from monitoring_pipelines.store.derived import release_caches
from tests.performance.conftest import demo_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    con, cfgs, _, days = demo_store(tmp_path_factory.mktemp("memo"), ["churn"], rows_per_day=300)
    yield con, cfgs["churn"], days
    con.close()


def _counting(con):
    """``con`` whose ``execute`` calls are counted."""

    class Counting:
        calls = 0

        def execute(self, *args, **kwargs):
            Counting.calls += 1
            return con.execute(*args, **kwargs)

    return Counting()


def test_shared_reads_equal_plain_reads_and_are_made_once_per_run(store):
    con, cfg, days = store
    day = days[-3]
    plain = (day_rows(con, cfg, day), labelled_rows(con, cfg, day, day))
    counted = _counting(con)
    for _ in range(3):  # three steps of one run
        shared = (
            day_rows(counted, cfg, day, run_id="run-a"),
            labelled_rows(counted, cfg, day, day, run_id="run-a"),
        )
        for a, b in zip(plain, shared, strict=True):
            pd.testing.assert_frame_equal(a.frame, b.frame)
            assert (a.yhat == b.yhat).all() and (a.scores == b.scores).all()
        assert (plain[1].y == shared[1].y).all()
    # two reads for the first step (each also asks for the database's path), none after
    first_step = 2 * 2
    assert counted.calls == first_step + 2 * 2  # later steps: only the database path
    window = read_rows(con, cfg, days[-3], days[-2], run_id="run-a")
    alone = read_rows(con, cfg, days[-3], days[-2])
    pd.testing.assert_frame_equal(window.rows.frame, alone.rows.frame)
    assert (window.labelled == alone.labelled).all()


def test_each_caller_gets_its_own_copy(store):
    con, cfg, days = store
    a = day_rows(con, cfg, days[0], run_id="run-b")
    a.frame.iloc[:, 0] = None  # a step changing what it got ...
    a.yhat[:] = -1
    b = day_rows(con, cfg, days[0], run_id="run-b")
    pd.testing.assert_frame_equal(b.frame, day_rows(con, cfg, days[0]).frame)  # ... alone
    assert (b.yhat >= 0).all()


def test_a_new_run_reads_again_and_sees_changed_data(store, tmp_path):
    con, cfg, days = store
    day = days[1]
    before = len(day_rows(con, cfg, day, run_id="run-c"))
    con.execute(
        f'CREATE TEMP TABLE _saved AS SELECT * FROM "predictions__{cfg.name}" WHERE _day = ?',
        [day],
    )
    try:
        con.execute(f'DELETE FROM "predictions__{cfg.name}" WHERE _day = ?', [day])
        assert len(day_rows(con, cfg, day, run_id="run-c")) == before  # kept for the run
        assert len(day_rows(con, cfg, day, run_id="run-d")) == 0  # the next run reads
        assert len(day_rows(con, cfg, day, run_id="EPHEMERAL")) == 0  # no run: always read
        day_rows(con, cfg, day, run_id="run-d")
        release_caches()  # as before a retraining
        assert run_memo._MEMO == {}
    finally:
        con.execute(f'INSERT INTO "predictions__{cfg.name}" SELECT * FROM _saved')
        con.execute("DROP TABLE _saved")
    assert len(day_rows(con, cfg, day)) == before
