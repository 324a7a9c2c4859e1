"""BLAS's thread count (monitoring_pipelines/blas.py), in fresh interpreters: importing the
package gives numpy's and scipy's OpenBLAS one thread each, whether numpy was loaded before
or after it; a count the environment gives BLAS wins, and 0 leaves the libraries' own."""

from __future__ import annotations

import json

import pytest

from monitoring_pipelines.blas import USER_SET, limit_blas_threads
from tests.fresh_interpreter import run_fresh

UNSET = (*USER_SET, "MONITORING_BLAS_THREADS")

PROBE = """
import json, os, sys
first = sys.argv[1:] and sys.argv[1] or ""
if first == "numpy":
    import numpy
if first != "none":
    import monitoring_pipelines
import numpy, scipy.linalg
from threadpoolctl import threadpool_info
blas = [(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps({"blas": blas, "env": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def _probe(first: str = "", **env: str) -> dict:
    code = f"import sys; sys.argv[1:] = [{first!r}]\n" + PROBE
    return json.loads(run_fresh(code, UNSET, **env).stdout)


def _threads(probe: dict) -> list[int]:
    return [n for _, n in probe["blas"]]


def test_importing_the_package_gives_numpys_and_scipys_blas_one_thread():
    out = _probe()
    assert len(out["blas"]) >= 2  # numpy's OpenBLAS and scipy's own
    assert _threads(out) == [1] * len(out["blas"])
    assert out["env"] == "1"  # and the processes it starts


def test_numpy_loaded_before_the_package_is_capped_too():
    out = _probe("numpy")
    assert _threads(out) == [1] * len(out["blas"])


def test_the_environment_wins_and_zero_leaves_the_libraries_defaults():
    untouched = _threads(_probe("none"))  # a process that never imports the package
    assert _threads(_probe(MONITORING_BLAS_THREADS="0")) == untouched
    assert _probe(MONITORING_BLAS_THREADS="0")["env"] is None
    assert _threads(_probe(MONITORING_BLAS_THREADS="2")) == [2] * len(untouched)
    user = _probe(OPENBLAS_NUM_THREADS="2")
    assert _threads(user) == [2] * len(untouched) and user["env"] == "2"
    # OpenMP's count is the user's too: BLAS is left as OpenBLAS reads it from there
    assert _probe(OMP_NUM_THREADS="2")["env"] is None


def test_a_count_that_is_not_a_whole_number_is_refused_by_name(monkeypatch):
    for name in USER_SET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MONITORING_BLAS_THREADS", "one")
    with pytest.raises(ValueError, match="MONITORING_BLAS_THREADS='one'"):
        limit_blas_threads()
