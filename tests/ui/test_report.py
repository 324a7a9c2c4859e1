"""The HTML report and the metadata charts, on a metrics table written through the store."""

from __future__ import annotations

import base64
import re
import sys
from datetime import timedelta
from html import unescape
from xml.etree import ElementTree

import pytest

from monitoring_pipelines.cli import main
from monitoring_pipelines.paths import ProjectPaths
from monitoring_pipelines.report.daily import daily_report, overview_report
from monitoring_pipelines.report.metadata import (
    drift_chart,
    markdown_image,
    performance_chart,
    standalone,
)
from monitoring_pipelines.store.connection import connect
from monitoring_pipelines.store.metrics import Metric, replace_metrics
from monitoring_pipelines.store.schema import ensure_shared_tables
from tests.ui.conftest import HOSTILE, LAST, write_store

SVG = re.compile(r"<svg .*?</svg>", re.S)


def _charts(html: str) -> list[ElementTree.Element]:
    """Every inline SVG chart of ``html``, parsed as XML (so each is well formed)."""
    charts = [ElementTree.fromstring(s) for s in SVG.findall(html)]
    assert all(c.get("class") == "chart" and c.find("title").text for c in charts)
    return charts


def _section(html: str, anchor: str) -> str:
    start = html.index(f'<section id="{anchor}"')
    return html[start : html.index("</section>", start)]


@pytest.fixture(scope="module")
def html(store) -> str:
    """The report of the last day (built once: charts take a while on a busy machine)."""
    return daily_report(store, "m", LAST)


def test_verdict_and_ranked_causes_come_first(store, html):
    sections = re.findall(r'<section id="([^"]+)"', html)
    assert sections[0] == "verdict"
    verdict = _section(html, "verdict")
    assert "critical" in verdict
    causes = store.execute(
        "SELECT subject FROM metrics WHERE model='m' AND day=? AND family='verdict' "
        "AND metric='cause' ORDER BY value DESC",
        [LAST],
    ).fetchall()
    names = [s.split(":", 1)[1] for (s,) in causes]
    positions = [verdict.index(f"<td>{n}</td>") for n in names]
    assert positions == sorted(positions) and len(names) == 3


def test_overview_lists_each_days_verdict_and_top_causes(store):
    first = LAST - timedelta(days=29)
    table = _section(overview_report(store, "m", first, LAST), "verdict")
    rows = re.findall(r'<a href="([\d-]+)\.html">.*?badge (\w+).*?</td><td>(.*?)</td></tr>', table)
    assert rows and [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
    for day, _, causes in rows:
        top = store.execute(  # an independent ranking: by value, ties by name
            "SELECT subject FROM metrics WHERE model='m' AND day=? AND family='verdict' "
            "AND metric='cause' ORDER BY value DESC, subject LIMIT 3",
            [day],
        ).fetchall()
        assert unescape(causes) == ", ".join(s for (s,) in top), day
    levels = {r[1] for r in rows}
    assert "critical" in levels and "none" in levels  # days with and without a verdict


def test_no_verdict_says_so(store):
    html = daily_report(store, "m", LAST - timedelta(days=8))  # before the verdict rows
    assert "no verdict computed" in _section(html, "verdict")


def test_drifted_features_are_the_alerting_ones(store, html):
    drifted = {
        s
        for (s,) in store.execute(
            "SELECT subject FROM metrics WHERE model='m' AND day=? AND family='drift' "
            "AND metric='drift_effect' AND status <> 'ok'",
            [LAST],
        ).fetchall()
    }
    line = re.search(r"Drifted features: (.*?)</p>", _section(html, "drift")).group(1)
    assert set(re.findall(r"<b>([^<]+)</b>", line)) == drifted == {"f0"}


def test_every_family_has_its_section_and_subjects_are_escaped(html):
    for anchor, subject in [
        ("fairness", "age_band=18-25"),
        ("segment", "city=lyon"),
        ("slices", "plan=basic &amp; region=north"),
        ("outliers", "outlier_rate"),
        ("review", "queue_rate"),
        ("health", "latency_p99_ms"),
        ("performance", "roc_auc"),
        ("quality", "expect_x_between"),
    ]:
        assert subject in _section(html, anchor), anchor
    assert "my-custom.family" in _section(html, "other")
    assert HOSTILE not in html and unescape(HOSTILE.replace("\n", " ")) not in html
    assert "&quot;quoted&quot;" in html


def test_missing_families_do_not_fail(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    ensure_shared_tables(con)
    replace_metrics(con, model="m", day=LAST, family="health", metrics=[Metric("rows", 5.0)])
    html = daily_report(con, "m", LAST)
    assert "no verdict computed" in html
    for family in ("drift", "fairness", "outliers", "review"):
        assert f"no '{family}' figures for this day" in html
    assert "Service health" in html
    assert overview_report(con, "m", LAST - timedelta(days=3), LAST).startswith("<!DOCTYPE")


def test_report_is_self_contained_and_small_at_scale(tmp_path):
    """A day of a million rows with 200 features: the report reads aggregated metrics only,
    stays under 2 MB and holds no URL."""
    con = write_store(tmp_path / "big.duckdb", days=30, features=200)
    html = daily_report(con, "m", LAST)
    overview = overview_report(con, "m", LAST - timedelta(days=29), LAST)
    con.close()
    for page in (html, overview):
        assert len(page.encode()) < 2_000_000
        assert not re.search(r"https?://", page)
        assert "<img" not in page and "xmlns" not in page  # charts are inline SVG
        hrefs = re.findall(r'href="([^"]*)"', page)
        assert all(re.fullmatch(r"#\w+|\d{4}-\d\d-\d\d\.html", h) for h in hrefs), hrefs
        charts = _charts(page)
        assert len(charts) >= 3 and all(len(c) > 5 for c in charts)
    assert "1e+06" in _section(html, "health")  # the day's volume, from the metrics table


def test_metadata_charts_are_small_standalone_svg(store):
    """The Dagster metadata charts: standalone SVG documents (the namespace an image file
    needs), small, drawing the stored figures, inlined as a markdown image."""
    drift = drift_chart(store, "m", LAST)
    perf = performance_chart(store, "m", LAST, ["roc_auc", "accuracy"])
    for chart in (drift, perf):
        doc = ElementTree.fromstring(standalone(chart))
        assert doc.tag == "{http://www.w3.org/2000/svg}svg" and len(chart) < 40_000
        assert doc.find("{http://www.w3.org/2000/svg}title").text
    assert "drift effect by feature" in drift and "roc_auc: realized vs estimated" in perf
    prefix = "![drift](data:image/svg+xml;base64,"
    md = markdown_image(drift, "drift")
    assert md.startswith(prefix) and md.endswith(")")
    assert base64.b64decode(md[len(prefix) : -1]).decode() == standalone(drift)
    assert "matplotlib" not in sys.modules  # a day's run no longer loads it
    assert performance_chart(store, "m", LAST, ["nonexistent"]) is None


def test_metadata_charts_read_only_their_metrics_and_draw_the_same(store, monkeypatch):
    """The charts ask the store for the metrics they draw only; drawn from every metric of
    their families, as before, they are the same documents."""
    from monitoring_pipelines.report import data, metadata

    asked = []
    real = data.load_metrics

    def every_metric(con, model, first, last, families=None, metrics=None):
        asked.append(metrics)
        return real(con, model, first, last, families)

    narrow = (
        drift_chart(store, "m", LAST),
        performance_chart(store, "m", LAST, ["roc_auc", "accuracy"]),
    )
    monkeypatch.setattr(metadata, "load_metrics", every_metric)
    wide = (
        drift_chart(store, "m", LAST),
        performance_chart(store, "m", LAST, ["roc_auc", "accuracy"]),
    )
    assert asked == [["drift_effect"], ["roc_auc", "accuracy"]]
    assert narrow == wide and all(narrow)


def test_load_metrics_by_metric(store):
    from monitoring_pipelines.report.data import load_metrics

    first = LAST - timedelta(days=3)
    every = load_metrics(store, "m", first, LAST, ["drift"])
    some = load_metrics(store, "m", first, LAST, ["drift"], ["drift_effect", "psi"])
    want = every[every.metric.isin(["drift_effect", "psi"])].reset_index(drop=True)
    assert len(some) > 0 and len(some) < len(every)
    assert (
        some.sort_values(["day", "metric", "subject"])
        .reset_index(drop=True)
        .equals(want.sort_values(["day", "metric", "subject"]).reset_index(drop=True))
    )
    assert load_metrics(store, "m", first, LAST, None, []).empty


def test_cli_writes_the_report_and_overview(tmp_path):
    paths = ProjectPaths.at(tmp_path)
    write_store(paths.database, days=3).close()
    assert main(["--home", str(tmp_path), "report", "m", str(LAST)]) == 0
    path = tmp_path / "reports" / "m" / f"{LAST}.html"
    assert 'id="verdict"' in path.read_text()
    assert f'href="{LAST}.html"' in (path.parent / "index.html").read_text()
    assert main(["--home", str(tmp_path), "report", "m", "not-a-day"]) == 2


def _undated(html: str) -> str:
    return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d", "generated <stamp>", html)


@pytest.mark.parametrize("history_days", [4, 30])
def test_reports_written_from_one_read_equal_the_pages_each_reads_itself(
    store, tmp_path, history_days
):
    from monitoring_pipelines.report.daily import write_reports

    page, overview = write_reports(store, tmp_path, "m", LAST, history_days=history_days)
    alone = daily_report(store, "m", LAST, history_days)
    assert _undated(page.read_text()) == _undated(alone)
    first = LAST - timedelta(days=max(history_days, 60) - 1)
    assert _undated(overview.read_text()) == _undated(overview_report(store, "m", first, LAST))
    if history_days == 4:  # the store's 10 days: the daily page shows only its 4
        assert alone != daily_report(store, "m", LAST, 10)
