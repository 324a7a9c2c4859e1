"""The model registry: every version of every model, what it was trained on, which breach
triggered it, how it compared with the champion, and whether (and why) it was promoted.

Table ``model_registry``; the artifacts live on disk (joblib) under
``<home>/data/models/<model>/<version>.joblib``."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import duckdb

TABLE = "model_registry"
STATUSES = ("champion", "challenger", "retired")

DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    model VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMP,
    trigger_day DATE,
    triggered_by VARCHAR,
    run_id VARCHAR,
    champion_version VARCHAR,
    metric VARCHAR,
    champion_value DOUBLE,
    challenger_value DOUBLE,
    improvement DOUBLE,
    champion_fairness DOUBLE,
    challenger_fairness DOUBLE,
    promoted BOOLEAN,
    reason VARCHAR,
    artifact VARCHAR,
    reference_path VARCHAR,
    trained_on JSON,
    evaluation JSON,
    PRIMARY KEY (model, version)
)"""

COLUMNS = [
    "model", "version", "status", "created_at", "trigger_day", "triggered_by", "run_id",
    "champion_version", "metric", "champion_value", "challenger_value", "improvement",
    "champion_fairness", "challenger_fairness", "promoted", "reason", "artifact",
    "reference_path", "trained_on", "evaluation",
]  # fmt: skip


def ensure_registry(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    (n,) = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [TABLE]
    ).fetchone()
    return n > 0


def entries(con: duckdb.DuckDBPyConnection, model: str | None = None) -> list[dict[str, Any]]:
    """Registry rows (oldest first), JSON columns decoded."""
    if not _exists(con):
        return []
    where, params = ("WHERE model = ?", [model]) if model else ("", [])
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM {TABLE} {where} ORDER BY created_at, version", params
    ).fetchall()
    out = []
    for row in rows:
        entry = dict(zip(COLUMNS, row, strict=True))
        for col in ("trained_on", "evaluation"):
            entry[col] = json.loads(entry[col]) if entry[col] else {}
        out.append(entry)
    return out


def champion(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, Any] | None:
    """The model's current champion entry, or None before the first registration."""
    rows = [e for e in entries(con, model) if e["status"] == "champion"]
    return rows[-1] if rows else None


def next_version(con: duckdb.DuckDBPyConnection, model: str, taken=lambda v: False) -> str:
    """``retrain-<n>``: one more than the retrainings registered so far, skipping names for
    which ``taken(name)`` is true (e.g. an artifact file already on disk), so a version name
    never collides with the serving model's own version or overwrites an artifact."""
    names = {e["version"] for e in entries(con, model)}
    numbers = [int(m.group(1)) for v in names if (m := re.match(r"retrain-(\d+)$", str(v)))]
    n = max(numbers, default=0) + 1
    while f"retrain-{n}" in names or taken(f"retrain-{n}"):
        n += 1
    return f"retrain-{n}"


def register(con: duckdb.DuckDBPyConnection, entry: dict[str, Any]) -> None:
    """Insert (or replace) one version; call inside a transaction."""
    ensure_registry(con)
    row = {c: entry.get(c) for c in COLUMNS}
    row["created_at"] = row["created_at"] or datetime.now()
    for col in ("trained_on", "evaluation"):
        row[col] = json.dumps(row[col] or {}, default=str)
    if row["status"] not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    con.execute(
        f"DELETE FROM {TABLE} WHERE model = ? AND version = ?", [row["model"], row["version"]]
    )
    con.execute(
        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        [row[c] for c in COLUMNS],
    )


def set_status(con: duckdb.DuckDBPyConnection, model: str, version: str, status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    con.execute(
        f"UPDATE {TABLE} SET status = ? WHERE model = ? AND version = ?", [status, model, version]
    )


def last_trigger_day(con: duckdb.DuckDBPyConnection, model: str) -> date | None:
    days = [e["trigger_day"] for e in entries(con, model) if e["trigger_day"] is not None]
    return max(days) if days else None
