"""A new day through a warm watcher: ``monitoring-pipelines watch`` is started on the bench home
(every day already run), then the last day's log lands again (written beside, renamed into
place: a fresh modification time, so the day is due again) and the time until the watcher
reports the day's outcome is measured, ``samples`` times in the one process.

The latency includes the watcher's default settle time (the file must be unmodified that long)
and its polling; the day's run itself is reported beside it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from queue import Empty, Queue

DONE = re.compile(r"^watch: (?P<model>\S+) (?P<day>\S+) (?P<status>\S+) in (?P<run>[\d.]+) s")


def _peak_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def measure_watch(
    exe: str, home: Path, day_file: Path, env: dict, samples: int = 3, timeout: float = 600
) -> dict:
    """Median latency from a day's log landing to its outcome, through a warm watcher."""
    cmd = [exe, "--home", str(home), "watch"]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, start_new_session=True,
    )  # fmt: skip
    lines: Queue[str] = Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()

    def wait_for(pattern, until: float) -> re.Match | None:
        while time.perf_counter() < until:
            try:
                line = lines.get(timeout=0.5)
            except Empty:
                if proc.poll() is not None:
                    return None
                continue
            m = pattern.match(line.strip())
            if m:
                return m
        return None

    t0 = time.perf_counter()
    res: dict = {"name": "watch", "rc": 0, "samples": []}
    try:
        if wait_for(re.compile(r"^watch: polling"), t0 + timeout) is None:
            res.update(rc=proc.poll(), error="the watcher did not start")
            return res
        res["ready_seconds"] = time.perf_counter() - t0
        for _ in range(samples):
            time.sleep(1.0)  # the watcher idle, as between days
            tmp = day_file.with_name(day_file.name + ".landing")  # outside the logs pattern
            shutil.copyfile(day_file, tmp)
            os.replace(tmp, day_file)  # lands now, in one piece
            landed = time.perf_counter()
            m = wait_for(DONE, landed + timeout)
            if m is None:
                res.update(rc=proc.poll(), error="no outcome reported for the landed day")
                return res
            res["samples"].append(
                {
                    "latency": time.perf_counter() - landed,
                    "run": float(m["run"]),
                    "status": m["status"],
                }
            )
        res["process_peak_mb"] = res["tree_peak_mb"] = _peak_mb(proc.pid)
        res["cpu_seconds_total"] = _cpu_seconds(proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
    lat = sorted(s["latency"] for s in res["samples"])
    res["process_wall"] = lat[len(lat) // 2]
    res["run_seconds"] = sorted(s["run"] for s in res["samples"])[len(lat) // 2]
    res["statuses"] = [s["status"] for s in res["samples"]]
    return res
