"""`monitoring-pipelines watch`: which landed days it runs (new, replaced, settled, complete,
not on record), through real Dagster runs on a throwaway home."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id

from monitoring_pipelines import cli, runner
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.watch import Watcher, landed_days, stop_on_signals
from tests.conftest import REPO, toy_frame, write_day, write_toy_reference

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(3)]


def _touch(path: Path, files: list[str]) -> None:
    for f in files:
        (path / f).parent.mkdir(parents=True, exist_ok=True)
        (path / f).write_text("x")


def test_landed_days_reads_the_day_back_from_each_path(tmp_path):
    _touch(
        tmp_path,
        [
            "one/2026-03-01.parquet",
            "one/2026-03-02.parquet",
            "one/2026-02-30.parquet",  # not a calendar day
            "one/notes.parquet",
            "one/2026-03-03.csv",  # another suffix
            "many/2026-03-01/a.csv",
            "many/2026-03-01/b.csv",
            "many/2026-03-02/a.csv",
            "twice/2026-03-01/log-2026-03-01.csv",
            "twice/2026-03-02/log-2026-03-01.csv",  # the two placeholders disagree
        ],
    )
    one = landed_days(tmp_path / "one" / "{day}.parquet")
    assert sorted(one) == [date(2026, 3, 1), date(2026, 3, 2)]
    (name, size, mtime), = one[date(2026, 3, 1)]  # fmt: skip
    assert name.endswith("one/2026-03-01.parquet") and size == 1 and mtime > 0
    many = landed_days(tmp_path / "many" / "{day}" / "*.csv")
    assert [len(many[d]) for d in sorted(many)] == [2, 1]
    twice = landed_days(tmp_path / "twice" / "{day}" / "log-{day}.csv")
    assert list(twice) == [date(2026, 3, 1)]
    assert landed_days(tmp_path / "none" / "{day}.parquet") == {}


@pytest.fixture
def watched(home, toy):
    write_toy_reference(home)
    for i, d in enumerate(DAYS[:2]):
        write_day(home, d, toy_frame(d, n=100, seed=i))
    return home


def _make(home, instance, **kw) -> tuple[Watcher, list[str]]:
    lines: list[str] = []
    w = Watcher(home, instance, settle=0, say=lines.append, **kw)
    w.start()
    return w, lines


def test_runs_each_landed_day_once_and_again_only_when_its_file_changes(watched, monkeypatch):
    instance = dg.DagsterInstance.ephemeral()
    w, lines = _make(watched, instance)
    assert lines[0].startswith("watch: ready in")
    loads = []
    real = runner.load_definitions
    monkeypatch.setattr(runner, "load_definitions", lambda p: loads.append(p) or real(p))
    done = w.poll_once()
    assert loads == []  # the definitions loaded at start serve every day
    assert [(o.day, o.status) for o in done] == [(DAYS[0], "ok"), (DAYS[1], "ok")]
    assert any(f"toy {DAYS[1]} ok in" in line for line in lines)
    assert any(line.startswith("watch: toy reference ok in") for line in lines)
    assert lines[-1] == "watch: waiting for new logs"
    assert w.poll_once() == []  # nothing new
    # a new day lands, and day 1's file is replaced: both run, oldest first
    write_day(watched, DAYS[2], toy_frame(DAYS[2], n=100, seed=2))
    write_day(watched, DAYS[0], toy_frame(DAYS[0], n=120, seed=9))  # seconds after its run
    assert [(o.day, o.status) for o in w.poll_once()] == [(DAYS[0], "ok"), (DAYS[2], "ok")]
    # a watcher started afresh finds every day on record: nothing to run
    fresh, _ = _make(watched, instance)
    assert fresh.poll_once() == []


def test_waits_for_files_to_settle_and_for_the_day_to_be_over(watched):
    instance = dg.DagsterInstance.ephemeral()
    run_days(watched, ["toy"], DAYS[0], DAYS[1], instance=instance)  # on record already
    w, lines = _make(watched, instance)
    w.settle = 60.0
    write_day(watched, DAYS[2], toy_frame(DAYS[2], n=100, seed=2))  # just written
    today = datetime.now(UTC).date()
    write_day(watched, today, toy_frame(today, n=100, seed=3))  # the day is not over
    assert w.pending() == []
    assert w.wake_at is not None and w.wake_at > time.time() + 50  # when it will have settled
    w.clock = lambda: time.time() + 120  # two minutes on: settled
    assert [(d, m) for d, m, _ in w.pending()] == [(DAYS[2], "toy")]
    # a Dagster run of that day in flight (another worker, or one a killed process left
    # STARTED): the day waits for it, said once
    run = DagsterRun(
        job_name="monitor_job", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED,
        tags={"dagster/partition": str(model_day_key("toy", DAYS[2]))},
    )  # fmt: skip
    instance.add_run(run)
    assert w.pending() == [] and w.pending() == []
    said = [x for x in lines if "waits for Dagster run" in x]
    assert said == [f"watch: toy {DAYS[2]} waits for Dagster run {run.run_id}"]
    instance.report_run_failed(run)
    assert [(d, m) for d, m, _ in w.pending()] == [(DAYS[2], "toy")]
    stopped = threading.Event()
    stopped.set()
    assert w.poll_once(stopped) == []  # asked to stop: no further day is started
    w.since = DAYS[2] + timedelta(days=1)
    assert w.pending() == []


def test_a_failing_day_is_tried_once_per_set_of_files(watched):
    instance = dg.DagsterInstance.ephemeral()
    w, lines = _make(watched, instance)
    w.poll_once()
    bad = watched.home / "landing" / "toy" / f"{DAYS[2]}.parquet"
    bad.write_bytes(b"PAR1 not a parquet file")
    done = w.poll_once()
    assert [(o.day, o.status) for o in done] == [(DAYS[2], "quarantined")]
    assert str(bad) in done[0].message
    assert not bad.exists()  # set aside in the quarantine
    assert w.poll_once() == []


def test_cli_watch_once_and_serve_until_stopped(watched, tmp_path, monkeypatch, capsys):
    dagster_home = tmp_path / "dagster_home"  # the project's instance: pooled SQLite storages
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    code = cli.main(["--home", str(watched.home), "watch", "--once", "--settle", "0"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"watch: toy {DAYS[0]} ok" in out and f"watch: toy {DAYS[1]} ok" in out
    assert cli.main(["--home", str(watched.home), "watch", "--models", "nope", "--once"]) == 2
    # serving: a day landing while the loop runs is picked up; stop ends the loop
    instance = dg.DagsterInstance.get()
    w, lines = _make(watched, instance)
    stop = threading.Event()
    loop = threading.Thread(target=w.serve, args=(0.2, stop))
    loop.start()
    try:
        write_day(watched, DAYS[2], toy_frame(DAYS[2], n=100, seed=2))
        deadline = time.time() + 120
        while not w.outcomes and time.time() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        loop.join(timeout=120)
    assert not loop.is_alive()
    assert [(o.day, o.status) for o in w.outcomes] == [(DAYS[2], "ok")]
    instance.dispose()


def test_first_signal_asks_to_stop_second_stops_at_once():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop = stop_on_signals()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)  # the run in progress would finish; the loop then ends
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
