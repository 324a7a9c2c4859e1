"""Cap glibc's malloc arenas for the process, and keep numpy from asking for transparent huge
pages.

The daily run does independent work on threads (the domain classifier beside the column
statistics, the day's outlier detectors side by side, two segments at a time). glibc gives
each thread that allocates its own arena, up to eight per core, and memory freed in those
arenas mostly stays mapped: on the W1 benchmark the process crept from 1.6 GB to 2.4 GB over
30 days with the default, and stayed at 1.6 GB with two arenas, no slower. DuckDB allocates
through its own allocator and is not affected.

``MALLOC_ARENA_MAX`` in the environment wins (glibc reads it at start-up and we then leave
the setting alone); ``MONITORING_MALLOC_ARENAS=0`` turns the cap off. Elsewhere than glibc
(macOS, musl) this does nothing.

numpy marks every large array (4 MB and more) ``madvise(MADV_HUGEPAGE)`` on Linux. Where the
kernel's transparent huge pages are in ``madvise`` mode with the default ``defrag`` setting
(Debian's and Ubuntu's defaults), the first touch of such memory compacts physical memory
synchronously to find 2 MB pages: on this project's 2-core machines a fresh 600 MB array took
2-5 s to fill instead of 0.2-0.4 s, and the day's steps (bootstrap weights, one-hot matrices,
encoded outlier inputs) paid it again and again: 10 W1 days in-process 74-76 s with numpy's
default, 57-58 s without (bench/RESULTS.md). :func:`no_numpy_hugepages` turns the advice off
for the process; ``NUMPY_MADVISE_HUGEPAGE`` in the environment (numpy's own switch, 1 to keep
the advice) wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from monitoring_pipelines.envvars import env_whole_number

DEFAULT_ARENAS = 2
_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_arenas() -> int | None:
    """Cap the arenas at ``MONITORING_MALLOC_ARENAS`` (default 2).

    Returns the cap set, or None where nothing was set (not glibc, the environment already
    sets ``MALLOC_ARENA_MAX``, or the cap is turned off with 0)."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return None
    arenas = env_whole_number("MONITORING_MALLOC_ARENAS", DEFAULT_ARENAS, "0 turns the cap off")
    if arenas <= 0:
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version"):  # not glibc: musl has mallopt, no arenas
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return arenas if libc.mallopt(_M_ARENA_MAX, arenas) == 1 else None


def no_numpy_hugepages() -> bool | None:
    """Stop numpy advising the kernel to back its large arrays with transparent huge pages
    (see the module's docstring). Returns what numpy did before (True: it advised), or None
    when left alone: ``NUMPY_MADVISE_HUGEPAGE`` is set in the environment, or this numpy has
    no such switch."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return None
    try:
        from numpy.core.multiarray import _set_madvise_hugepage
    except ImportError:
        try:
            from numpy._core.multiarray import _set_madvise_hugepage  # numpy 2
        except ImportError:
            return None
    return bool(_set_madvise_hugepage(False))
