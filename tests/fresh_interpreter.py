"""Running a snippet in a new Python interpreter, for settings applied when the package is
imported (malloc arenas, numpy's huge-page advice, the garbage collector's threshold)."""

from __future__ import annotations

import os
import subprocess
import sys


def run_fresh(
    code: str, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """``code`` run to completion by this interpreter's executable, in this environment
    without the variables ``unset`` and with ``env`` added (output captured as text)."""
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
