"""The project's use of the machine's cores: how many OpenMP threads a model fit may use (the
cores that are free when it starts), and splitting independent work into near-equal parts
run side by side on threads (:func:`near_equal`, :func:`side_by_side`).

scikit-learn's histogram gradient boosting parallelises each tree node over OpenMP threads.
On an idle two-core machine two threads fit a retraining challenger (410,000 rows, 20
features, 60 trees) in 1.84 s against 2.96 s on one; with one core busy elsewhere they took
3.5-4.1 s against 2.9-3.0 s, with both busy 5.1 s against 4.0-4.5 s (2026-12-08, AMD EPYC).
So a fit takes the cores no other task is running on when it starts: the runnable tasks
counted by the kernel (``procs_running`` in ``/proc/stat``, this thread included).
``MONITORING_FIT_THREADS`` fixes the count instead (default 0: decide per fit as above).

The fitted model does not depend on the count: the trees' histograms are summed per feature,
each on one thread, and a one-thread fit and a two-thread fit predicted the same scores to
the bit (tested).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from monitoring_pipelines.envvars import env_whole_number

VARIABLE = "MONITORING_FIT_THREADS"
STAT = Path("/proc/stat")


def usable_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def runnable_tasks(stat: Path = STAT) -> int | None:
    """Tasks running or ready to run on the machine now (this one included); None where the
    kernel does not say."""
    try:
        for line in stat.read_text().splitlines():
            if line.startswith("procs_running "):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def fit_threads(stat: Path = STAT) -> int:
    """``MONITORING_FIT_THREADS`` when above 0; else the usable cores not taken by other
    runnable tasks now (at least 1, one where the kernel does not say)."""
    fixed = env_whole_number(VARIABLE, 0, "OpenMP threads per model fit; 0: the free cores")
    if fixed < 0:
        raise ValueError(f"{VARIABLE}={fixed}: expected 0 (the free cores) or more")
    if fixed:
        return fixed
    running = runnable_tasks(stat)
    if running is None:
        return 1
    cores = usable_cores()
    return max(1, min(cores, cores - running + 1))


@contextmanager
def fitting_threads() -> Iterator[int]:
    """OpenMP limited to :func:`fit_threads` for the duration; yields the count."""
    threads = fit_threads()
    with threadpool_limits(limits=threads, user_api="openmp"):
        yield threads


def near_equal(count: int, parts: int) -> list[tuple[int, int]]:
    """(start, stop) of ``parts`` near-equal consecutive ranges covering ``0..count``."""
    bounds = [round(i * count / parts) for i in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def side_by_side(
    job: Callable[[int, int], Any], parts: list[tuple[int, int]], name: str = "part"
) -> list[Any]:
    """``job(start, stop)`` of each part, in order, on a thread each when there are several
    (numpy's array work releases the GIL, so on two cores the parts overlap)."""
    if len(parts) == 1:
        return [job(*parts[0])]
    with ThreadPoolExecutor(len(parts), thread_name_prefix=name) as pool:
        return list(pool.map(lambda part: job(*part), parts))
