"""kill -9 in the middle of a day's write: the store holds the old day or the new, never half,
and nothing stored before is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monitoring_pipelines.ingest.predictions import ingest_predictions
from monitoring_pipelines.store.connection import connect
from tests.conftest import toy_frame, write_day

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)
CHILD = Path(__file__).with_name("crash_child.py")


def _snapshot(database):
    con = connect(database, read_only=True)
    try:
        return {
            "rows": con.execute(
                "SELECT _day, count(*), sum(score) FROM predictions__toy GROUP BY 1 ORDER BY 1"
            ).fetchall(),
            "metrics": con.execute(
                "SELECT model, day, family, metric, subject, value FROM metrics ORDER BY ALL"
            ).fetchall(),
            "log": con.execute(
                "SELECT model, day, rows FROM ingestion_log ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


@pytest.mark.parametrize("where", ["rows", "metrics"])
def test_kill_9_mid_write_leaves_the_previous_state(home, toy, where):
    con = connect(home.database)
    for d, seed in ((D1, 0), (D2, 1)):
        write_day(home, d, toy_frame(d, n=500, seed=seed))
        ingest_predictions(con, toy, home.resolve(toy.logs.path), home.quarantine_dir, d)
    con.close()
    before = _snapshot(home.database)
    write_day(home, D2, toy_frame(D2, n=5000, seed=2))  # a re-delivery of D2
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(home.home), str(D2), where],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = child.stdout.readline().strip()
        assert line == "in-transaction", line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert _snapshot(home.database) == before  # WAL replay drops the uncommitted transaction
    # and the store is usable: the same day ingests cleanly afterwards
    con = connect(home.database)
    res = ingest_predictions(con, toy, home.resolve(toy.logs.path), home.quarantine_dir, D2)
    assert res.rows == 5000
    assert (
        con.execute("SELECT count(*) FROM predictions__toy WHERE _day = ?", [D1]).fetchone()[0]
        == 500
    )
    con.close()
