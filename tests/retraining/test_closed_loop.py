"""The closed loop through Dagster on the intent demo: the drift breach's verdicts tick the
retraining sensor, the retraining job runs, a challenger is promoted, the demo's serving
step scores the following days with it, and on those days it beats the old champion on the
very same rows."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from monitoring_pipelines.alerts.notifier import read_alerts
from monitoring_pipelines.config import load_model_configs
from monitoring_pipelines.demo import demo_home
from monitoring_pipelines.demo.serve import DemoServing
from monitoring_pipelines.retraining import registry
from monitoring_pipelines.runner import run_days
from monitoring_pipelines.store.connection import connect


def test_drift_breach_retrains_promotes_and_recovers(tmp_path, monkeypatch):
    import monitoring_pipelines.runner as runner
    from monitoring_pipelines.store.derived import release_caches

    released = []
    monkeypatch.setattr(runner, "release_caches", lambda: (released.append(1), release_caches())[1])
    paths, manifest = demo_home(tmp_path, models=["intent"], days=30, rows_per_day=600)
    cfgs = load_model_configs(paths.config_dir)
    end = dt.date.fromisoformat(manifest["end_day"])
    (launch,) = [e for e in manifest["events"] if e["kind"] == "covariate_drift"]
    onset = dt.date.fromisoformat(launch["first_day"])
    start = onset - dt.timedelta(days=4)
    serving = DemoServing(paths, cfgs, end)
    summary = run_days(
        paths,
        ["intent"],
        start,
        end,
        instance=dg.DagsterInstance.ephemeral(),
        retrain=True,
        on_retrained=serving.on_retrained,
    )
    assert summary.count("failed") == 0, summary.outcomes
    assert len(released) == len(summary.retrainings) > 0  # caches dropped before each
    # the first retraining starts on the onset day, by the sensor
    first = summary.retrainings[0]
    assert (first.model, first.day, first.status) == ("intent", onset, "ok")
    assert "drift" in first.breach
    promoted = [r for r in summary.retrainings if r.promoted]
    assert promoted, [r.reason for r in summary.retrainings]
    # retrainings respect the cool-down (data days)
    days = [r.day for r in summary.retrainings]
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    assert all(g >= cfgs["intent"].retraining.cooldown_days for g in gaps)

    (rec,) = serving.recoveries()[:1]
    assert rec.rows > 200
    assert rec.new_champion > rec.old_champion, rec.text()

    con = connect(paths.database, read_only=True)
    try:
        champion = registry.champion(con, "intent")
        assert champion["version"] == promoted[-1].version
        # the reference was refit for the promoted version
        (version,) = con.execute("SELECT DISTINCT model_version FROM reference__intent").fetchone()
        assert version == champion["version"]
        verdicts = con.execute(
            "SELECT day, value FROM metrics WHERE model = 'intent' AND family = 'verdict' "
            "AND metric = 'health' ORDER BY day"
        ).fetchall()
    finally:
        con.close()
    assert dict(verdicts)[onset] == 2.0  # critical on the onset day
    # one alert when the drift breach opened, not one per day
    drift_alerts = [
        a for a in read_alerts(paths.home / "data" / "alerts.jsonl") if a.get("breach") == "drift"
    ]
    assert [a["event"] for a in drift_alerts].count("opened") == 1
