"""HTML building blocks of the reports: escaped text, tables, sections (charts: ``svg.py``).
Everything is inline (CSS and images): the page makes no request to any server."""

from __future__ import annotations

from html import escape

import pandas as pd

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2933;
background:#f5f7fa}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:0 0 8px}
h3{font-size:14px;margin:14px 0 6px}
section{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:14px 18px;
margin:14px 0}
table{border-collapse:collapse;font-size:12px;margin:6px 0}
th,td{border-bottom:1px solid #e4e7eb;padding:3px 8px;text-align:left}
th{background:#f0f4f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
svg.chart{max-width:100%;height:auto;display:block;margin:6px 0;background:#fff}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;color:#fff}
.ok{background:#2e7d32}.warn,.warning{background:#f9a825;color:#1f2933}
.alert,.critical{background:#c62828}.none{background:#9aa5b1}
.muted{color:#616e7c;font-size:12px}nav a{margin-right:10px;font-size:13px}
.verdict{font-size:20px;padding:4px 14px}
"""

HEALTH_LABELS = {0: "ok", 1: "warning", 2: "critical"}


def badge(status: str, cls: str | None = None, extra: str = "") -> str:
    """A coloured status pill."""
    return f'<span class="badge {escape(cls or status)} {extra}">{escape(status)}</span>'


def fmt(value) -> str:
    """A number for a table cell (4 significant digits; blank when missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, int | float):
        return f"{value:.4g}"
    return escape(str(value))


def table(frame: pd.DataFrame, columns: list[str], *, limit: int | None = None) -> str:
    """An HTML table of ``columns``; a ``status`` column is drawn as a badge."""
    if frame.empty:
        return '<p class="muted">nothing to show</p>'
    rows = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for rec in rows[columns].to_dict("records"):
        cells = []
        for c in columns:
            v = rec[c]
            if c == "status" and isinstance(v, str):
                cells.append(f"<td>{badge(v)}</td>")
            elif isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(f'<td class="n">{fmt(v)}</td>')
            else:
                cells.append(f"<td>{fmt(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if limit is not None and len(frame) > limit:
        more = f'<p class="muted">{len(frame) - limit} more rows not shown</p>'
    return f"<table><tr>{head}</tr>{''.join(body)}</table>{more}"


def section(anchor: str, title: str, body: str, status: str | None = None) -> str:
    """One report section with an id (for the navigation) and an optional status badge."""
    pill = f" {badge(status)}" if status else ""
    return (
        f'<section id="{escape(anchor)}" data-section="{escape(anchor)}">'
        f"<h2>{escape(title)}{pill}</h2>{body}</section>"
    )


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document; ``sections`` are (anchor, title, html)."""
    nav = "".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t, _ in sections)
    body = "".join(html for _, _, html in sections)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="muted">{escape(subtitle)}</p>'
        f"<nav>{nav}</nav>{body}</main></body></html>"
    )
