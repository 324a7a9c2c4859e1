"""Model fits' OpenMP threads (monitoring_pipelines/cores.py): the cores free when a fit starts,
or the count ``MONITORING_FIT_THREADS`` fixes; and the fitted model does not depend on it."""

from __future__ import annotations

import threading
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from monitoring_pipelines import cores
from monitoring_pipelines.config import Task
from monitoring_pipelines.retraining.trainer import build_model


def _stat(tmp_path, running: int | None):
    path = tmp_path / "stat"
    lines = ["cpu  1 2 3 4", "ctxt 99", "procs_blocked 0"]
    if running is not None:
        lines.insert(2, f"procs_running {running}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.delenv(cores.VARIABLE, raising=False)
    monkeypatch.setattr(cores, "usable_cores", lambda: 2)


def test_a_fit_takes_the_cores_no_other_task_runs_on(tmp_path, two_cores):
    assert cores.fit_threads(_stat(tmp_path, 1)) == 2  # only this thread runs: both cores
    assert cores.fit_threads(_stat(tmp_path, 2)) == 1  # another task has the other core
    assert cores.fit_threads(_stat(tmp_path, 7)) == 1
    assert cores.fit_threads(_stat(tmp_path, None)) == 1  # the kernel does not say: one
    assert cores.fit_threads(tmp_path / "missing") == 1


def test_the_environment_fixes_the_count_and_a_bad_value_is_named(tmp_path, two_cores, monkeypatch):
    monkeypatch.setenv(cores.VARIABLE, "3")
    assert cores.fit_threads(_stat(tmp_path, 9)) == 3
    monkeypatch.setenv(cores.VARIABLE, "0")
    assert cores.fit_threads(_stat(tmp_path, 1)) == 2
    for bad in ("-1", "two"):
        monkeypatch.setenv(cores.VARIABLE, bad)
        with pytest.raises(ValueError, match=cores.VARIABLE):
            cores.fit_threads(_stat(tmp_path, 1))


def test_this_machines_kernel_counts_runnable_tasks():
    running = cores.runnable_tasks()
    assert running is not None and running >= 1  # this test's own thread


def _openmp_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]


def test_fitting_threads_limits_openmp_for_the_duration(monkeypatch):
    monkeypatch.setenv(cores.VARIABLE, "1")
    build_model(Task.binary, ["x"], [], 0)  # scikit-learn's OpenMP runtime loaded
    before = _openmp_threads()
    with cores.fitting_threads() as n:
        assert n == 1 and set(_openmp_threads()) == {1}
    assert _openmp_threads() == before


def test_a_challenger_fitted_on_two_threads_scores_as_one_fitted_on_one():
    rng = np.random.default_rng(3)
    n = 40_000
    x = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(6)})
    x["c"] = rng.integers(0, 12, n).astype(str)
    y = (x["n0"] + 0.5 * x["n1"] * (x["c"] < "5") + rng.normal(size=n) > 0).astype(int)
    scores = []
    for threads in (1, 2):
        model = build_model(Task.binary, [f"n{i}" for i in range(6)], ["c"], seed=0)
        with threadpool_limits(limits=threads, user_api="openmp"):
            model.fit(x, y.to_numpy())
        scores.append(model.predict_proba(x)[:, 1])
    np.testing.assert_array_equal(scores[0], scores[1])


def test_near_equal_parts_cover_the_range_in_order_and_run_side_by_side_in_order():
    assert cores.near_equal(7, 3) == [(0, 2), (2, 5), (5, 7)]
    assert cores.near_equal(10, 1) == [(0, 10)]
    for count, parts in ((0, 1), (5, 5), (253, 2), (8191, 2)):
        got = cores.near_equal(count, parts)
        assert got[0][0] == 0 and got[-1][1] == count and len(got) == parts
        assert all(a[1] == b[0] for a, b in pairwise(got))  # consecutive, no gap or overlap
        assert max(b - a for a, b in got) - min(b - a for a, b in got) <= 1

    def job(a: int, b: int) -> tuple[int, int, str]:
        return a, b, threading.current_thread().name

    out = cores.side_by_side(job, [(0, 3), (3, 6)], "probe")
    assert [(a, b) for a, b, _ in out] == [(0, 3), (3, 6)]  # in the parts' order
    assert all(name.startswith("probe") for *_, name in out)  # on the pool's threads
    assert cores.side_by_side(job, [(0, 6)], "probe")[0][2] == threading.current_thread().name
