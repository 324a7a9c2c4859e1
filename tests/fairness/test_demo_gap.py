"""The demo's fairness gap (churn, 18-25 year olds churn more from its first day on, unseen by
the model) alerts on its first day and on no day before it."""

from __future__ import annotations

from datetime import date

import pytest

from monitoring_pipelines.fairness import breaches, fairness_figures, fairness_metrics
from monitoring_pipelines.fairness.data import fairness_rows
from tests.fairness.conftest import demo_store

ROWS_PER_DAY = 2000  # the small demo's 400 a day leave 18-25 with ~15 churners a day


@pytest.fixture(scope="module")
def churn(tmp_path_factory):
    con, cfgs, manifest, days = demo_store(
        tmp_path_factory.mktemp("churn"), ["churn"], ROWS_PER_DAY
    )
    event = next(e for e in manifest["events"] if e["kind"] == "fairness_gap")
    onset = date.fromisoformat(event["first_day"])
    cfg = cfgs["churn"]
    by_day = {}
    for d in days:
        if d > onset:
            break
        figures = fairness_figures(cfg, fairness_rows(con, cfg, d, d))
        by_day[d] = (figures, fairness_metrics(cfg, figures))
    yield cfg, event, onset, by_day
    con.close()


def test_the_gap_alerts_on_its_onset_day(churn):
    cfg, event, onset, by_day = churn
    group = f"{event['group']['column']}={event['group']['value']}"
    figures, metrics = by_day[onset]
    assert next(m for m in metrics if m.metric == "label_coverage" and not m.subject).value > 0.8
    alerts = [m for m in metrics if m.status == "alert"]
    assert {m.subject for m in alerts} == {event["group"]["column"]}
    assert "accuracy_difference" in {m.metric for m in alerts}
    eo = next(m for m in metrics if m.metric == "eo_difference" and m.subject == "age_band")
    assert eo.status in ("warn", "alert")  # recall drops for 18-25 (TPR gap about 0.14)
    found = breaches(cfg, figures)
    assert found[0].status == "alert" and found[0].low_group == group  # 18-25 fare worst
    acc = {m.subject: m.value for m in metrics if m.metric == "accuracy"}
    assert acc[group] == min(acc.values())


def test_no_alert_before_the_onset(churn):
    _, _, onset, by_day = churn
    before = [d for d in by_day if d < onset]
    assert len(before) >= 10
    for d in before:
        alerts = [(m.metric, m.subject) for m in by_day[d][1] if m.status == "alert"]
        assert alerts == [], (d, alerts)
