"""The UI end to end on a small demo: the Dagster UI (dagster dev, driven by headless
Chromium through Playwright) shows the lineage, a vital sign's plots and chart, its checks;
the HTML report of a drift day shows the drifted features; the Grafana dashboard only uses
metric names the Prometheus export writes. Screenshots go to docs/screenshots/."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from monitoring_pipelines import constants as k
from monitoring_pipelines.demo.home import demo_home
from monitoring_pipelines.export.prometheus import exposition
from monitoring_pipelines.runner import load_definitions, monitoring_env, run_days
from monitoring_pipelines.store.connection import connect

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
MODEL = "churn"
# The demo's first days (it starts 2025-12-18): churn's labels arrive weekly, 14 days late, so
# by the drift day the labels of these days are known, and the retraining the drift day's
# breach launches has labelled production rows in its 30-day window (2025-12-19 on).
EARLY_DAYS = (date(2025, 12, 19), date(2025, 12, 21))
LABELLED_DAY = date(2026, 1, 11)  # labels have arrived by the demo's end (realized performance)
DRIFT_DAY = date(2026, 1, 17)  # the churn demo's covariate drift starts on this day
# Families whose asset another layer may not have defined yet: their dashboard panels are
# only checked once the asset exists.
FAMILY_ASSETS = {"verdict": k.MODEL_HEALTH, "review": k.REVIEW_QUEUE, "outliers": k.OUTLIERS}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A churn demo home whose days ran through Dagster on a persistent instance."""
    root = tmp_path_factory.mktemp("ui")
    paths, manifest = demo_home(root / "home", models=[MODEL], days=45, rows_per_day=400)
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(REPO / "dagster.yaml", dagster_home / "dagster.yaml")  # as `make ui` runs it
    outcomes = []
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        spans = [EARLY_DAYS, (LABELLED_DAY, LABELLED_DAY), (DRIFT_DAY, DRIFT_DAY)]
        for first, last in spans:  # a few points on every plot over days
            outcomes += run_days(paths, [MODEL], first, last, instance=instance).outcomes
    assert [o.status for o in outcomes] == ["ok"] * 5, outcomes
    return paths, dagster_home


def test_demo_report_on_a_drift_day(demo):
    paths, _ = demo
    report = paths.home / "reports" / MODEL / f"{DRIFT_DAY}.html"
    html = report.read_text()  # written by the daily_report asset in the run
    assert report.stat().st_size < 2_000_000
    assert not re.search(r"https?://", html)
    assert '<section id="verdict"' in html and "Health verdict" in html
    con = connect(paths.database, read_only=True)
    drifted = {
        s
        for (s,) in con.execute(
            "SELECT subject FROM metrics WHERE model=? AND day=? AND family='drift' "
            "AND metric='drift_effect' AND status <> 'ok' AND subject NOT LIKE '%:%' "
            "AND subject <> 'concept'",
            [MODEL, DRIFT_DAY],
        ).fetchall()
    }
    con.close()
    assert "monthly_charges" in drifted  # the injected shift
    line = re.search(r"Drifted features: (.*?)</p>", html).group(1)
    assert set(re.findall(r"<b>([^<]+)</b>", line)) == drifted


def test_grafana_dashboard_uses_only_exported_metrics(demo):
    paths, _ = demo
    con = connect(paths.database, read_only=True)
    exported = {
        line.split()[2]
        for line in exposition(con, days=30).splitlines()
        if line.startswith("# TYPE")
    }
    con.close()
    dashboard = json.loads((REPO / "grafana" / "monitoring_pipelines.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs.append(dashboard["templating"]["list"][0]["query"]["query"])
    used = {n for e in exprs for n in re.findall(r"\bmonitoring_[a-z0-9_]+", e)}
    with monitoring_env(paths):
        graph = load_definitions(paths).resolve_asset_graph()
    defined = {key.to_user_string() for key in graph.materializable_asset_keys}
    pending = tuple(
        f"monitoring_{family}_" for family, asset in FAMILY_ASSETS.items() if asset not in defined
    )
    missing = {n for n in used - exported if not (pending and n.startswith(pending))}
    assert not missing, f"dashboard uses metrics the export does not write: {sorted(missing)}"
    assert {"monitoring_drift_drifted_share", "monitoring_health_latency_p99_ms"} <= used


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_chromium() -> None:
    if not CHROMIUM.exists():  # Debian's package; we run as root in CI
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True)


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())["data"]


def _wait_for_location(port: int, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"dagster dev exited:\n{log.read_text()[-3000:]}")
        try:
            data = _graphql(
                port,
                "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus "
                "locationOrLoadError { __typename } } } } }",
            )
            entries = data["workspaceOrError"]["locationEntries"]
            if entries and all(
                e["loadStatus"] == "LOADED"
                and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
                for e in entries
            ):
                return
        except OSError:
            pass
        time.sleep(1)
    raise AssertionError(f"dagster dev not ready in {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to the process group (dagster dev ignores SIGTERM for a while), SIGKILL later."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def dagster_ui(demo, tmp_path):
    """``dagster dev`` on the demo's instance and home; yields its port."""
    paths, dagster_home = demo
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "MONITORING_HOME": str(paths.home),
        "MONITORING_CONFIG_DIR": str(paths.config_dir),
        "MONITORING_EXPECTATIONS_DIR": str(paths.expectations_dir),
        "MONITORING_DB": str(paths.database),
        "MONITORING_QUARANTINE_DIR": str(paths.quarantine_dir),
    }
    dagster = REPO / ".venv" / "bin" / "dagster"
    if not dagster.exists():
        dagster = Path(sys.executable).parent / "dagster"
    log = tmp_path / "dagster_dev.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port)]
            + ["-w", str(REPO / "workspace.yaml")],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_location(port, proc, log)
        yield port
    finally:
        _stop(proc)


def _finished_retraining_runs(port: int, timeout: float = 300) -> list[dict]:
    """The retraining runs the daemon launched (newest first), once at least one exists and
    none is queued or running; fails after ``timeout`` seconds."""
    query = (
        "{ runsOrError(filter: {pipelineName: "
        + json.dumps(k.RETRAIN_JOB)
        + "}) { ... on Runs { results { runId status } } } }"
    )
    deadline = time.monotonic() + timeout
    runs: list[dict] = []
    while time.monotonic() < deadline:
        runs = _graphql(port, query)["runsOrError"].get("results", [])
        if runs and all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for r in runs):
            return runs
        time.sleep(2)
    raise AssertionError(f"no finished retraining run within {timeout}s: {runs}")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


@pytest.mark.browser
def test_dagster_ui_and_report_in_chromium(demo, dagster_ui):
    _ensure_chromium()
    from playwright.sync_api import sync_playwright

    paths, _ = demo
    base = f"http://127.0.0.1:{dagster_ui}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 950})
            # Dagster's first-visit "join the community" dialog, marked as seen.
            context.add_init_script("window.localStorage.setItem('communityNux', '\"1\"')")
            context.set_default_timeout(30_000)
            page = context.new_page()

            page.goto(f"{base}/asset-groups")
            for group in (k.GROUP_DRIFT, k.GROUP_PERFORMANCE, k.GROUP_REPORT):
                page.get_by_text(group, exact=True).first.wait_for()
            page.wait_for_timeout(1000)
            _shot(page, "asset_lineage.png")

            page.goto(f"{base}/assets/{k.FEATURE_DRIFT}")
            page.get_by_text("Plots", exact=True).click()
            page.get_by_role("button", name="Events").click()  # plot over materializations
            page.get_by_text("drifted_share", exact=True).first.wait_for()
            page.locator("canvas").first.wait_for()
            page.wait_for_timeout(1000)
            _shot(page, "vital_sign_plot.png")

            page.goto(f"{base}/assets/{k.FEATURE_DRIFT}?view=events")
            page.get_by_text("[Show Markdown]").last.click()  # drift_by_feature, the last key
            chart = page.locator("img[src^='data:image/svg+xml']").first
            chart.wait_for()
            assert chart.evaluate("e => e.naturalWidth") > 100
            _shot(page, "drift_chart_metadata.png")

            page.goto(f"{base}/assets/{k.FEATURE_DRIFT}?view=checks")
            page.get_by_text("check_feature_drift").first.wait_for()
            page.get_by_text("Failed").first.wait_for()  # the drift day alerts
            page.wait_for_timeout(500)
            _shot(page, "failing_check.png")

            # The drift day's breach: the daemon's sensor launches a retraining run, which
            # has the early days' labels to train on and finishes.
            runs = _finished_retraining_runs(dagster_ui)
            assert [r["status"] for r in runs] == ["SUCCESS"] * len(runs), runs
            page.goto(f"{base}/runs/{runs[0]['runId']}")
            page.get_by_text(k.RETRAIN_JOB).first.wait_for()
            page.get_by_text("Success").first.wait_for()
            page.wait_for_timeout(1500)
            _shot(page, "retraining_run.png")

            report = paths.home / "reports" / MODEL / f"{DRIFT_DAY}.html"
            page.goto(report.as_uri())
            for section in ("verdict", "quality", "drift", "performance", "health"):
                assert page.locator(f"section#{section}").count() == 1, section
            assert "monthly_charges" in page.locator("section#drift").inner_text()
            assert page.locator("section#drift svg.chart").count() >= 2
            page.set_viewport_size({"width": 1200, "height": 1600})
            _shot(page, "html_report.png")
        finally:
            browser.close()
