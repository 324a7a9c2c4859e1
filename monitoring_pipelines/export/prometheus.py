"""The metrics table in Prometheus' text exposition format (version 0.0.4), for
node_exporter's textfile collector or a tiny local HTTP endpoint.

Each (family, metric) becomes a gauge ``monitoring_<family>_<metric>`` (sanitized) with the
labels ``model``, ``subject`` and ``day``; its bounds ``..._lower`` / ``..._upper`` where set;
and its status ``..._status`` (0 ok, 1 warn, 2 alert). Only the latest ``days`` stored days of
each model are written, so the file stays small. No timestamps: the textfile collector
refuses them, and ``day`` says which day a sample describes.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb

PREFIX = "monitoring"
STATUS_VALUE = {"ok": 0, "warn": 1, "alert": 2}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_INVALID = re.compile(r"[^a-zA-Z0-9_]")


def metric_name(family: str, metric: str, suffix: str = "") -> str:
    """``monitoring_<family>_<metric>[_<suffix>]`` with every character outside
    ``[a-zA-Z0-9_]`` replaced by ``_`` (always a valid Prometheus metric name)."""
    parts = [PREFIX, family, metric] + ([suffix] if suffix else [])
    return _INVALID.sub("_", "_".join(parts))


def escape_label(value: str) -> str:
    """A label value escaped for the text format: backslash, double quote, newline."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return repr(float(x))


def latest_rows(con: duckdb.DuckDBPyConnection, days: int = 1) -> list[tuple]:
    """(model, day, family, metric, subject, value, lower, upper, status) of the latest
    ``days`` stored days of each model, ordered."""
    return con.execute(
        """
        WITH ranked AS (
            SELECT model, day, dense_rank() OVER (PARTITION BY model ORDER BY day DESC) AS r
            FROM (SELECT DISTINCT model, day FROM metrics)
        )
        SELECT m.model, m.day, m.family, m.metric, m.subject, m.value, m.lower, m.upper,
               m.status
        FROM metrics m JOIN ranked USING (model, day)
        WHERE ranked.r <= ?
        ORDER BY m.family, m.metric, m.model, m.day, m.subject
        """,
        [days],
    ).fetchall()


def exposition(con: duckdb.DuckDBPyConnection, days: int = 1) -> str:
    """The text exposition of the latest ``days`` days of every model."""
    series: dict[str, dict[tuple, float]] = {}
    helps: dict[str, str] = {}

    def add(name: str, labels: tuple, value: float, help_text: str) -> None:
        helps.setdefault(name, help_text)
        series.setdefault(name, {}).setdefault(labels, value)  # first wins on a name clash

    for model, day, family, metric, subject, value, lower, upper, status in latest_rows(con, days):
        labels = (("model", model), ("subject", subject or ""), ("day", str(day)))
        what = f"{family} {metric} from the monitoring metrics table"
        if value is not None:
            add(metric_name(family, metric), labels, float(value), what)
        if lower is not None:
            add(metric_name(family, metric, "lower"), labels, float(lower), f"lower bound, {what}")
        if upper is not None:
            add(metric_name(family, metric, "upper"), labels, float(upper), f"upper bound, {what}")
        add(
            metric_name(family, metric, "status"),
            labels,
            float(STATUS_VALUE.get(status, 0)),
            f"status (0 ok, 1 warn, 2 alert), {what}",
        )
    lines = []
    for name in sorted(series):
        lines.append(f"# HELP {name} {helps[name]}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in series[name].items():
            text = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels)
            lines.append(f"{name}{{{text}}} {_number(value)}")
    return "\n".join(lines) + "\n"


def write_textfile(path: Path | str, text: str) -> Path:
    """Write ``text`` atomically (a temporary file in the same folder, then a rename), as
    node_exporter's textfile collector requires (it must never read half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def make_server(
    render: Callable[[], str], port: int = 9464, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """An HTTP server answering ``GET /metrics`` with ``render()`` (re-read on every scrape;
    503 with the error when the store cannot be read). Bound to ``host`` (local only by
    default); call ``serve_forever()`` or use :func:`serve_in_thread`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            try:
                body, code = render().encode("utf-8"), 200
            except Exception as exc:  # the store is locked or missing: say so, keep serving
                body, code = f"# error: {exc}\n".encode(), 503
            self.send_response(code)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (stop it with ``server.shutdown()``)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
