"""alibi-detect loaded lazily for the outlier layer: the same detectors and scores, without
transformers (and the rest of alibi-detect's eager package imports) in the process."""

from __future__ import annotations

import pickle
from importlib.metadata import version

import numpy as np
import pytest

from monitoring_pipelines.config.outliers import OutlierBackend, OutlierDetectorName
from monitoring_pipelines.outliers import lazy_alibi
from monitoring_pipelines.outliers.backends import make_detector
from tests.fresh_interpreter import run_fresh


def test_outlier_detectors_load_without_the_eager_imports():
    out = run_fresh(
        """
import sys
from monitoring_pipelines.outliers import lazy_alibi
assert lazy_alibi.register()
assert not lazy_alibi.register()  # once
from alibi_detect.od import IForest, Mahalanobis
import alibi_detect
print(alibi_detect.__version__)
for name in ("transformers", "numba", "alibi_detect.saving", "alibi_detect.cd"):
    assert name not in sys.modules, name
assert "cd" in dir(alibi_detect)
from alibi_detect.cd import KSDrift  # a subpackage named later is imported then
assert alibi_detect.saving.save_detector  # and so is one reached as an attribute
assert "transformers" in sys.modules
try:
    alibi_detect.nothing
except AttributeError as e:
    print(e)
else:
    raise SystemExit("no AttributeError")
"""
    )
    lines = out.stdout.split("\n")
    assert lines[0] == version("alibi-detect")
    assert "has no attribute 'nothing'" in lines[1]


def test_not_registered_when_already_imported():
    import alibi_detect  # noqa: F401  (in sys.modules from here on, lazily or not)

    assert not lazy_alibi.register()


@pytest.mark.parametrize("name", list(OutlierDetectorName))
def test_a_detector_pickled_eagerly_scores_the_same_loaded_lazily(tmp_path, name):
    """A state saved by a process that imported alibi-detect whole (as before this module)
    unpickles in a fresh process through the lazy package, to the same scores."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 4))
    X[:, 1] += 0.5 * X[:, 0]
    detector = make_detector(name, OutlierBackend.alibi, 50, 7)
    detector.fit(X)
    probe = np.vstack([rng.normal(size=(40, 4)), rng.normal(5.0, 1.0, size=(5, 4))])
    expected = detector.score(probe)
    (tmp_path / "state.pkl").write_bytes(pickle.dumps(detector))
    np.save(tmp_path / "probe.npy", probe)
    out = run_fresh(
        f"""
import pickle, sys
import numpy as np
from monitoring_pipelines.outliers import lazy_alibi
assert lazy_alibi.register()
detector = pickle.loads(open({str(tmp_path / "state.pkl")!r}, "rb").read())
np.save({str(tmp_path / "scores.npy")!r}, detector.score(np.load({str(tmp_path / "probe.npy")!r})))
assert "transformers" not in sys.modules
"""
    )
    assert out.returncode == 0
    got = np.load(tmp_path / "scores.npy")
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert got[-5:].min() > np.median(got[:40])  # the shifted rows score as outliers


def test_a_scikit_learn_state_loads_without_alibi_detect(tmp_path):
    """The one-line switch to the BSL-free backend keeps alibi-detect out of the process."""
    out = run_fresh(
        f"""
import sys
import duckdb, numpy as np
from monitoring_pipelines.outliers.detector import fit_detector, load_detector, save_detector
from tests.outliers.test_detectors import _cfg, _rows
con = duckdb.connect({str(tmp_path / "store.duckdb")!r})
for backend in ("sklearn", "alibi"):
    save_detector(con, fit_detector(_cfg(backend), _rows(400, np.random.default_rng(0))))
    assert ("alibi_detect" in sys.modules) == (backend == "alibi")
    for name in [m for m in sys.modules if m.startswith("alibi_detect")]:
        del sys.modules[name]
    state = load_detector(con, "toy")
    print(backend, state.backend, "alibi_detect" in sys.modules)
"""
    )
    assert out.stdout.split("\n")[:2] == ["sklearn sklearn False", "alibi alibi True"]
