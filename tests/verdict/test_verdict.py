"""The verdict: levels, ranking by importance-weighted drift and segment contribution, and
alerts on breach episodes (one when a breach starts, one when it ends)."""

from __future__ import annotations

import http.server
import json
import threading
from datetime import date, timedelta

import pandas as pd

from monitoring_pipelines.alerts.episodes import update_episodes
from monitoring_pipelines.alerts.notifier import Notifier, read_alerts
from monitoring_pipelines.config.verdict import VerdictSettings
from monitoring_pipelines.store.connection import connect, transaction
from monitoring_pipelines.verdict.verdict import judge

COLS = ["family", "metric", "subject", "value", "lower", "upper", "status"]


def frame(rows):
    return pd.DataFrame(rows, columns=COLS)


def test_a_clean_day_is_ok():
    v = judge(frame([("drift", "drifted_share", "", 0.0, None, 0.0, "ok")]), VerdictSettings())
    assert v.level == "ok" and v.causes == [] and v.code == 0
    assert [m.metric for m in v.metrics()] == ["health", "causes"]


def test_drifted_features_rank_by_importance_weighted_drift():
    rows = [
        # a large drift in an ignored feature, a smaller one in a feature the model relies on
        ("drift", "drift_effect", "noise", 5.0, None, 1.0, "alert"),
        ("drift", "weighted_drift", "noise", 0.05, None, None, "ok"),
        ("drift", "drift_effect", "price", 2.0, None, 1.0, "alert"),
        ("drift", "weighted_drift", "price", 0.60, None, None, "ok"),
        ("drift", "drift_effect", "calls", 1.5, None, 1.0, "warn"),
        ("drift", "weighted_drift", "calls", 0.90, None, None, "ok"),
    ]
    v = judge(frame(rows), VerdictSettings())
    assert v.level == "critical"
    assert [c.subject for c in v.causes] == ["drift:price", "drift:noise", "drift:calls"]
    # alerts before warnings, whatever the magnitude; weight = 2 x severity + tier + magnitude
    assert v.causes[0].weight == 5.6 and v.causes[2].weight == 3.9
    assert v.breaches() == ["drift"]


def test_segments_rank_by_contribution_and_kinds_decide_the_level():
    rows = [
        # lyon: 20 % of rows, 1.5x the whole's loss; paris: 60 % of rows, 1.1x
        ("segment", "gap", "city=lyon", 9.0, None, 5.0, "alert"),
        ("segment", "relative_gap", "city=lyon", 0.5, None, None, "ok"),
        ("segment", "rows", "city=lyon", 200, None, None, "ok"),
        ("segment", "gap", "city=paris", 6.0, None, 5.0, "alert"),
        ("segment", "relative_gap", "city=paris", 0.1, None, None, "ok"),
        ("segment", "rows", "city=paris", 600, None, None, "ok"),
        ("segment", "rows", "city=nice", 200, None, None, "ok"),
        ("review", "queue_rate", "", 1.4, None, 1.0, "alert"),
    ]
    v = judge(frame(rows), VerdictSettings())
    assert [c.subject for c in v.causes][:2] == ["segment:city=lyon", "segment:city=paris"]
    # contribution = share of rows x relative gap: 0.2 x 0.5 and 0.6 x 0.1
    assert v.causes[0].weight == 5.1 and abs(v.causes[1].weight - 5.06) < 1e-9
    assert v.level == "critical"
    # review alerts alone are not critical by default (not in critical_kinds)
    only_review = judge(frame(rows[-1:]), VerdictSettings())
    assert only_review.level == "warning" and only_review.breaches() == ["review"]


def test_performance_causes_weigh_by_distance_past_the_band():
    rows = [
        ("performance", "roc_auc", "", 0.70, 0.80, None, "alert"),  # 12.5 % below
        ("estimated_performance", "roc_auc", "", 0.78, 0.80, None, "alert"),  # 2.5 %
        ("labels", "label_coverage", "", 0.2, None, None, "warn"),
    ]
    v = judge(frame(rows), VerdictSettings())
    assert [c.kind for c in v.causes] == ["performance", "estimated_performance", "labels"]
    assert abs(v.causes[0].weight - 5.125) < 1e-9


def test_a_five_day_breach_gives_one_alert_and_one_resolution(tmp_path):
    con = connect(tmp_path / "store.duckdb")
    start = date(2026, 3, 1)
    events = []
    for i in range(8):
        day = start + timedelta(days=i)
        breaches = {"drift": "price drifted"} if 1 <= i <= 5 else {}
        with transaction(con):
            events += update_episodes(con, "m", day, breaches)
        with transaction(con):  # a re-run of the same day changes nothing
            assert update_episodes(con, "m", day, breaches) == []
    assert [(e.event, e.day) for e in events] == [
        ("opened", start + timedelta(days=1)),
        ("resolved", start + timedelta(days=6)),
    ]
    assert events[1].opened_day == start + timedelta(days=1)
    # another model's breach is its own episode
    with transaction(con):
        assert [e.event for e in update_episodes(con, "other", start, {"drift": "x"})] == ["opened"]


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((self.path, json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_requests_is_imported_only_to_post():
    """The notifier's HTTP client (60 ms to import) is loaded when an alert is posted, not
    by every process that loads the definitions."""
    from tests.fresh_interpreter import run_fresh

    out = run_fresh(
        "import sys\n"
        "import monitoring_pipelines.definitions, monitoring_pipelines.alerts.notifier\n"
        "print('requests' in sys.modules)"
    )
    assert out.stdout.strip() == "False"


def test_notifier_logs_and_posts_to_webhook_and_slack(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        n = Notifier(tmp_path / "alerts.jsonl", f"{url}/hook", f"{url}/slack")
        rec = n.send("breach", {"model": "m", "breach": "drift"}, "[m] drift breach started")
        bad = Notifier(tmp_path / "alerts.jsonl", "http://127.0.0.1:9/nothing", None, 0.5)
        bad.send("breach", {"model": "m"}, "undeliverable")
    finally:
        server.shutdown()
    assert rec["delivered"] == {"webhook": "ok", "slack": "ok"}
    paths = {p: body for p, body in _Hook.received}
    assert paths["/hook"]["model"] == "m" and paths["/hook"]["breach"] == "drift"
    assert paths["/slack"] == {"text": "[m] drift breach started"}
    log = read_alerts(tmp_path / "alerts.jsonl")
    assert [r["text"] for r in log] == ["[m] drift breach started", "undeliverable"]
    assert log[1]["delivered"]["webhook"].startswith("failed")
