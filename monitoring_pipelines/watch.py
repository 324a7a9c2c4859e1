"""`monitoring-pipelines watch`: a long-lived worker that runs each model day through Dagster
as soon as its prediction log has landed.

A `run` process pays its start-up every time: about 4 s of imports (scipy, scikit-learn,
alibi-detect, Dagster), loading the definitions and opening the Dagster instance. The
watcher pays it once and then, per day, only the day's own run, the same ``run_days`` path as
`run` (one Dagster run per model day on the instance of $DAGSTER_HOME, then a tick of the
retraining sensor), so its runs, checks and retrainings show in the UI like any other.

Which days it runs (polling every ``interval`` seconds):

- a day whose files match the model's ``logs.path`` (``{day}`` read back from each path);
- whose partition exists (from ``FIRST_DAY`` to yesterday, UTC: a day is monitored once
  complete, so today's file waits for midnight);
- whose newest file has not been modified for ``settle`` seconds (a file still being written
  is left alone; writing to a temporary name and renaming is safer still);
- and that is not on record already: no ``predictions`` materialization of the partition at
  or after the newest file's modification time. A replaced file is therefore run again; a
  day already run (by `run`, the schedule or an earlier watcher) is not;
- and that no queued or running Dagster run is working on.

Each set of files is tried once per watcher: a day whose run fails is reported and left until
its files change or the watcher restarts (a quarantined file has been moved away anyway).
"""

from __future__ import annotations

import fnmatch
import glob
import importlib
import os
import re
import signal
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.config import ConfigError, ModelConfig, load_model_configs
from monitoring_pipelines.config.outliers import OutlierBackend
from monitoring_pipelines.defs.partitions import model_day_key
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.runner import (
    RETRAINING_SENSOR,
    DayOutcome,
    Retraining,
    SensorTicker,
    load_definitions,
    run_days,
)

_DAY_GLOB = "[0-9]" * 4 + "-" + "[0-9]" * 2 + "-" + "[0-9]" * 2
_TOKEN = "MONITORINGDAYTOKEN"  # letters only: fnmatch.translate leaves it as it is
FileStamp = tuple[str, int, int]  # path, size, modification time (ns)
# What a day's steps import lazily, loaded once when the watcher starts so the first day it
# runs is as quick as the rest.
WARM_IMPORTS = ("scipy.stats", "sklearn.ensemble", "sklearn.model_selection", "fairlearn.metrics")


def landed_days(pattern: Path | str) -> dict[date, tuple[FileStamp, ...]]:
    """The files matching a ``logs.path`` pattern, by the day ``{day}`` stands for in their
    path, each with its size and modification time (sorted, so equal tuples mean the same
    files unchanged)."""
    text = str(pattern)
    regex = fnmatch.translate(text.replace("{day}", _TOKEN))
    regex = regex.replace(_TOKEN, r"(?P<day>\d{4}-\d{2}-\d{2})", 1).replace(_TOKEN, "(?P=day)")
    match = re.compile(regex).match
    found: dict[date, list[FileStamp]] = {}
    for name in glob.glob(text.replace("{day}", _DAY_GLOB)):
        m = match(name)
        if m is None:
            continue
        try:
            day = date.fromisoformat(m["day"])
            st = os.stat(name)
        except (ValueError, OSError):  # not a calendar day, or gone since the glob
            continue
        if stat.S_ISREG(st.st_mode):  # one stat a file per poll
            found.setdefault(day, []).append((name, st.st_size, st.st_mtime_ns))
    return {d: tuple(sorted(files)) for d, files in found.items()}


def newest_mtime(files: tuple[FileStamp, ...]) -> float:
    return max(f[2] for f in files) / 1e9


@dataclass
class Watcher:
    """Finds landed days and runs them; ``poll_once`` is one round, ``serve`` loops."""

    paths: ProjectPaths
    instance: dg.DagsterInstance
    models: list[str] | None = None  # None: every model config, re-read each round
    settle: float = 2.0
    retrain: bool = True
    since: date | None = None
    say: Callable[[str], None] = print
    clock: Callable[[], float] = time.time
    tried: dict[tuple[str, date], tuple[FileStamp, ...]] = field(default_factory=dict)
    outcomes: list[DayOutcome] = field(default_factory=list)
    retrainings: list[Retraining] = field(default_factory=list)
    wake_at: float | None = None  # when the earliest file still settling will have settled
    waiting: set[tuple[str, date, str]] = field(default_factory=set)  # days seen in flight

    def start(self) -> None:
        """Load the definitions and the lazily imported libraries once."""
        t0 = time.perf_counter()
        self.defs = load_definitions(self.paths)
        self.ticker = SensorTicker(self.defs, self.instance, RETRAINING_SENSOR)
        configs = self._configs() or {}
        names = list(WARM_IMPORTS)
        if any(c.outliers.backend is OutlierBackend.alibi for c in configs.values()):
            names.append("alibi_detect.od")  # only when a model uses the BSL-licensed backend
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:  # the step that needs it reports it
                pass
        self.say(f"watch: ready in {time.perf_counter() - t0:.1f} s")

    def _configs(self) -> dict[str, ModelConfig] | None:
        try:
            configs = load_model_configs(self.paths.config_dir)
        except ConfigError as err:
            self.say(f"watch: invalid model config, nothing run this round: {err}")
            return None
        return {m: c for m, c in configs.items() if self.models is None or m in self.models}

    def pending(self) -> list[tuple[date, str, tuple[FileStamp, ...]]]:
        """The (day, model, files) ready to run, oldest day first."""
        configs = self._configs()
        if not configs:
            return []
        now = self.clock()
        yesterday = datetime.fromtimestamp(now, UTC).date().toordinal() - 1
        first = date.fromisoformat(k.FIRST_DAY)
        ready = []
        self.wake_at = None
        for model, cfg in sorted(configs.items()):
            for day, files in landed_days(self.paths.resolve(cfg.logs.path)).items():
                if day < first or day.toordinal() > yesterday:
                    continue
                if self.since and day < self.since:
                    continue
                if self.tried.get((model, day)) == files:
                    continue
                settled_at = newest_mtime(files) + self.settle
                if now < settled_at:  # still being written, maybe: look again when settled
                    self.wake_at = min(self.wake_at or settled_at, settled_at)
                    continue
                if self._on_record(model, day, files):
                    self.tried[(model, day)] = files
                    continue
                busy = self._in_flight(model, day)
                if busy is not None:
                    if (model, day, busy) not in self.waiting:  # said once per run
                        self.waiting.add((model, day, busy))
                        self.say(f"watch: {model} {day} waits for Dagster run {busy}")
                    continue
                ready.append((day, model, files))
        return sorted(ready)

    def _on_record(self, model: str, day: date, files: tuple[FileStamp, ...]) -> bool:
        """Whether the day's predictions were materialized after its newest file changed."""
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey(k.PREDICTIONS), asset_partitions=[model_day_key(model, day)]
            ),
            limit=1,
        ).records
        return bool(records) and records[0].timestamp >= newest_mtime(files)

    def _in_flight(self, model: str, day: date) -> str | None:
        """The id of a queued or running Dagster run of the day's partition, if any (a run
        left STARTED by a killed process stays so until Dagster's run monitoring ends it)."""
        runs = self.instance.get_runs(
            filters=dg.RunsFilter(
                tags={"dagster/partition": str(model_day_key(model, day))},
                statuses=[
                    dg.DagsterRunStatus.QUEUED,
                    dg.DagsterRunStatus.NOT_STARTED,
                    dg.DagsterRunStatus.STARTING,
                    dg.DagsterRunStatus.STARTED,
                ],
            ),
            limit=1,
        )
        return runs[0].run_id if runs else None

    def poll_once(self, stop: threading.Event | None = None) -> list[DayOutcome]:
        """Run every ready day (stopping between days once ``stop`` is set); returns their
        outcomes. Each day's outcome is reported when its run ends, before the retraining
        sensor's tick; a round that ran anything ends with a 'waiting' line."""
        done: list[DayOutcome] = []
        for day, model, files in self.pending():
            if stop is not None and stop.is_set():
                break
            self.tried[(model, day)] = files
            waited = self.clock() - newest_mtime(files)
            summary = run_days(
                self.paths, [model], day, day, instance=self.instance, retrain=self.retrain,
                progress=partial(self._report, waited), defs=self.defs, ticker=self.ticker,
            )  # fmt: skip
            for r in summary.retrainings:
                verdict = "promoted" if r.promoted else "not promoted"
                self.say(f"watch: retrained {r.model} after {r.breach} on {r.day}: {r.status}, "
                         f"{r.version or 'no version'} {verdict}")  # fmt: skip
            done += summary.outcomes
            self.outcomes += summary.outcomes
            self.retrainings += summary.retrainings
        if done:
            self.say("watch: waiting for new logs")
        return done

    def _report(self, waited: float, o: DayOutcome, i: int, total: int) -> None:
        """A day's (or a reference fit's) outcome, as its run ends."""
        if o.day is None and o.status == "ok" and o.message:
            return  # "reference unchanged": nothing to report
        what = f"{o.model} {o.day}" if o.day else f"{o.model} reference"
        note = f"  {o.message[:160]}" if o.message else ""
        landed = f" (files landed {waited:.1f} s before the run)" if o.day else ""
        self.say(f"watch: {what} {o.status} in {o.seconds:.1f} s{landed}{note}")

    def serve(self, interval: float, stop: threading.Event) -> None:
        """Poll every ``interval`` seconds until ``stop`` is set (sooner when a file waiting
        to settle will have settled); the run in progress always finishes first."""
        while not stop.is_set():
            self.poll_once(stop)
            wait = interval
            if self.wake_at is not None:
                wait = min(interval, max(self.wake_at - self.clock(), 0.01))
            stop.wait(wait)


def stop_on_signals() -> threading.Event:
    """An event set by the first SIGINT or SIGTERM (the run in progress finishes, then the
    watcher exits); a second one stops at once."""
    stop = threading.Event()

    def handler(signum, frame):
        if stop.is_set():
            signal.signal(signum, signal.SIG_DFL)
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop
