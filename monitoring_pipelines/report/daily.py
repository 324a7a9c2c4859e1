"""The daily HTML report of one model, and the overview of a model over time."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from monitoring_pipelines.report import sections, svg
from monitoring_pipelines.report.data import SEVERITY, headline_series, load_metrics
from monitoring_pipelines.report.html import HEALTH_LABELS, badge, fmt, page, section

HISTORY_DAYS = 30
SPECIAL = {
    "quality": sections.quality,
    "drift": sections.drift,
    "performance": sections.performance,
    "health": sections.health,
}
SHOWN = set(sections.VITAL_SIGNS) | sections.PERFORMANCE_FAMILIES | {"verdict"}


def daily_report(
    con: duckdb.DuckDBPyConnection,
    model: str,
    day: date,
    history_days: int = HISTORY_DAYS,
    history: pd.DataFrame | None = None,
) -> str:
    """The HTML page of ``model`` on ``day``: the health verdict and its causes first, then
    each vital sign with its plots over the ``history_days`` ending on ``day``.
    ``history``: the model's metrics (:func:`load_metrics`) over a span that holds those
    days, when already read; only those days are used."""
    first = day - timedelta(days=history_days - 1)
    if history is None:
        history = load_metrics(con, model, first, day)
    else:  # the same rows in the same order as load_metrics(first, day) would give
        days = history["day"]
        history = history[(days >= first) & (days <= day)].reset_index(drop=True)
    parts = [("verdict", "Verdict", sections.verdict(history, day))]
    for family, title in sections.VITAL_SIGNS.items():
        build = SPECIAL.get(family)
        html = build(history, day) if build else sections.generic(history, day, family, title)
        parts.append((family, title, html or sections.missing(family, title)))
    rest = sorted(set(history.loc[history.day == day, "family"]) - SHOWN)
    other = sections.other(history, day, rest)
    if other:
        parts.append(("other", "Other", other))
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return page(
        f"{model} — {day}",
        f"daily monitoring report; history from {day - timedelta(days=history_days - 1)}; "
        f"generated {stamp} from the metrics table",
        parts,
    )


def overview_report(
    con: duckdb.DuckDBPyConnection,
    model: str,
    first: date,
    last: date,
    links: bool = True,
    history: pd.DataFrame | None = None,
) -> str:
    """The HTML page of ``model`` from ``first`` to ``last``: verdict per day, the worst
    status of each family per day, and the main vital signs over time. ``history``: the
    model's metrics from ``first`` to ``last`` (:func:`load_metrics`) when already read."""
    history = load_metrics(con, model, first, last) if history is None else history
    days = sorted(set(history["day"]))
    parts = []
    verdict = history[history.family == "verdict"]  # one pass over the history, not per day
    health = verdict[verdict.metric == "health"].drop_duplicates("day").set_index("day")["value"]
    causes = verdict[verdict.metric == "cause"].sort_values(  # ties: by name
        ["value", "subject"], ascending=[False, True], kind="stable"
    )
    top = causes.groupby("day")["subject"].apply(lambda s: ", ".join(s.head(3)))
    rows = []
    for d in reversed(days):
        v = health.get(d)
        level = HEALTH_LABELS.get(int(v), "?") if v is not None and pd.notna(v) else None
        name = f'<a href="{d}.html">{d}</a>' if links else str(d)
        rows.append(
            f"<tr><td>{name}</td><td>{badge(level or 'no verdict', level or 'none')}</td>"
            f"<td>{fmt(top.get(d, ''))}</td></tr>"
        )
    body = "<table><tr><th>day</th><th>verdict</th><th>top causes</th></tr>"
    body += "".join(rows) + "</table>"
    parts.append(("verdict", "Verdict", section("verdict", "Verdict by day", body)))
    if days:
        worst = history.assign(s=history.status.map(SEVERITY).fillna(0)).pivot_table(
            index="family", columns="day", values="s", aggfunc="max"
        )
        parts.append(
            (
                "status",
                "Status",
                section(
                    "status",
                    "Worst status per family (0 ok, 1 warn, 2 alert)",
                    svg.heatmap(worst, title="worst status by family"),
                ),
            )
        )
    body = ""
    for family, metrics, title in [
        ("drift", ["drifted_share", "warned_share"], "share of features drifted"),
        ("health", ["rows", "expected_rows"], "volume"),
        ("health", ["latency_p50_ms", "latency_p99_ms"], "latency (ms)"),
    ]:
        series = {m: headline_series(history, family, m) for m in metrics}
        series = {m: s for m, s in series.items() if not s.empty}
        if series:
            body += svg.lines_over_days(series, title=title)
    for m in sections.performance_metrics(history, limit=2):
        e = headline_series(history, "estimated_performance", m)
        r = headline_series(history, "performance", m)
        body += svg.realized_vs_estimated(e, r[r.value.notna()], metric=m)
    parts.append(("signs", "Vital signs", section("signs", "Vital signs over time", body)))
    return page(f"{model} — overview", f"{first} to {last}, {len(days)} days with figures", parts)


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is for reading
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def report_path(home: Path, model: str, day: date) -> Path:
    """``<home>/reports/<model>/<day>.html``."""
    return Path(home) / "reports" / model / f"{day}.html"


def write_reports(
    con: duckdb.DuckDBPyConnection,
    home: Path,
    model: str,
    day: date,
    out: Path | None = None,
    history_days: int = HISTORY_DAYS,
) -> tuple[Path, Path]:
    """Write the day's report (to ``out`` or :func:`report_path`) and refresh the model's
    overview ``index.html`` beside it; returns both paths. The metrics are read once, for
    the overview's span, which holds the daily report's."""
    first = day - timedelta(days=max(history_days, 60) - 1)
    history = load_metrics(con, model, first, day)
    path = write_atomic(
        Path(out) if out else report_path(home, model, day),
        daily_report(con, model, day, history_days, history=history),
    )
    overview = write_atomic(
        path.parent / "index.html", overview_report(con, model, first, day, history=history)
    )
    return path, overview
