"""The young-generation threshold of Python's garbage collector (monitoring_pipelines/
gcthreshold.py), in fresh interpreters: importing the package sets it, the environment
overrides it, and cyclic garbage is still collected without an explicit ``gc.collect``."""

from __future__ import annotations

import pytest

from tests.fresh_interpreter import run_fresh

PROBE = """
import gc, weakref
import monitoring_pipelines
print(*gc.get_threshold())
class Node:
    pass
freed = []
def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a  # garbage only the cyclic collector can free
    weakref.finalize(a, freed.append, 1)
for _ in range(2_000):
    cycle()
keep = [[] for _ in range(120_000)]  # kept containers drive the young generation's count
print(len(freed))
"""


def _probe(**env: str) -> tuple[tuple[int, ...], int]:
    threshold, freed = run_fresh(PROBE, ("MONITORING_GC_THRESHOLD",), **env).stdout.split("\n")[:2]
    return tuple(int(x) for x in threshold.split()), int(freed)


def test_importing_the_package_raises_the_young_threshold_and_cycles_are_still_freed():
    threshold, freed = _probe()
    assert threshold == (10_000, 10, 10)
    assert freed >= 1_900  # collected on the way, with no gc.collect() call


def test_the_environment_sets_the_threshold_or_leaves_the_default():
    assert _probe(MONITORING_GC_THRESHOLD="700")[0] == (700, 10, 10)
    assert _probe(MONITORING_GC_THRESHOLD="0")[0] == (700, 10, 10)  # CPython's own
    assert _probe(MONITORING_GC_THRESHOLD="25000")[0] == (25_000, 10, 10)


def test_a_higher_threshold_set_by_the_embedding_process_is_kept(monkeypatch):
    import gc

    from monitoring_pipelines.gcthreshold import raise_gc_threshold

    monkeypatch.delenv("MONITORING_GC_THRESHOLD", raising=False)
    before = gc.get_threshold()
    try:
        gc.set_threshold(50_000, 10, 10)
        assert raise_gc_threshold() is None
        assert gc.get_threshold()[0] == 50_000
        gc.set_threshold(700, 10, 10)
        assert raise_gc_threshold() == 10_000
        assert gc.get_threshold() == (10_000, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_bad_setting_is_named(monkeypatch):
    from monitoring_pipelines.gcthreshold import raise_gc_threshold

    monkeypatch.setenv("MONITORING_GC_THRESHOLD", "lots")
    with pytest.raises(ValueError, match="MONITORING_GC_THRESHOLD='lots'"):
        raise_gc_threshold()


EXIT_PROBE = """
import atexit, gc
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0))  # runs last
import monitoring_pipelines
class Node:
    def __del__(self):
        print("finalized")
a, b = Node(), Node()
a.other, b.other = b, a
del a, b  # cyclic garbage when the program ends: still finalized, before the freeze
"""


def test_the_exit_collects_once_then_freezes_unless_the_environment_says_0():
    lines = run_fresh(EXIT_PROBE, ("MONITORING_GC_THRESHOLD",)).stdout.split()
    assert lines.count("finalized") == 2
    assert "frozen at exit: True" in " ".join(lines)
    out = run_fresh(EXIT_PROBE, (), MONITORING_GC_THRESHOLD="0").stdout
    assert out.count("finalized") == 2  # by the interpreter's own teardown
    assert "frozen at exit: False" in out
