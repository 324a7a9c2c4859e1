"""The demo through the whole pipeline: quiet days pass the generated suites, the injected
events are caught where the manifest says they are, and nowhere else."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pytest

from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.demo.suites import write_demo_suites
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    paths, manifest = demo_home(tmp_path_factory.mktemp("demo"))
    write_demo_suites(paths, manifest)
    return paths, manifest


def _event(manifest, model, kind):
    return next(e for e in manifest["events"] if e["model"] == model and e["kind"] == kind)


def _metric(con, model, day, family, metric):
    row = con.execute(
        "SELECT value, status FROM metrics WHERE model = ? AND day = ? AND "
        "family = ? AND metric = ? AND subject = ''",
        [model, day, family, metric],
    ).fetchone()
    return row


def test_quiet_days_pass_every_expectation(demo):
    paths, manifest = demo
    first = date.fromisoformat(manifest["models"]["churn"]["first_day"])
    summary = run_days(
        paths,
        ["churn", "eta", "intent"],
        first,
        first + timedelta(days=2),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert {o.status for o in summary.outcomes} == {"ok"}, summary.outcomes
    con = connect(paths.database, read_only=True)
    failed = con.execute(
        "SELECT model, day, expectation_id FROM quality_results WHERE NOT success"
    ).fetchall()
    assert failed == []
    alerts = con.execute(
        "SELECT model, day, family, metric FROM metrics WHERE status <> 'ok' "
        "AND family IN ('quality', 'health', 'ingestion')"
    ).fetchall()
    assert alerts == []
    con.close()


def test_the_broken_upstream_day_is_blocked_and_explained(demo):
    paths, manifest = demo
    broken = date.fromisoformat(_event(manifest, "churn", "broken_day")["first_day"])
    instance = dg.DagsterInstance.ephemeral()
    summary = run_days(paths, ["churn"], broken - timedelta(days=1), broken, instance=instance)
    assert [o.status for o in summary.outcomes] == ["ok", "blocked"]
    message = summary.outcomes[1].message
    for column in ("monthly_charges", "usage_gb", "discount_pct"):
        assert column in message, message
    con = connect(paths.database, read_only=True)
    changes = set(
        con.execute(
            'SELECT "column", change FROM schema_changes WHERE day = ?', [broken]
        ).fetchall()
    )
    assert changes == {("monthly_charges", "missing"), ("monthly_charge", "new")}
    assert _metric(con, "churn", broken, "quality", "critical_failures")[1] == "alert"
    con.close()


def test_missing_day_and_volume_drop_are_health_alerts(demo):
    paths, manifest = demo
    missing = date.fromisoformat(_event(manifest, "intent", "missing_day")["first_day"])
    drop = date.fromisoformat(_event(manifest, "eta", "volume_drop")["first_day"])
    instance = dg.DagsterInstance.ephemeral()
    s1 = run_days(paths, ["intent"], missing - timedelta(days=2), missing, instance=instance)
    assert [o.status for o in s1.outcomes] == ["ok", "ok", "blocked"]  # no rows to monitor
    s2 = run_days(paths, ["eta"], drop - timedelta(days=5), drop, instance=instance)
    assert [o.status for o in s2.outcomes] == ["ok"] * 6  # a warning does not block
    con = connect(paths.database, read_only=True)
    assert _metric(con, "intent", missing, "health", "rows") == (0, "alert")
    assert _metric(con, "intent", missing, "health", "missing_days")[1] == "alert"
    ratio, status = _metric(con, "eta", drop, "health", "volume_ratio")
    assert 0.2 < ratio < 0.45 and status == "alert"
    assert _metric(con, "eta", drop, "quality", "warning_failures")[1] == "warn"
    assert _metric(con, "eta", drop - timedelta(days=1), "health", "volume_ratio")[1] == "ok"
    con.close()
