"""One BLAS thread per process unless the environment says otherwise.

numpy and scipy each bring their own OpenBLAS, which by default starts a thread per core and
splits every call it thinks large enough between them. The daily run makes small calls in
bulk (a day's 33,000 stacked 15 x 15 solves for the Mahalanobis detector) and already runs its
independent work side by side on threads of its own (the day's outlier detectors, the drift
columns, two segments at a time). There OpenBLAS's threads only add hand-offs and fight ours
for the two cores:

- one W1 day's Mahalanobis scores took 275 ms with OpenBLAS's two threads and 99 ms with one;
  both detectors side by side 480 ms against 111 ms;
- the 30 W1 days in-process (the lean config, ``python -m bench.tasks pipeline``, runs
  alternating) took 104.4 / 110.2 s with one thread against 115.5 / 115.0 s with OpenBLAS's
  default; the assets' own code 69.0 / 73.6 s against 78.4 / 78.6 s, of which the outliers
  8.8 / 9.6 s against 14.9 / 15.2 s, every other asset within its spread (2026-12-07, AMD
  EPYC, 2 cores).

:func:`limit_blas_threads` sets ``OPENBLAS_NUM_THREADS`` for the BLAS libraries loaded later
(scipy's is loaded with ``scipy.linalg``) and for child processes, and caps those already
loaded (numpy's) through threadpoolctl. ``MONITORING_BLAS_THREADS`` sets the count (default
1; 0 leaves the libraries' defaults). A thread count the environment already gives BLAS
(``OPENBLAS_NUM_THREADS``, ``GOTO_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``)
wins: the process is then left as the user set it.
"""

from __future__ import annotations

import os
import sys

from monitoring_pipelines.envvars import env_whole_number

VARIABLE = "MONITORING_BLAS_THREADS"
DEFAULT_THREADS = 1
# what OpenBLAS (in this order), OpenMP builds and MKL read their thread count from
USER_SET = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> int | None:
    """Give BLAS ``MONITORING_BLAS_THREADS`` threads (default 1) in this process and its
    children. Returns the count set, or None when left alone (0, or the environment already
    sets a BLAS thread count)."""
    if any(name in os.environ for name in USER_SET):
        return None
    threads = env_whole_number(VARIABLE, DEFAULT_THREADS, "0 leaves BLAS's own thread count")
    if threads <= 0:
        return None
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)  # read by each OpenBLAS as it loads
    if "numpy" in sys.modules or "scipy" in sys.modules:  # loaded before us: cap them now
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads, user_api="blas")
    return threads
