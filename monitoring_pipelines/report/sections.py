"""The sections of a daily report, each built from the metric rows of its family. A family
absent from the store gives a one-line note, never an error."""

from __future__ import annotations

from datetime import date

import pandas as pd

from monitoring_pipelines.report import svg
from monitoring_pipelines.report.data import SEVERITY, headline_series, worst_status
from monitoring_pipelines.report.html import HEALTH_LABELS, badge, fmt, section, table

# Vital signs in report order: family -> (anchor, title). Families not listed go to "other".
VITAL_SIGNS = {
    "quality": "Data quality",
    "drift": "Drift",
    "performance": "Performance",
    "segment": "Segments",
    "slices": "Worst slices",
    "fairness": "Fairness by group",
    "outliers": "Outliers",
    "review": "Review queue",
    "health": "Service health",
}
PERFORMANCE_FAMILIES = {"performance", "estimated_performance"}
PREFERRED = ["roc_auc", "accuracy", "f1", "macro_f1", "precision", "recall", "mae", "rmse"]
NOT_FEATURES = ("output:", "target:")
TOP = 12
DETAIL = ["metric", "subject", "value", "lower", "upper", "status"]


def _by_severity(rows: pd.DataFrame) -> pd.DataFrame:
    rank = rows["status"].map(SEVERITY).fillna(0)
    return rows.assign(_rank=rank).sort_values(
        ["_rank", "metric", "subject"], ascending=[False, True, True]
    )


def _status(rows: pd.DataFrame) -> str | None:
    return worst_status(rows["status"]) if not rows.empty else None


def verdict(history: pd.DataFrame, day: date) -> str:
    """The health verdict and its ranked causes, or 'no verdict computed'."""
    rows = history[(history.family == "verdict") & (history.day == day)]
    health = rows[(rows.metric == "health") & (rows.subject == "")]
    if health.empty or pd.isna(health["value"].iloc[0]):
        return section("verdict", "Health verdict", "<p><b>no verdict computed</b></p>", "none")
    level = HEALTH_LABELS.get(int(health["value"].iloc[0]), "unknown")
    causes = rows[rows.metric == "cause"].sort_values("value", ascending=False)
    parts = causes["subject"].str.split(":", n=1, expand=True)
    causes = causes.assign(
        rank=range(1, len(causes) + 1),
        kind=parts[0] if not causes.empty else [],
        name=parts[1] if not causes.empty and parts.shape[1] > 1 else "",
        weight=causes["value"],
    )
    body = f"<p>{badge(level, level, 'verdict')}</p><h3>Causes, most to blame first</h3>"
    body += table(causes, ["rank", "kind", "name", "weight", "status"], limit=TOP)
    series = headline_series(history, "verdict", "health")
    if len(series) > 1:
        body += svg.lines_over_days(
            {"health (0 ok, 1 warning, 2 critical)": series}, title="health verdict over days"
        )
    return section("verdict", "Health verdict", body, level)


def _headline_charts(fam: pd.DataFrame, metrics: list[str], title: str) -> str:
    series = {m: headline_series(fam, fam["family"].iloc[0], m) for m in metrics}
    series = {m: s for m, s in series.items() if s["value"].notna().any()}
    if not series:
        return ""
    return svg.lines_over_days(series, title=title)


def quality(history: pd.DataFrame, day: date) -> str | None:
    fam = history[history.family == "quality"]
    today = fam[fam.day == day]
    if today.empty:
        return None
    heads = today[today.subject == ""]
    failing = today[(today.subject != "") & (today.status != "ok")]
    body = table(heads, ["metric", "value", "status"])
    body += "<h3>Failed expectations</h3>" + table(_by_severity(failing), DETAIL, limit=TOP)
    body += _headline_charts(fam, ["success_share"], "share of expectations met")
    return section("quality", VITAL_SIGNS["quality"], body, _status(today))


def _feature_effects(fam: pd.DataFrame) -> pd.DataFrame:
    rows = fam[(fam.metric == "drift_effect") & (fam.subject != "")]
    return rows[~rows.subject.str.startswith(NOT_FEATURES) & (rows.subject != "concept")]


def drift(history: pd.DataFrame, day: date) -> str | None:
    fam = history[history.family == "drift"]
    today = fam[fam.day == day]
    if today.empty:
        return None
    effects = _feature_effects(today)
    extra = today[today.metric.isin(["weighted_drift", "importance", "psi", "p_value_adjusted"])]
    wide = extra.pivot_table(index="subject", columns="metric", values="value", aggfunc="first")
    ranked = effects.rename(columns={"value": "drift_effect", "subject": "feature"}).merge(
        wide, left_on="feature", right_index=True, how="left"
    )
    ranked = ranked.assign(_rank=ranked["status"].map(SEVERITY)).sort_values(
        ["_rank", "drift_effect"], ascending=False
    )
    cols = ["feature", "drift_effect"] + [
        c for c in ["weighted_drift", "importance", "psi", "p_value_adjusted"] if c in ranked
    ]
    drifted = ranked[ranked.status != "ok"]["feature"].tolist()
    body = (
        "<p>Drifted features: "
        + (", ".join(f"<b>{fmt(f)}</b>" for f in drifted) if drifted else "none")
        + "</p>"
    )
    heads = today[(today.subject == "") & ~today.metric.str.startswith("window_")]
    body += table(heads, ["metric", "value", "status"])
    body += "<h3>Most drifted features</h3>" + table(ranked, cols + ["status"], limit=TOP)
    if not ranked.empty:
        top = ranked.head(TOP)
        body += svg.bars(
            top["feature"].tolist(),
            top["drift_effect"].astype(float).tolist(),
            top["status"].tolist(),
            title=f"drift effect by feature on {day}",
        )
        matrix = drift_matrix(fam)
        if matrix.shape[1] > 1:
            body += svg.heatmap(
                matrix,
                title="drift effect by feature over days (>= 1: alert)",
                threshold=1.0,
                vmax=3.0,
            )
    body += _headline_charts(fam, ["drifted_share", "warned_share"], "share of features drifted")
    outputs = today[(today.metric == "drift_effect") & today.subject.str.startswith(NOT_FEATURES)]
    if not outputs.empty:
        body += "<h3>Outputs and labels</h3>" + table(_by_severity(outputs), DETAIL)
    return section("drift", VITAL_SIGNS["drift"], body, _status(today))


def drift_matrix(fam: pd.DataFrame, top: int = TOP) -> pd.DataFrame:
    """Features × days of ``drift_effect``, the ``top`` features with the largest effect."""
    effects = _feature_effects(fam)
    if effects.empty:
        return pd.DataFrame()
    matrix = effects.pivot_table(index="subject", columns="day", values="value", aggfunc="first")
    order = matrix.max(axis=1).sort_values(ascending=False).index[:top]
    return matrix.loc[order]


def performance_metrics(history: pd.DataFrame, limit: int = 4) -> list[str]:
    """Headline metrics present in realized or estimated performance, preferred ones first."""
    heads = history[history.family.isin(PERFORMANCE_FAMILIES) & (history.subject == "")]
    present = set(heads["metric"]) - {"rows", "coverage", "labelled_rows"}
    return [m for m in PREFERRED if m in present][:limit] or sorted(present)[:limit]


def performance(history: pd.DataFrame, day: date) -> str | None:
    fam = history[history.family.isin(PERFORMANCE_FAMILIES)]
    today = fam[fam.day == day]
    if today.empty:
        return None
    heads = today[today.subject == ""]
    est = heads[heads.family == "estimated_performance"].set_index("metric")
    real = heads[heads.family == "performance"].set_index("metric")
    names = [m for m in PREFERRED if m in set(est.index) | set(real.index)]
    names += sorted((set(est.index) | set(real.index)) - set(names))
    rows = []
    for m in names:
        e = est.loc[m] if m in est.index else None
        r = real.loc[m] if m in real.index else None
        rows.append(
            {
                "metric": m,
                "estimated": None if e is None else e["value"],
                "band": "" if e is None else f"{fmt(e['lower'])} – {fmt(e['upper'])}",
                "realized": None if r is None else r["value"],
                "interval": "" if r is None else f"{fmt(r['lower'])} – {fmt(r['upper'])}",
                "status": worst_status([x["status"] for x in (e, r) if x is not None]),
            }
        )
    body = table(
        pd.DataFrame(rows), ["metric", "estimated", "band", "realized", "interval", "status"]
    )
    for m in performance_metrics(history):
        e = headline_series(history, "estimated_performance", m)
        r = headline_series(history, "performance", m)
        r = r[r["value"].notna()]
        if e.empty and r.empty:
            continue
        body += svg.realized_vs_estimated(e, r, metric=m)
    return section("performance", VITAL_SIGNS["performance"], body, _status(today))


def health(history: pd.DataFrame, day: date) -> str | None:
    fam = history[history.family == "health"]
    today = fam[fam.day == day]
    if today.empty:
        return None
    body = table(_by_severity(today), DETAIL)
    body += _headline_charts(fam, ["rows", "expected_rows"], "volume: rows vs expected")
    body += _headline_charts(
        fam, ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"], "latency (ms)"
    )
    body += _headline_charts(fam, ["failed_rate"], "failed predictions (share)")
    return section("health", VITAL_SIGNS["health"], body, _status(today))


def generic(history: pd.DataFrame, day: date, family: str, title: str) -> str | None:
    """Any family: the day's figures (worst first), up to four headline metrics over days,
    and the subjects of its most-flagged metric as bars (groups, slices, segments)."""
    fam = history[history.family == family]
    today = fam[fam.day == day]
    if today.empty:
        return None
    body = table(_by_severity(today), DETAIL, limit=TOP * 2)
    heads = today[(today.subject == "") & today.value.notna()]
    flagged = heads.assign(_r=heads.status.map(SEVERITY)).sort_values("_r", ascending=False)
    for m in list(dict.fromkeys(flagged["metric"]))[:4]:
        body += _headline_charts(fam, [m], f"{family}: {m} over days")
    subjects = today[(today.subject != "") & today.value.notna()]
    if not subjects.empty:
        flags = subjects.assign(_bad=subjects.status != "ok").groupby("metric")["_bad"].sum()
        metric = flags.sort_values(ascending=False).index[0]
        rows = subjects[subjects.metric == metric]
        rows = rows.reindex(rows["value"].abs().sort_values(ascending=False).index).head(TOP)
        body += svg.bars(
            rows["subject"].tolist(),
            rows["value"].astype(float).tolist(),
            rows["status"].tolist(),
            title=f"{family}: {metric} by subject",
        )
    return section(family, title, body, _status(today))


def missing(family: str, title: str) -> str:
    return section(family, title, f"<p class=\"muted\">no '{family}' figures for this day</p>")


def other(history: pd.DataFrame, day: date, families: list[str]) -> str | None:
    """Every remaining family as a collapsed table of the day's figures."""
    today = history[(history.day == day) & history.family.isin(families)]
    if today.empty:
        return None
    body = ""
    for family, rows in today.groupby("family", sort=True):
        body += (
            f"<details><summary>{fmt(family)} {badge(worst_status(rows.status))} "
            f"({len(rows)} figures)</summary>{table(_by_severity(rows), DETAIL)}</details>"
        )
    return section("other", "Other figures", body)
