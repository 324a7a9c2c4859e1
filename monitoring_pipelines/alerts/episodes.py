"""Breach episodes per model: a breach (a cause kind alerting in the daily verdict) opens an
episode on its first day and resolves on the first later day without it. Alerts are sent on
those two transitions only, so a breach lasting five days gives one alert and one resolution.

Days are taken in the order they are judged: re-judging a day already inside an episode
changes nothing, so re-runs and late labels never repeat an alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb

TABLE = "alert_episodes"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    model VARCHAR NOT NULL,
    breach VARCHAR NOT NULL,
    opened_day DATE NOT NULL,
    last_day DATE NOT NULL,
    resolved_day DATE,
    opened_at TIMESTAMP,
    resolved_at TIMESTAMP,
    detail VARCHAR
)"""


@dataclass(frozen=True)
class AlertEvent:
    event: str  # opened | resolved
    model: str
    breach: str
    day: date
    opened_day: date
    detail: str

    def as_dict(self) -> dict:
        return {
            "event": self.event,
            "model": self.model,
            "breach": self.breach,
            "day": self.day.isoformat(),
            "opened_day": self.opened_day.isoformat(),
            "detail": self.detail,
        }

    def text(self) -> str:
        if self.event == "opened":
            return f"[{self.model}] {self.breach} breach started on {self.day}: {self.detail}"
        return (
            f"[{self.model}] {self.breach} breach resolved on {self.day} "
            f"(open since {self.opened_day})"
        )


def update_episodes(
    con: duckdb.DuckDBPyConnection, model: str, day: date, breaches: dict[str, str]
) -> list[AlertEvent]:
    """Record the day's breaches (kind -> detail); returns the alerts to send. Call inside a
    transaction."""
    con.execute(DDL)
    open_rows = con.execute(
        f"SELECT breach, opened_day, last_day FROM {TABLE} "
        "WHERE model = ? AND resolved_day IS NULL",
        [model],
    ).fetchall()
    opened = {b: (o, last) for b, o, last in open_rows}
    now = datetime.now()
    events: list[AlertEvent] = []
    for breach, detail in sorted(breaches.items()):
        if breach in opened:
            o, last = opened[breach]
            if day > last:
                con.execute(
                    f"UPDATE {TABLE} SET last_day = ? WHERE model = ? AND breach = ? "
                    "AND resolved_day IS NULL",
                    [day, model, breach],
                )
            continue
        con.execute(
            f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, NULL, ?, NULL, ?)",
            [model, breach, day, day, now, detail],
        )
        events.append(AlertEvent("opened", model, breach, day, day, detail))
    for breach, (o, last) in sorted(opened.items()):
        if breach not in breaches and day > last:
            con.execute(
                f"UPDATE {TABLE} SET resolved_day = ?, resolved_at = ? WHERE model = ? "
                "AND breach = ? AND resolved_day IS NULL",
                [day, now, model, breach],
            )
            events.append(AlertEvent("resolved", model, breach, day, o, ""))
    return events
