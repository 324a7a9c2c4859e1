"""New days through a warm watcher, as they would arrive: the store is emptied, the last
``samples`` days' logs are held back, and ``monitoring-pipelines watch`` starts on the home.
It catches up on the days already there (the reference job first), then each held-back day
lands in turn (written beside its place and renamed into it: a fresh modification time, in
one piece) once the watcher is idle, and the time until the watcher reports that day's
outcome is measured. The watcher's peak RSS covers the whole month in one process, the
retrainings the sensor launches included.

The latency includes the watcher's default settle time (a file must be unmodified for 2 s)
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

from bench.run import TreeRss, proc_status_mb

DONE = re.compile(
    r"^watch: (?P<model>\S+) (?P<day>\d{4}-\d{2}-\d{2}) (?P<status>\S+) in (?P<run>[\d.]+) s"
)
IDLE = re.compile(r"^watch: waiting for new logs")
READY = re.compile(r"^watch: polling")


class Lines:
    """The watcher's stdout, line by line, with a deadline on each wait."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc, self.queue = proc, Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.queue.put(line.strip())

    def wait_for(self, pattern: re.Pattern, timeout: float, seen: list | None = None):
        until = time.perf_counter() + timeout
        while time.perf_counter() < until:
            try:
                line = self.queue.get(timeout=0.5)
            except Empty:
                if self.proc.poll() is not None:
                    return None
                continue
            if seen is not None:
                seen.append(line)
            m = pattern.match(line)
            if m:
                return m
        return None


def measure_watch(
    exe: str,
    home: Path,
    day_files: list[Path],
    env: dict,
    fresh_store,
    samples: int = 5,
    timeout: float = 1800,
) -> dict:
    """Median latency from a day's log landing to its outcome, over the last ``samples`` of
    ``day_files`` (in day order) landing under a watcher that ran the others first."""
    held_dir = day_files[0].parent / "held-back"  # outside the logs pattern
    held = day_files[-samples:]
    fresh_store(home)
    held_dir.mkdir(exist_ok=True)
    for f in held:
        os.replace(f, held_dir / f.name)
    res: dict = {"name": "watch", "rc": 0, "samples": [], "catch_up_days": len(day_files) - samples}
    proc = subprocess.Popen(
        [exe, "--home", str(home), "watch"], env={**os.environ, **env}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    out = Lines(proc)
    tree = TreeRss(proc.pid)  # the watcher and any process it starts
    tree.start()
    try:
        t0 = time.perf_counter()
        if out.wait_for(READY, 600) is None:
            return {**res, "rc": proc.poll(), "error": "the watcher did not start"}
        res["ready_seconds"] = time.perf_counter() - t0
        seen: list[str] = []
        t1 = time.perf_counter()
        if out.wait_for(IDLE, timeout, seen) is None:
            return {**res, "rc": proc.poll(), "error": "the watcher did not catch up"}
        res["catch_up_seconds"] = time.perf_counter() - t1
        res["catch_up_outcomes"] = [m["status"] for m in map(DONE.match, seen) if m]
        res["catch_up_lines"] = [x for x in seen if "retrained" in x or "reference" in x]
        for f in held:
            time.sleep(1.0)  # idle a moment, as between days
            tmp = held_dir / (f.name + ".landing")
            shutil.copyfile(held_dir / f.name, tmp)
            os.replace(tmp, f)  # lands now, in one piece, with a fresh modification time
            landed = time.perf_counter()
            m = out.wait_for(DONE, timeout)
            if m is None:
                return {**res, "rc": proc.poll(), "error": f"no outcome for {f.name}"}
            res["samples"].append(
                {"day": m["day"], "latency": time.perf_counter() - landed,
                 "run": float(m["run"]), "status": m["status"]}
            )  # fmt: skip
            lines: list[str] = []
            if out.wait_for(IDLE, timeout, lines) is None:  # its retraining, if any, done
                return {**res, "rc": proc.poll(), "error": f"no idle after {f.name}"}
            res["samples"][-1]["after"] = [x for x in lines if "retrained" in x]
        res["process_peak_mb"] = proc_status_mb(proc.pid, "VmHWM")
    finally:
        tree.stop()
        res["tree_peak_mb"] = tree.peak_mb
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=120)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        for f in held:  # the workload as it was
            if not f.exists() and (held_dir / f.name).exists():
                os.replace(held_dir / f.name, f)
        shutil.rmtree(held_dir, ignore_errors=True)
    lat = sorted(s["latency"] for s in res["samples"])
    res["process_wall"] = lat[len(lat) // 2]
    res["run_seconds"] = sorted(s["run"] for s in res["samples"])[len(lat) // 2]
    res["statuses"] = [s["status"] for s in res["samples"]]
    return res
