"""Benchmark runner: ``python -m bench.run --analysis-rows N [--quick]``.

Generates workload W1 (scaled to N analysis rows) as a monitoring home under bench/out/, then
measures, each in its own process under ``/usr/bin/time`` (wall, CPU, peak RSS):

- floor: DuckDB SQL only (histograms, PSI, JS per feature per day; confusion counts per day);
- pipeline: every daily asset through Dagster in-process (ephemeral instance), seconds per
  asset group from the run's event log;
- lean: the same with the model configured to NannyML's scope where the config allows
  (:data:`LEAN`: no trailing windows, no domain classifier or PCA, the fewest bootstrap
  resamples), for drift + realized + estimated performance at comparable work;
- cli: ``monitoring-pipelines run`` for the days (SQLite Dagster instance, as users run it);
- new_day: the CLI for the last day alone (a new day end to end);
- watch: new days landing one by one under a running ``monitoring-pipelines watch`` that first
  caught up on the month's other days: from each file landing to its outcome (bench/watch.py);
- peers (``BENCH_PEERS=1``): NannyML and Evidently from bench/.venv-<tool>.

Prints a table with ratios and writes bench/RESULTS.md (figures of every size run so far).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.workload import Workload, generate

BENCH = Path(__file__).parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PY = sys.executable
DRIFT_PERF_GROUPS = ("drift", "performance")
NOTES = "<!-- notes: kept when the tables above are regenerated -->"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(x.split()[1]) / 1024**2
            for x in Path("/proc/meminfo").read_text().splitlines()
            if x.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0.0
    return {
        "cores": os.cpu_count(),
        "ram_gb": round(mem, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_before": os.getloadavg()[0],
    }


def collected(name: str, out: Path) -> dict:
    """A measurement's figures from the files a finished run left (``--collect``)."""
    res: dict = {"name": name, "rc": 0}
    log = out.with_suffix(".log")
    if log.exists():
        res.update({k: v for k, v in json.loads(log.read_text()).items() if v is not None})
    if out.exists():
        res.update(json.loads(out.read_text()))
    tfile = out.with_suffix(".time")
    if tfile.exists() and len(tfile.read_text().split()) >= 4:
        e, u, s, m = tfile.read_text().split()[-4:]
        res.update(
            process_wall=float(e), cpu_seconds=float(u) + float(s), process_peak_mb=int(m) / 1024
        )
    return res


def collect(out: Path, tag: str) -> dict:
    """``--collect``: the size's results JSON with the measurements whose files in ``out``
    are newer than it (a run interrupted before it wrote the JSON), each marked with its
    file's time and as collected: a file holds the last of a measurement's repeated runs
    only, so a measurement the JSON already has from the same run (with the median of its
    repeats) is kept as it is."""
    prev = out / f"results-{tag}.json"
    info = json.loads(prev.read_text()) if prev.exists() else {}
    written = prev.stat().st_mtime if prev.exists() else 0.0
    res = info.setdefault("results", {})
    files = {"newday": "new_day"}
    for f in sorted(out.glob(f"*-{tag}.time")):
        stem = f.name.removesuffix(f"-{tag}.time")
        name = files.get(stem, stem)
        if name in res and f.stat().st_mtime <= written:
            continue
        when = datetime.fromtimestamp(f.stat().st_mtime, UTC).isoformat(timespec="seconds")
        res[name] = {**collected(name, f.with_suffix(".json")), "run_of": when, "collected": True}
    prev.write_text(json.dumps(info, indent=2, default=str))
    return info


class TreeRss(threading.Thread):
    """Samples (every 0.2 s) the summed memory of a process and all its descendants:
    /usr/bin/time's peak is that of the largest single process, which understates a run
    whose parent waits, holding its memory, while a child works.

    Each process counts its proportional set size (PSS, /proc/<pid>/smaps_rollup): pages
    shared between processes are split among them. Summed RSS counted them once per
    process, so a sample taken between a fork and its exec (Dagster's compute-log capture
    forks ``tail -F`` from the run's 1.7 GB process) counted the parent's memory twice.
    Where smaps_rollup cannot be read, RSS stands in."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_mb, self._done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.2):
            sampled = self.sample()
            if sampled is not None:
                self.peak_mb = max(self.peak_mb, sampled)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def sample(self) -> float | None:
        """The tree's summed PSS now; None when the tree changed while it was read (a
        process forked or ended between the reads: a parent read before a fork and its
        child after it count the shared pages one and a half times; the CLI's 30 days once
        showed a 2.10 GB tree around a 1.58 GB process, 2026-12-06)."""
        tree = self.tree()
        total = sum(proc_pss_mb(p) or 0.0 for p in tree)
        return total if self.tree() == tree else None

    def tree(self) -> set[int]:
        """The process and its descendants, from /proc."""
        parent: dict[int, int] = {}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                    parent[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parent.items() if pp == p and c not in tree]
            tree.update(kids)
            frontier += kids
        return tree


def proc_pss_mb(pid: int) -> float | None:
    """The proportional set size of a process in MB (its RSS where the kernel gives no
    smaps_rollup); None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return proc_status_mb(pid, "VmRSS")


def proc_status_mb(pid: int, field: str) -> float | None:
    """A memory field of /proc/<pid>/status (``VmRSS``, ``VmHWM``: the peak) in MB; None when
    the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def timed(name: str, cmd: list[str], out: Path, timeout: float, env: dict | None = None) -> dict:
    """Run ``cmd`` under /usr/bin/time; its JSON (if it wrote ``out``) plus wall/CPU/RSS."""
    tfile = out.with_suffix(".time")
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(tfile), *cmd]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        full,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeRss(proc.pid)
    sampler.start()
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        rc, tail = proc.returncode, (stdout + stderr)[-1500:]
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        rc, tail = None, f"timed out after {timeout:.0f} s"
    sampler.stop()
    wall = time.perf_counter() - t0
    res: dict = {"name": name, "rc": rc, "load_avg_1m": [load0, os.getloadavg()[0]]}
    res["tree_peak_mb"] = sampler.peak_mb
    if out.exists():
        res.update(json.loads(out.read_text()))
    if rc is not None and tfile.exists():
        e, u, s, m = tfile.read_text().split()[-4:]
        res.update(
            process_wall=float(e), cpu_seconds=float(u) + float(s), process_peak_mb=int(m) / 1024
        )
    else:
        res.update(process_wall=wall)
    if rc not in (0, 3):
        res["error"] = tail
    out.with_suffix(".log").write_text(
        json.dumps({"rc": rc, "error": res.get("error"), "tree_peak_mb": res["tree_peak_mb"]})
    )
    return res


# the figure each measurement is reported by (others: process_wall)
WALL_KEY = {"floor": "seconds", "pipeline": "wall_seconds", "lean": "wall_seconds"}

# The model config of the ``lean`` measurement: what NannyML's drift + CBPE computes, as near as
# the config goes: histogram-based numeric drift (``numeric_test: binned``; NannyML's default
# is Jensen-Shannon on bins), no trailing windows, no multivariate detectors. Still computed
# (not switchable): chi-squared, PSI and a Wasserstein bound beside JS, output and label
# drift, concept drift, 20 bootstrap resamples for each realized figure's interval.
LEAN = {
    "drift": {"window_days": 0, "multivariate": False, "numeric_test": "binned"},
    "performance": {"window_days": 0, "bootstrap_resamples": 20},
}
NANNYML_SCOPE = ("feature_drift", "realized_performance", "estimated_performance")
SCOPE_NAME = " + ".join(NANNYML_SCOPE)
COMPUTE = "compute_by_asset"  # per asset: seconds in the project's own code (no Dagster)


def wall_of(res: dict) -> float | None:
    """The wall figure a measurement is reported by (the floor's and the pipeline's own
    timers; the process's wall otherwise)."""
    return res.get(WALL_KEY.get(res.get("name", ""), "process_wall"))


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time (of an even count, the slower middle one), with
    every run's wall, CPU and peak under ``repeats``; the peaks reported are the largest of
    all runs (memory targets are ceilings). A single run is returned as it is."""
    if len(runs) == 1:
        return runs[0]
    ok = [r for r in runs if wall_of(r) is not None and "error" not in r]
    if not ok:
        return runs[-1]
    ranked = sorted(ok, key=wall_of)
    res = dict(ranked[len(ranked) // 2])
    res["repeats"] = {
        "wall": [wall_of(r) for r in runs],
        "cpu": [r.get("cpu_seconds") for r in runs],
        "peak_mb": [r.get("process_peak_mb") for r in runs],
        "tree_peak_mb": [r.get("tree_peak_mb") for r in runs],
        "failed": len(runs) - len(ok),
    }
    for key in ("process_peak_mb", "tree_peak_mb"):
        peaks = [r[key] for r in ok if r.get(key) is not None]
        if peaks:
            res[key] = max(peaks)
    return res


def repeated(n: int, measure, run_of: str) -> dict:
    """``measure()`` run ``n`` times (see :func:`median_run`), marked with the date of the
    runner's invocation that measured it (results merge across invocations)."""
    return {**median_run([measure() for _ in range(max(n, 1))]), "run_of": run_of}


def fresh_store(home: Path) -> None:
    """Forget the pipeline's state (store, suite, Dagster instance) so each run does it all."""
    (home / "data" / "monitoring.duckdb").unlink(missing_ok=True)
    (home / "data" / "monitoring.duckdb.wal").unlink(missing_ok=True)
    shutil.rmtree(home / "data" / "monitoring.duckdb.derived", ignore_errors=True)
    for suite in (home / "expectations").glob("*.json"):
        suite.unlink()
    shutil.rmtree(home / ".dagster", ignore_errors=True)
    shutil.rmtree(home / "data" / "quarantine", ignore_errors=True)


# what a run changes in a monitoring home (the logs, the reference and the config it only reads)
STATE = [
    "data/monitoring.duckdb",
    "data/monitoring.duckdb.wal",
    "data/monitoring.duckdb.derived",
    "data/models",
    "data/alerts.jsonl",
    "data/audits",
    "data/quarantine",
    "expectations",
    "reports",
    ".dagster",
]


def keep_state(home: Path) -> Path:
    """A copy of the home's state beside it (``<home>.kept``), for :func:`restore_state`."""
    kept = home.with_name(home.name + ".kept")
    shutil.rmtree(kept, ignore_errors=True)
    for rel in STATE:
        src, dst = home / rel, kept / rel
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    return kept


def restore_state(home: Path, kept: Path) -> None:
    """The home's state as :func:`keep_state` copied it (what it did not hold is removed)."""
    for rel in STATE:
        dst, src = home / rel, kept / rel
        if dst.is_dir():
            shutil.rmtree(dst)
        else:
            dst.unlink(missing_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.exists():
            shutil.copy2(src, dst)


def model_yaml(home: Path, model: str) -> Path:
    """The workload model's config file in ``home``."""
    return home / "config" / "models" / f"{model}.yaml"


def set_outlier_backend(home: Path, model: str, backend: str | None) -> str:
    """Write ``outliers.backend`` into the model config (None: the project's default)."""
    import yaml

    path = model_yaml(home, model)
    cfg = yaml.safe_load(path.read_text())
    if backend:
        cfg["outliers"] = {**cfg.get("outliers", {}), "backend": backend}
    else:
        cfg.pop("outliers", None)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return backend or "default"


def set_lean(home: Path, model: str) -> str:
    """Merge :data:`LEAN` into the model config; returns the config's text before."""
    import yaml

    path = model_yaml(home, model)
    before = path.read_text()
    cfg = yaml.safe_load(before)
    for section, values in LEAN.items():
        cfg[section] = {**cfg.get(section, {}), **values}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return before


def peer_env() -> dict:
    """The peers' environment: no usage data sent, and numpy's transparent-huge-page advice
    as the project runs it (off, see monitoring_pipelines/malloc.py, unless
    ``NUMPY_MADVISE_HUGEPAGE`` is set for the runner), so both sides pay the same kernel
    memory costs (NannyML took 43.9 and 82.3 s an hour apart with numpy's default). BLAS's
    thread count is each tool's own: the project gives OpenBLAS one thread when it is
    imported (monitoring_pipelines/blas.py), the peers keep their libraries' default, and this
    runner imports neither, so neither's choice reaches the other."""
    return {
        "NML_DISABLE_USAGE_LOGGING": "1",
        "DO_NOT_TRACK": "1",
        "NUMPY_MADVISE_HUGEPAGE": os.environ.get("NUMPY_MADVISE_HUGEPAGE", "0"),
    }


def cli_env(home: Path) -> dict:
    dh = home / ".dagster"
    dh.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", dh / "dagster.yaml")
    return {"DAGSTER_HOME": str(dh), "MONITORING_HOME": str(home)}


def cli_breakdown(home: Path, timeout: float) -> dict:
    """``runs``: where the CLI's time went, read from the Dagster instance it left in
    ``home`` (``bench.tasks runs``, in its own process: this runner imports no Dagster)."""
    out = OUT / "runs.json"
    out.unlink(missing_ok=True)
    cmd = [PY, "-m", "bench.tasks", "runs", str(home), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **cli_env(home)},
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    if proc.returncode != 0 or not out.exists():
        return {"runs_error": (proc.stdout + proc.stderr)[-300:]}
    found = json.loads(out.read_text())
    found.pop("peak_rss_mb", None)
    return {"runs": found}


def runs_note(res: dict) -> str:
    """The CLI row's breakdown: each job's runs and seconds, the time between runs and the
    process's time outside its runs (start-up, loading the definitions, exit)."""
    runs = res.get("runs")
    if not runs or not runs.get("by_job"):
        return ""
    jobs = ", ".join(
        f"{j['runs']} {name} run(s) {_f(j['wall'])} (steps {_f(j['steps'])})"
        for name, j in sorted(runs["by_job"].items(), key=lambda kv: -kv[1]["wall"])
    )
    outside = (res.get("process_wall") or 0.0) - runs["span"]
    return (
        f"of the median run: {jobs}; between runs {_f(runs['between_runs'])}; "
        f"outside the runs {_f(outside)} (start-up, definitions, exit)"
    )


def run_all(args: argparse.Namespace) -> dict:
    rows = args.analysis_rows
    ref_rows = args.reference_rows or (rows if args.quick else 1_000_000)
    home = OUT / f"w1-{rows}"
    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "analysis_rows": rows,
        "reference_rows": ref_rows,
        "quick": args.quick,
    }
    wl = Workload.load(home) if (home / "workload.json").exists() else None
    if args.regenerate or wl is None or (wl.analysis_rows, wl.reference_rows) != (rows, ref_rows):
        wl = generate(home, analysis_rows=rows, reference_rows=ref_rows)
    info["generate_seconds"] = wl.seconds
    info["outlier_backend"] = set_outlier_backend(home, wl.model, args.outlier_backend)
    tag = f"{rows}"
    prev = OUT / f"results-{tag}.json"
    res: dict[str, dict] = json.loads(prev.read_text())["results"] if prev.exists() else {}
    only = set(args.only.split(",")) if args.only else None

    def want(name: str) -> bool:
        return only is None or name in only

    say = print if not args.silent else (lambda *a, **k: None)
    say(f"workload {rows:,} analysis / {ref_rows:,} reference rows in {home} ({wl.seconds:.1f} s)")

    if want("floor"):
        out = OUT / f"floor-{tag}.json"
        cmd = [PY, "-m", "bench.tasks", "floor", str(home), str(out)]
        res["floor"] = repeated(
            args.repeat, lambda: timed("floor", cmd, out, args.timeout), info["date"]
        )
        say(f"floor: {res['floor'].get('seconds', float('nan')):.1f} s")
    days = args.pipeline_days or (2 if args.quick else 0)
    if want("pipeline"):
        cmd = [PY, "-m", "bench.tasks", "pipeline", str(home), str(OUT / f"pipeline-{tag}.json")]
        if days:
            cmd += ["--days", str(days)]
        if args.profile:
            cmd += ["--profile", str(OUT / f"profile-{tag}.txt")]

        def pipeline() -> dict:
            fresh_store(home)
            return timed("pipeline", cmd, OUT / f"pipeline-{tag}.json", args.timeout)

        res["pipeline"] = repeated(args.repeat, pipeline, info["date"])
        say(f"pipeline: {res['pipeline'].get('wall_seconds', float('nan')):.1f} s")
    if want("lean") and (not args.quick or only is not None):
        out = OUT / f"lean-{tag}.json"
        cmd = [PY, "-m", "bench.tasks", "pipeline", str(home), str(out)]
        if days:
            cmd += ["--days", str(days)]

        def lean() -> dict:
            fresh_store(home)
            before = set_lean(home, wl.model)
            try:
                return timed("lean", cmd, out, args.timeout)
            finally:
                model_yaml(home, wl.model).write_text(before)

        res["lean"] = repeated(args.repeat, lean, info["date"])
        say(f"lean: {res['lean'].get('wall_seconds', float('nan')):.1f} s")
    if not args.quick and (want("cli") or want("new_day") or want("watch")):
        env = cli_env(home)
        exe = str(Path(PY).parent / "monitoring-pipelines")
        start = wl.first.isoformat() if not days else None
        span = ["--start", start or str(wl.last), "--end", str(wl.last)]
        out = OUT / f"cli-{tag}.json"
        out.unlink(missing_ok=True)
        if want("cli"):

            def cli() -> dict:
                fresh_store(home)
                res = timed(
                    "cli", [exe, "--home", str(home), "run", *span], out, args.timeout,
                    cli_env(home),
                )  # fmt: skip
                return {**res, **cli_breakdown(home, args.timeout)}

            res["cli"] = repeated(args.repeat, cli, info["date"])
            env = cli_env(home)
            say(f"cli: {res['cli'].get('process_wall', float('nan')):.1f} s")
        span = ["--start", str(wl.last), "--end", str(wl.last)]
        out = OUT / f"newday-{tag}.json"
        if want("new_day"):
            # every day but the last through the CLI (not timed), kept; each measurement
            # starts from that state, so the last day is new to the store every time
            fresh_store(home)
            env = cli_env(home)
            before = [exe, "--home", str(home), "run", "--start", str(wl.first)]
            before += ["--end", str(wl.last - timedelta(days=1))]
            setup_out = OUT / f"newday-{tag}.setup.json"
            setup = timed("new_day_setup", before, setup_out, args.timeout, env)
            if setup.get("rc") != 0:
                raise SystemExit(f"new_day setup failed: {setup}")
            kept = keep_state(home)

            def new_day() -> dict:
                restore_state(home, kept)
                return timed("new_day", [exe, "--home", str(home), "run", *span], out, 600, env)

            res["new_day"] = repeated(args.repeat, new_day, info["date"])
            say(f"new day: {res['new_day'].get('process_wall', float('nan')):.1f} s")
        if want("watch"):
            from bench.watch import measure_watch

            def fresh(h: Path) -> None:
                fresh_store(h)
                cli_env(h)  # the Dagster home again, with the project's dagster.yaml

            files = [wl.day_file(wl.first + timedelta(days=i)) for i in range(wl.days)]
            res["watch"] = {
                **measure_watch(exe, home, files, cli_env(home), fresh, args.watch_days),
                "run_of": info["date"],
            }
            say(f"watch: {res['watch'].get('process_wall', float('nan')):.1f} s")
    if os.environ.get("BENCH_PEERS") == "1":
        for tool in [t for t in ("nannyml", "evidently") if want(t)]:
            py = BENCH / f".venv-{tool}" / "bin" / "python"
            if not py.exists():
                res[tool] = {"name": tool, "error": f"{py} missing: see bench/README.md"}
                continue
            out = OUT / f"{tool}-{tag}.json"
            out.unlink(missing_ok=True)
            cmd = [str(py), str(BENCH / "peers" / f"{tool}_run.py"), str(home), str(out)]
            if tool == "evidently" and args.evidently_days:
                cmd.append(str(args.evidently_days))
            env = peer_env()
            n = args.evidently_repeat if tool == "evidently" else args.repeat
            res[tool] = repeated(
                n,
                lambda: timed(tool, cmd, out, args.peer_timeout, env),  # noqa: B023
                info["date"],
            )
            res[tool]["numpy_madvise_hugepage"] = env["NUMPY_MADVISE_HUGEPAGE"]
            say(f"{tool}: {res[tool].get('process_wall', float('nan')):.1f} s")
    if prev.exists():  # another invocation may have written meanwhile: keep its figures
        res = {**json.loads(prev.read_text())["results"], **{k: v for k, v in res.items()}}
    info["results"] = res
    info["pipeline_days"] = days
    info["repeat"] = args.repeat
    info["workload_days"] = wl.days
    (OUT / f"results-{tag}.json").write_text(json.dumps(info, indent=2, default=str))
    return info


def _f(x: float | None, unit: str = "s") -> str:
    return "–" if x is None else f"{x:,.1f} {unit}"


def table(info: dict) -> str:
    """Markdown table of one size's figures and the ratios to the floor and the peers."""
    r = info["results"]
    floor = r.get("floor", {})
    pipe = r.get("pipeline", {})
    groups = pipe.get("by_group", {})
    dp = sum(groups.get(g, 0.0) for g in DRIFT_PERF_GROUPS) or None
    lines = [
        "| measured | wall | CPU (user+sys) | peak RSS | peak PSS, process tree | notes |",
        "|---|---|---|---|---|---|",
    ]

    mixed = len(_counts(info)) > 1

    def row(name, res, note=""):
        wall = wall_of(res)
        when = str(res.get("run_of", ""))[:16].replace("T", " ")
        if res.get("collected"):  # see collect()
            note = f"collected from bench/out: the last of its runs, ended {when} UTC" + (
                f"; {note}" if note else ""
            )
        elif res.get("run_of") and info.get("date") and res["run_of"] != info["date"]:
            note = f"from the runner's run of {when} UTC" + (f"; {note}" if note else "")
        reps = res.get("repeats")
        if mixed and not reps and "samples" not in res:
            note = "one run" + (f"; {note}" if note else "")
        if reps:
            walls = " / ".join(_f(w) for w in reps["wall"])
            cpus = " / ".join(_f(c) for c in reps["cpu"])
            note = (
                f"median of {len(reps['wall'])} (wall {walls}; CPU {cpus}; peaks: the largest)"
                + (f", {reps['failed']} failed" if reps.get("failed") else "")
                + (f"; {note}" if note else "")
            )
        lines.append(
            f"| {name} | {_f(wall)} | {_f(res.get('cpu_seconds'))} | "
            f"{_f(res.get('process_peak_mb'), 'MB')} | {_f(res.get('tree_peak_mb'), 'MB')} | "
            f"{note} |"
        )

    row("floor: DuckDB SQL (PSI, JS, confusion)", floor)
    days = pipe.get("days")
    row(
        f"pipeline in-process, {days} days, all assets",
        pipe,
        f"statuses {pipe.get('statuses')}"
        + "".join(
            f"; highest RSS sample during `{x['step']}`" for x in pipe.get("rss_at_peak", [])
        ),
    )
    for g, s in sorted(groups.items(), key=lambda x: -x[1]):
        lines.append(f"| &nbsp;&nbsp;group `{g}` (sum of step times) | {_f(s)} | | | | |")
    if dp:
        lines.append(f"| &nbsp;&nbsp;drift + performance | {_f(dp)} | | | | |")
    scope = nannyml_scope(pipe)
    if scope:
        lines.append(f"| &nbsp;&nbsp;{SCOPE_NAME} | {_f(scope)} | | | | |")
    if compute := nannyml_scope(pipe, COMPUTE):
        lines.append(f"| &nbsp;&nbsp;{SCOPE_NAME}, own code only | {_f(compute)} | | | | |")
    lean = r.get("lean", {})
    if lean:
        row(
            f"pipeline in-process, {lean.get('days')} days, lean config (NannyML's scope: "
            "binned numeric drift, no windows, no domain classifier or PCA, 20 bootstrap "
            "resamples)",
            lean,
            f"statuses {lean.get('statuses')}",
        )
        lean_scope = nannyml_scope(lean)
        if lean_scope:
            lines.append(f"| &nbsp;&nbsp;{SCOPE_NAME}, lean | {_f(lean_scope)} | | | | |")
        if compute := nannyml_scope(lean, COMPUTE):
            lines.append(
                f"| &nbsp;&nbsp;{SCOPE_NAME}, lean, own code only | {_f(compute)} | | | | |"
            )
    for name in ("cli", "new_day"):
        if name in r:
            note = "; ".join(x for x in (runs_note(r[name]), r[name].get("error", "")[-200:]) if x)
            row(f"`monitoring-pipelines run` ({name})", r[name],
                note.replace("\n", " ").replace("|", "/"))  # fmt: skip
    if "watch" in r:
        w = r["watch"]
        lat = " / ".join(_f(s["latency"]) for s in w.get("samples", []))
        runs = " / ".join(_f(s["run"]) for s in w.get("samples", []))
        caught = w.get("catch_up_outcomes", [])
        row(
            "new day through `monitoring-pipelines watch` (landing to outcome)",
            w,
            f"median of the last {len(w.get('samples', []))} days landing one by one under a "
            f"watcher that first caught up on the {w.get('catch_up_days')} before "
            f"(latency {lat}; of which the day's run {runs}; default settle 2 s; start-up "
            f"{_f(w.get('ready_seconds'))}; catch-up {_f(w.get('catch_up_seconds'))} for "
            f"{len(caught)} days, {caught.count('ok')} ok, the reference job and "
            f"{sum('retrained' in x for x in w.get('catch_up_lines', []))} retraining(s) "
            f"included); peak: the watcher's over the month"
            + (f"; {w['error']}" if "error" in w else ""),
        )
    for tool in ("nannyml", "evidently"):
        if tool in r:
            t = r[tool]
            note = t.get("tool", "")
            if t.get("numpy_madvise_hugepage") == "0":
                note += "; numpy's huge-page advice off, as ours"
            if "error" in t:
                note += " " + t["error"][-200:].replace("\n", " ").replace("|", "/")
            row(tool, t, note)
    out = "\n".join(lines)
    ratios = []
    total_days = info.get("workload_days", 30)
    scale = total_days / days if days else 1.0
    how = f" (pipeline extrapolated ×{scale:.0f} from {days} day(s))" if scale != 1 else ""
    if dp and floor.get("seconds"):
        ratios.append(
            f"- drift + performance / floor, wall: {dp * scale / floor['seconds']:.1f}×{how}"
        )
    if days:
        steps = sum(v for g, v in groups.items() if g != "reference")
        own = sum(pipe.get(COMPUTE, {}).values())
        ratios.append(
            f"- daily steps per day (reference fitting excluded): {steps / days:.1f} s wall"
            + (f", of which the project's own code {own / days:.1f} s" if own else "")
        )
    for name, res, key in (
        ("all assets", pipe, "by_asset"),
        ("lean config", lean, "by_asset"),
        ("lean config, own code only", lean, COMPUTE),
    ):
        scope, n = nannyml_scope(res, key), res.get("days")
        if not scope or not n or not floor.get("seconds"):
            continue
        extra = total_days / n
        line = f"- {SCOPE_NAME} ({name}) / floor, wall: {scope * extra / floor['seconds']:.1f}×"
        t = r.get("nannyml", {})
        if t.get("process_wall") and "error" not in t:
            tdays = t.get("days", total_days)
            ratio = t["process_wall"] / (scope * tdays / n)
            line += f"; nannyml / it on as many days: {ratio:.2f}×"
        ratios.append(line)
    if like := like_for_like(lean, r.get("nannyml", {}), total_days):
        ratios.append(like)
    for tool in ("nannyml", "evidently"):
        t = r.get(tool, {})
        if dp and t.get("process_wall") and "error" not in t:
            tdays = t.get("days", total_days)
            ours = dp * tdays / days if days else dp
            ratios.append(
                f"- {tool} ({tdays} days) wall / our drift + performance on as many days: "
                f"{t['process_wall'] / ours:.2f}×"
            )
    return out + ("\n\n" + "\n".join(ratios) if ratios else "")


# the reference-side steps NANNYML_SCOPE needs: the drift profile and the estimator's fit
SCOPE_FITS = ("reference_profile", "performance_estimator")
NANNYML_PHASES = ("drift_seconds", "cbpe_seconds", "realized_seconds")


def like_for_like(lean: dict, nannyml: dict, total_days: int) -> str | None:
    """The NannyML ratio on the same footing for both: our lean scope's steps plus the
    reference fits they need (:data:`SCOPE_FITS`, once), against NannyML's own timers for
    drift, CBPE and realized performance, its fits on the reference included, its import and
    its reading of the files excluded (as our steps exclude ingestion). None without both."""
    scope, n = nannyml_scope(lean), lean.get("days")
    phases = [nannyml.get(k) for k in NANNYML_PHASES]
    if not scope or not n or "error" in nannyml or not all(phases):
        return None
    fits = sum(lean.get("by_asset", {}).get(a, 0.0) for a in SCOPE_FITS)
    tdays = nannyml.get("days", total_days)
    ours = scope * tdays / n + fits
    theirs = sum(phases)
    return (
        f"- like for like, lean config: {SCOPE_NAME} + {' + '.join(SCOPE_FITS)} "
        f"{ours:.1f} s against nannyml's drift + CBPE + realized, its reference fits "
        f"included, import and file reading excluded, {theirs:.1f} s: {theirs / ours:.2f}×"
    )


def nannyml_scope(res: dict, key: str = "by_asset") -> float | None:
    """Seconds of the steps that compute what NannyML does (:data:`NANNYML_SCOPE`); with
    ``key="compute_by_asset"``, of the project's own code in them (the ``compute_seconds``
    the assets record, without Dagster's bookkeeping around each step)."""
    assets = res.get(key, {})
    return sum(assets.get(a, 0.0) for a in NANNYML_SCOPE) or None


def _count(res: dict) -> int:
    """How many runs (or, for the watcher, days) a row's figure is the median of."""
    if "samples" in res:
        return len(res["samples"])
    return len(res.get("repeats", {}).get("wall", [])) or 1


def _counts(info: dict) -> set[int]:
    """The run counts of a size's rows (one element when every row has the same)."""
    return {_count(r) for r in info.get("results", {}).values() if "error" not in r}


def _runs(info: dict) -> str:
    counts = _counts(info)
    if len(counts) > 1:
        return "medians of as many runs as each row's notes say"
    n = counts.pop() if counts else info.get("repeat", 1)
    return f"median of {n} runs of each measurement" if n > 1 else "one run of each measurement"


def _section_title(i: dict) -> str:
    return (
        f"## {i['analysis_rows']:,} analysis rows / {i['reference_rows']:,} reference rows"
        f"{' (quick)' if i['quick'] else ''}"
    )


def _sections(text: str) -> dict[str, str]:
    """The size sections of a RESULTS.md (title line -> whole section), notes excluded."""
    body = text.split(NOTES)[0]
    found = re.split(r"(?m)^(?=## )", body)
    return {s.splitlines()[0].strip(): s.rstrip() + "\n" for s in found if s.startswith("## ")}


def _table_rows(section: str) -> list[str]:
    """The lines of a section's figures table (after its header), in order."""
    lines = section.splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith("|---")), None)
    if start is None:
        return []
    rows = []
    for x in lines[start + 1 :]:
        if not x.startswith("| "):
            break
        rows.append(x)
    return rows


def _label(row: str) -> str:
    return row.split("|")[1].strip()


def carry_over(old: str, new: str) -> str:
    """``new`` (a size's regenerated section) with the rows of ``old`` (its section before)
    that this run did not measure, each with the sub-rows under it, appended to the table
    and marked with the run they come from: running some measurements again (``--only``,
    or a fresh clone with no JSON of the others) keeps the other figures, and says they
    are older."""
    rows = _table_rows(new)
    if not rows:
        return new
    labels = {_label(r) for r in rows}
    date_line = old.splitlines()[2] if len(old.splitlines()) > 2 else ""
    when = date_line.split(" · ")[0].strip() or "an earlier run"
    keep, carrying = [], False
    for row in _table_rows(old):
        if not _label(row).startswith("&nbsp;"):
            carrying = _label(row) not in labels
            if carrying and "carried over from" not in row:  # once: it keeps its first date
                cells = row.rstrip().rstrip("|").split("|")
                cells[-1] = f" carried over from the section of {when}; {cells[-1].strip()} "
                row = "|".join(cells) + "|"
        if carrying:
            keep.append(row)
    if not keep:
        return new
    last = rows[-1]
    at = new.index(last) + len(last)
    return new[:at] + "\n" + "\n".join(keep) + new[at:]


def _rows_of(title: str) -> tuple[int, bool]:
    m = re.match(r"## ([\d,]+) analysis rows", title)
    return (int(m.group(1).replace(",", "")) if m else 0, "(quick)" not in title)


def write_results(path: Path | None = None, out: Path | None = None) -> Path:
    """bench/RESULTS.md from every results-*.json in bench/out (one section per size).
    A size with no JSON in bench/out (a fresh clone, another machine's run) keeps the
    section RESULTS.md already has, so regenerating one size never drops another's figures;
    so does a size whose JSON has no pipeline figures (a partial run on a fresh clone)."""
    path = path or BENCH / "RESULTS.md"
    infos = [json.loads(f.read_text()) for f in sorted((out or OUT).glob("results-*.json"))]
    old = path.read_text() if path.exists() else ""
    sections = _sections(old)
    for i in infos:
        m, title = i["machine"], _section_title(i)
        if title in sections and "pipeline" not in i.get("results", {}):
            # a partial run (say ``--only floor`` on a fresh clone) would replace the
            # section's pipeline, CLI and peer rows by its one row: keep the section
            print(f"{path.name}: {title[3:]} kept (no pipeline figures in this run)")
            continue
        sections[title] = carry_over(sections.get(title, ""), (
            f"{title}\n\n"
            f"{i['date']} · {m['cores']} cores · {m['ram_gb']} GB RAM · {m['cpu']} · "
            f"Python {m['python']} · load average before {m['load_before']:.1f} · "
            f"outlier backend {i.get('outlier_backend', 'default')} · "
            f"pipeline days {i.get('pipeline_days') or 'all'} · "
            f"{_runs(i)}\n\n"
            f"{table(i)}\n"
        ))  # fmt: skip
    parts = ["# Benchmark results\n", "Generated by `python -m bench.run`; see bench/README.md.\n"]
    parts += [sections[t] for t in sorted(sections, key=_rows_of)]
    notes = old[old.index(NOTES) :] if NOTES in old else ""  # hand-written analysis is kept
    path.write_text("\n".join(parts) + ("\n" + notes if notes else ""))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--analysis-rows", type=int, default=1_000_000)
    p.add_argument("--reference-rows", type=int, default=0, help="default 1M (quick: = analysis)")
    p.add_argument("--quick", action="store_true", help="floor + 2 pipeline days, no CLI")
    p.add_argument("--pipeline-days", type=int, default=0, help="only the last N days")
    p.add_argument("--profile", action="store_true", help="pyinstrument profile of the pipeline")
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--peer-timeout", type=float, default=1800)
    p.add_argument("--silent", action="store_true")
    p.add_argument(
        "--watch-days", type=int, default=5, help="days landing under the watcher (default 5)"
    )
    p.add_argument(
        "--only", help="comma-separated: floor,pipeline,lean,cli,new_day,watch,nannyml,evidently"
    )
    p.add_argument(
        "--outlier-backend", choices=["alibi", "sklearn"], help="default: the project's default"
    )
    p.add_argument("--collect", action="store_true", help="rebuild the results from bench/out")
    p.add_argument("--evidently-days", type=int, default=0, help="only the last N days")
    p.add_argument(
        "--repeat", type=int, default=1, help="run each measurement N times, report the median"
    )
    p.add_argument(
        "--evidently-repeat", type=int, default=1, help="Evidently's runs (~17 min each at W1)"
    )
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.collect:
        info = collect(OUT, str(args.analysis_rows))
        print(table(info))
        print(f"\nwrote {write_results()}")
        return 0
    info = run_all(args)
    print()
    print(table(info))
    print(f"\nwrote {write_results()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
