"""The Prometheus export: parsed back with prometheus_client, every sample compared with the
metrics table it came from."""

from __future__ import annotations

import os
import urllib.request
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from monitoring_pipelines.cli import main
from monitoring_pipelines.export.prometheus import (
    STATUS_VALUE,
    escape_label,
    exposition,
    make_server,
    metric_name,
    serve_in_thread,
    write_textfile,
)
from monitoring_pipelines.paths import ProjectPaths
from tests.ui.conftest import HOSTILE, LAST, write_store


def _samples(text: str) -> dict[tuple, float]:
    """(name, model, subject, day) -> value of every parsed sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        for s in family.samples:
            key = (s.name, s.labels["model"], s.labels["subject"], s.labels["day"])
            assert key not in out
            out[key] = s.value
    return out


def _expected(con, days: int) -> dict[tuple, float]:
    """The same figures computed independently from the table."""
    rows = con.execute(
        "SELECT model, day, family, metric, subject, value, lower, upper, status FROM metrics "
        "WHERE day > (SELECT max(day) FROM metrics) - ?::INTEGER",
        [days],
    ).fetchall()
    out = {}
    for model, day, family, metric, subject, value, lower, upper, status in rows:
        for suffix, v in [("", value), ("lower", lower), ("upper", upper)]:
            if v is not None:
                out[(metric_name(family, metric, suffix), model, subject, str(day))] = v
        out[(metric_name(family, metric, "status"), model, subject, str(day))] = STATUS_VALUE[
            status
        ]
    return out


def test_export_parses_and_matches_the_table(store):
    for days in (1, 3):
        text = exposition(store, days=days)
        parsed = _samples(text)
        assert parsed == _expected(store, days)
        assert {k[3] for k in parsed} == {str(LAST - timedelta(days=i)) for i in range(days)}
    assert parsed[("monitoring_verdict_health", "m", "", str(LAST))] == 2.0
    assert parsed[("monitoring_drift_drift_effect_status", "m", "f0", str(LAST))] == 2.0
    assert ("monitoring_my_custom_family_score_mean", "m", "", str(LAST)) in parsed


def test_names_are_sanitized_and_labels_escaped(store):
    assert metric_name("my-custom.family", "score/mean") == "monitoring_my_custom_family_score_mean"
    assert metric_name("drift", "psi", "status") == "monitoring_drift_psi_status"
    assert escape_label(HOSTILE) == 'a \\"quoted\\" \\\\ back\\nslash'
    parsed = _samples(exposition(store, days=1))
    assert parsed[("monitoring_review_backlog", "m", HOSTILE, str(LAST))] == 120.0


def test_textfile_is_replaced_atomically(store, tmp_path):
    target = tmp_path / "textfile" / "monitoring.prom"
    write_textfile(target, "old 1\n")
    text = exposition(store, days=1)
    write_textfile(target, text)
    assert target.read_text() == text
    assert os.listdir(target.parent) == ["monitoring.prom"]  # no temporary file left


def test_http_endpoint_serves_the_export_locally(store):
    server = make_server(lambda: exposition(store, days=1), port=0)
    serve_in_thread(server)
    try:
        host, port = server.server_address
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            assert r.read().decode() == exposition(store, days=1)
    finally:
        server.shutdown()
        server.server_close()


def test_cli_export_metrics(tmp_path):
    paths = ProjectPaths.at(tmp_path)
    write_store(paths.database, days=2).close()
    out = tmp_path / "node" / "monitoring.prom"
    assert main(["--home", str(tmp_path), "export-metrics", "--out", str(out), "--days", "2"]) == 0
    assert len({k[3] for k in _samples(out.read_text())}) == 2
