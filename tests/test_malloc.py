"""The malloc arena cap (monitoring_pipelines/malloc.py), in fresh interpreters: glibc's own
statistics count the arenas after eight threads allocate at once."""

from __future__ import annotations

import os
import sys

import pytest

from tests.fresh_interpreter import run_fresh

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc arenas exist only on Linux"
)

PROBE = """
import ctypes, threading
import monitoring_pipelines
barrier = threading.Barrier(8)
keep = []
def work():
    barrier.wait()
    keep.append([bytearray(100_000) for _ in range(50)])  # malloc, not pymalloc
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL("libc.so.6").malloc_stats()  # "Arena N:" per arena, on stderr
"""


def _arenas(**env: str) -> int:
    done = run_fresh(PROBE, ("MALLOC_ARENA_MAX", "MONITORING_MALLOC_ARENAS"), **env)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))


def test_importing_the_package_caps_the_arenas_at_two():
    assert _arenas() <= 2


def test_the_cap_can_be_turned_off_and_then_threads_get_their_own_arenas():
    # shows the probe can fail: without the cap, eight allocating threads make more arenas
    assert _arenas(MONITORING_MALLOC_ARENAS="0") > 2


def test_malloc_arena_max_in_the_environment_wins():
    assert _arenas(MALLOC_ARENA_MAX="3", MONITORING_MALLOC_ARENAS="1") == 3


def test_a_bad_setting_is_named():
    from monitoring_pipelines.malloc import limit_arenas

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MALLOC_ARENA_MAX", raising=False)
        mp.setenv("MONITORING_MALLOC_ARENAS", "two")
        with pytest.raises(ValueError, match="MONITORING_MALLOC_ARENAS='two'"):
            limit_arenas()


HUGE = """
import monitoring_pipelines, numpy as np
from numpy.core.multiarray import _set_madvise_hugepage
advising = _set_madvise_hugepage(False)
_set_madvise_hugepage(advising)
a = np.ones(16_000_000)  # 128 MB, numpy's madvise threshold is 4 MB
start, stop = a.ctypes.data, a.ctypes.data + a.nbytes
huge, inside = 0, False
for line in open("/proc/self/smaps"):  # the array's memory may span several mappings
    head = line.split()
    if "-" in head[0] and len(head) >= 5:
        lo, hi = (int(x, 16) for x in head[0].split("-"))
        inside = lo < stop and start < hi
    elif inside and head[0] == "AnonHugePages:":
        huge += int(head[1])
print(advising, huge)
"""


def _huge(**env: str) -> tuple[bool, int]:
    advising, huge = run_fresh(HUGE, ("NUMPY_MADVISE_HUGEPAGE",), **env).stdout.split()
    return advising == "True", int(huge)


def test_importing_the_package_stops_numpy_asking_for_huge_pages():
    advising, huge_kb = _huge()
    assert advising is False
    mode = "/sys/kernel/mm/transparent_hugepage/enabled"
    if os.path.exists(mode) and "[madvise]" in open(mode).read():
        assert huge_kb == 0  # the kernel gives huge pages only where asked


def test_numpy_own_switch_in_the_environment_wins():
    assert _huge(NUMPY_MADVISE_HUGEPAGE="1")[0] is True  # (huge pages then as the kernel can)
    assert _huge(NUMPY_MADVISE_HUGEPAGE="0") == (False, _huge()[1])
