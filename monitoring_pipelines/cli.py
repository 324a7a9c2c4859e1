"""`monitoring-pipelines`: demo data, headless runs, status, starter suites.

Exit codes: 0 success; 1 a run or command failed; 2 bad usage or config; 3 the runs finished
but some days were blocked by critical quality checks or had quarantined files."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import date, timedelta

from monitoring_pipelines.config import ConfigError, load_model_configs
from monitoring_pipelines.paths import ProjectPaths


def _paths(args: argparse.Namespace) -> ProjectPaths:
    env = dict(os.environ)
    if args.home:
        env["MONITORING_HOME"] = args.home
    return ProjectPaths.from_env(env)


def _instance(paths: ProjectPaths):
    """The Dagster instance of $DAGSTER_HOME, default ``<home>/.dagster`` (dagster.yaml copied
    from the home when missing), so CLI runs show in the UI."""
    import dagster as dg

    if not os.environ.get("DAGSTER_HOME"):
        dh = paths.home / ".dagster"
        dh.mkdir(parents=True, exist_ok=True)
        if not (dh / "dagster.yaml").exists() and (paths.home / "dagster.yaml").exists():
            shutil.copy(paths.home / "dagster.yaml", dh / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(dh)
    return dg.DagsterInstance.get()


def _configs_with(paths: ProjectPaths, model: str):
    """The model configs when ``model`` is among them, else None (the error printed)."""
    configs = load_model_configs(paths.config_dir)
    if model not in configs:
        print(f"unknown model {model!r}; known: {sorted(configs)}", file=sys.stderr)
        return None
    return configs


def cmd_demo(args: argparse.Namespace) -> int:
    from monitoring_pipelines.demo import generate_demo
    from monitoring_pipelines.demo.suites import write_demo_suites

    paths = _paths(args)
    end = date.fromisoformat(args.end_day) if args.end_day else date.today() - timedelta(days=1)
    manifest = generate_demo(
        paths, end_day=end, days=args.days, rows_per_day=args.rows_per_day, seed=args.seed
    )
    for name, path in write_demo_suites(paths, manifest, overwrite=not args.keep_suites).items():
        print(f"suite for {name}: {path}")
    first = min(m["first_day"] for m in manifest["models"].values())
    print(
        f"demo: {len(manifest['models'])} models, {first} .. {manifest['end_day']}, "
        f"{len(manifest['events'])} injected events -> {paths.home / 'data'}"
    )
    return 0


def _any_unknown(models: list[str], configs, paths: ProjectPaths) -> bool:
    """Whether some of ``models`` have no config (then said on stderr)."""
    unknown = [m for m in models if m not in configs]
    if unknown:
        print(
            f"unknown models {unknown}; configs in {paths.config_dir}: {sorted(configs)}",
            file=sys.stderr,
        )
    return bool(unknown)


def _date_range(args: argparse.Namespace, paths: ProjectPaths) -> tuple[date, date]:
    manifest = paths.home / "data" / "demo_manifest.json"
    if args.start and args.end:
        return date.fromisoformat(args.start), date.fromisoformat(args.end)
    if manifest.exists() and not (args.start or args.end):
        m = json.loads(manifest.read_text())
        first = min(v["first_day"] for v in m["models"].values())
        return date.fromisoformat(first), date.fromisoformat(m["end_day"])
    day = (
        date.fromisoformat(args.start or args.end)
        if (args.start or args.end)
        else (date.today() - timedelta(days=1))
    )
    return day, day


def cmd_run(args: argparse.Namespace) -> int:
    from monitoring_pipelines.runner import run_days
    from monitoring_pipelines.status import model_summary, status_table

    paths = _paths(args)
    configs = load_model_configs(paths.config_dir)
    models = args.models.split(",") if args.models else sorted(configs)
    if _any_unknown(models, configs, paths):
        return 2
    start, end = _date_range(args, paths)
    print(f"running {len(models)} model(s) from {start} to {end}")

    def progress(o, i, total):
        where = f"{o.model} {o.day}" if o.day else f"{o.model} reference"
        note = f"  {o.message[:160]}" if o.status != "ok" or not o.day else ""
        print(f"[{i:>4}/{total}] {where:<28} {o.status:<11} {o.seconds:5.1f}s{note}", flush=True)

    served = _demo_serving(paths, configs, end) if not args.no_retrain else None
    summary = run_days(
        paths,
        models,
        start,
        end,
        instance=_instance(paths),
        progress=progress,
        retrain=not args.no_retrain,
        on_retrained=served.on_retrained if served else None,
        refit_reference=args.refit_reference,
    )
    table = status_table(paths.database)
    table = table[table["model"].isin(models) & table["day"].between(start, end)]
    print("\nper-model summary")
    print(model_summary(table).to_string(index=False))
    print(
        f"\nruns: {summary.count('ok')} ok, {summary.count('blocked')} blocked by quality, "
        f"{summary.count('quarantined')} quarantined, {summary.count('failed')} failed"
    )
    _print_retrainings(paths, configs, summary, served, end)
    return summary.exit_code


def cmd_watch(args: argparse.Namespace) -> int:
    from monitoring_pipelines.runner import RunSummary
    from monitoring_pipelines.watch import Watcher, stop_on_signals

    paths = _paths(args)
    configs = load_model_configs(paths.config_dir)
    models = args.models.split(",") if args.models else None
    if _any_unknown(models or [], configs, paths):
        return 2
    watcher = Watcher(
        paths, _instance(paths), models=models, settle=args.settle,
        retrain=not args.no_retrain,
        since=date.fromisoformat(args.since) if args.since else None,
        say=lambda line: print(line, flush=True),
    )  # fmt: skip
    stop = stop_on_signals()
    watcher.start()
    if args.once:
        watcher.poll_once(stop)
    else:
        print(f"watch: polling every {args.interval:g} s (Ctrl-C to stop)", flush=True)
        watcher.serve(args.interval, stop)
    return RunSummary(watcher.outcomes, watcher.retrainings).exit_code


def _demo_serving(paths: ProjectPaths, configs, end: date):
    if not (paths.home / "data" / "demo_manifest.json").exists():
        return None  # not a demo home: the demo (and its imports) is not loaded
    from monitoring_pipelines.demo.serve import DemoServing

    return DemoServing(paths, configs, end)


def _print_retrainings(paths, configs, summary, served, end: date) -> None:
    if not summary.retrainings:
        return
    print("\nretraining (launched by retraining_sensor, ticked after each day)")
    for r in summary.retrainings:
        verdict = "PROMOTED" if r.promoted else "not promoted"
        print(f"  {r.model} {r.day} breach={r.breach}: {r.version or '-'} {verdict}: {r.reason}")
    if not served or not served.promotions:
        return
    print("\nafter promotion (realized, same rows)")
    for rec in served.recoveries():
        print(f"  {rec.text()}")


def cmd_retrain(args: argparse.Namespace) -> int:
    from monitoring_pipelines import constants as k
    from monitoring_pipelines.defs.retraining.sensors import retrain_request
    from monitoring_pipelines.retraining import registry
    from monitoring_pipelines.runner import load_definitions, monitoring_env
    from monitoring_pipelines.store.connection import connect

    paths = _paths(args)
    configs = _configs_with(paths, args.model)
    if configs is None:
        return 2
    instance = _instance(paths)
    if args.model not in instance.get_dynamic_partitions(k.MODEL_DIM):
        instance.add_dynamic_partitions(k.MODEL_DIM, [args.model])
    req = retrain_request(args.model, args.day or "", args.breach, "cli")
    with monitoring_env(paths):
        job = load_definitions(paths).resolve_job_def(k.RETRAIN_JOB)
        result = job.execute_in_process(
            partition_key=args.model,
            run_config=req.run_config,
            instance=instance,
            raise_on_error=False,
            tags={kk: v for kk, v in req.tags.items() if v},
        )
    if not result.success:
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                print(f"retraining failed: {event.message}", file=sys.stderr)
        return 1
    con = connect(paths.database, read_only=True)
    try:
        entry = [e for e in registry.entries(con, args.model) if e["run_id"] == result.run_id][-1]
    finally:
        con.close()
    print(f"{args.model} {entry['version']}: {entry['reason']}")
    print(json.dumps(entry["evaluation"], indent=1))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from monitoring_pipelines.status import status_table

    paths = _paths(args)
    if not paths.database.exists():
        print(
            f"no store at {paths.database}: run `monitoring-pipelines run` first", file=sys.stderr
        )
        return 1
    table = status_table(paths.database, args.model)
    if args.days:
        table = table.groupby("model").tail(args.days)
    print(table.to_string(index=False) if not table.empty else "no days stored")
    return 0


def cmd_suggest_suite(args: argparse.Namespace) -> int:
    from monitoring_pipelines.quality.starter import write_starter_suite

    paths = _paths(args)
    configs = _configs_with(paths, args.model)
    if configs is None:
        return 2
    path = write_starter_suite(paths, configs[args.model], overwrite=True)
    print(f"wrote {path}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from monitoring_pipelines.report.daily import write_reports
    from monitoring_pipelines.store.connection import connect

    paths = _paths(args)
    if not paths.database.exists():
        print(
            f"no store at {paths.database}: run `monitoring-pipelines run` first", file=sys.stderr
        )
        return 1
    try:
        day = date.fromisoformat(args.day)
    except ValueError:
        print(f"bad day {args.day!r}: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    con = connect(paths.database, read_only=True)
    try:
        path, overview = write_reports(
            con, paths.home, args.model, day, out=args.out, history_days=args.history_days
        )
    finally:
        con.close()
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB); overview {overview}")
    return 0


def _exposition(paths: ProjectPaths, days: int) -> str:
    from monitoring_pipelines.export.prometheus import exposition
    from monitoring_pipelines.store.connection import connect

    con = connect(paths.database, read_only=True, wait_seconds=5)
    try:
        return exposition(con, days=days)
    finally:
        con.close()


def cmd_export_metrics(args: argparse.Namespace) -> int:
    from monitoring_pipelines.export.prometheus import write_textfile

    paths = _paths(args)
    if not paths.database.exists():
        print(
            f"no store at {paths.database}: run `monitoring-pipelines run` first", file=sys.stderr
        )
        return 1
    text = _exposition(paths, args.days)
    if args.out:
        write_textfile(args.out, text)
        print(f"wrote {args.out} ({text.count(chr(10))} lines)")
    else:
        sys.stdout.write(text)
    return 0


def cmd_serve_metrics(args: argparse.Namespace) -> int:
    from monitoring_pipelines.export.prometheus import make_server

    paths = _paths(args)
    server = make_server(lambda: _exposition(paths, args.days), port=args.port, host=args.host)
    print(f"serving http://{args.host}:{server.server_port}/metrics (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="monitoring-pipelines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--home", help="monitoring home (default: $MONITORING_HOME or the cwd)")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="generate the demo models' data (no downloads)")
    d.add_argument("--end-day", help="last demo day, YYYY-MM-DD (default: yesterday)")
    d.add_argument("--days", type=int, default=60)
    d.add_argument("--rows-per-day", type=int, default=20000, help="the classifier's volume")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument(
        "--keep-suites",
        action="store_true",
        help="keep existing suites of the demo models (default: rewrite them)",
    )
    d.set_defaults(func=cmd_demo)
    r = sub.add_parser("run", help="materialize every asset for a date range, headless")
    r.add_argument("--start", help="first day (default: the demo's first day, else yesterday)")
    r.add_argument("--end", help="last day (default: the demo's last day, else yesterday)")
    r.add_argument("--models", help="comma-separated model names (default: all configs)")
    r.add_argument(
        "--no-retrain",
        action="store_true",
        help="do not tick the retraining sensor after each day (default: tick it and run the "
        "retrainings it requests, as the daemon would)",
    )
    r.add_argument(
        "--refit-reference",
        action="store_true",
        help="run the reference job even when the reference and the config are unchanged "
        "(default: skip it then)",
    )
    r.set_defaults(func=cmd_run)
    w = sub.add_parser(
        "watch",
        help="stay running; run each model day through Dagster as soon as its log lands",
    )
    w.add_argument("--models", help="comma-separated model names (default: all configs)")
    w.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    w.add_argument(
        "--settle",
        type=float,
        default=2.0,
        help="seconds a day's newest file must be unmodified before it is read (default 2)",
    )
    w.add_argument("--since", help="ignore days before this one, YYYY-MM-DD")
    w.add_argument("--once", action="store_true", help="run what is ready now, then exit")
    w.add_argument("--no-retrain", action="store_true", help="as for run")
    w.set_defaults(func=cmd_watch)
    t = sub.add_parser("retrain", help="retrain a model now (as retraining_sensor would)")
    t.add_argument("model")
    t.add_argument("--day", help="labels known by this day are used (default: latest day)")
    t.add_argument("--breach", default="manual", help="why (recorded in the registry)")
    t.set_defaults(func=cmd_retrain)
    s = sub.add_parser("status", help="per model per day: rows, labels, quality, health")
    s.add_argument("--model")
    s.add_argument("--days", type=int, help="only the last N days of each model")
    s.set_defaults(func=cmd_status)
    g = sub.add_parser("suggest-suite", help="write a starter suite from the reference data")
    g.add_argument("model")
    g.set_defaults(func=cmd_suggest_suite)
    rp = sub.add_parser("report", help="write the self-contained HTML report of a model's day")
    rp.add_argument("model")
    rp.add_argument("day", help="YYYY-MM-DD")
    rp.add_argument("--out", help="file to write (default: <home>/reports/<model>/<day>.html)")
    rp.add_argument("--history-days", type=int, default=30, help="days of history in the plots")
    rp.set_defaults(func=cmd_report)
    ex = sub.add_parser("export-metrics", help="the metrics table in Prometheus text format")
    ex.add_argument(
        "--out",
        help="a .prom file for node_exporter's textfile collector "
        "(written atomically; default: stdout)",
    )
    ex.add_argument("--days", type=int, default=1, help="latest N stored days of each model")
    ex.set_defaults(func=cmd_export_metrics)
    sv = sub.add_parser("serve-metrics", help="serve the Prometheus export over local HTTP")
    sv.add_argument("--port", type=int, default=9464)
    sv.add_argument("--host", default="127.0.0.1", help="bind address (default: local only)")
    sv.add_argument("--days", type=int, default=1)
    sv.set_defaults(func=cmd_serve_metrics)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"config error:\n{err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
