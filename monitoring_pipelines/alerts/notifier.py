"""Deliver alerts: always appended to a JSONL log; also POSTed as JSON to a webhook and to a
Slack incoming webhook when their URLs are set (from environment variables, never config
files). A failed delivery is logged in the JSONL line and never raises."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Notifier:
    alert_log: Path
    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    timeout_seconds: float = 5.0

    def send(self, kind: str, payload: dict[str, Any], text: str) -> dict[str, Any]:
        """Deliver one alert; returns the JSONL record written (with delivery results)."""
        record: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": kind,
            "text": text,
            **payload,
        }
        delivered: dict[str, str] = {}
        if self.webhook_url:
            delivered["webhook"] = self._post(self.webhook_url, {**record})
        if self.slack_webhook_url:
            delivered["slack"] = self._post(self.slack_webhook_url, {"text": text})
        if delivered:
            record["delivered"] = delivered
        self.alert_log.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, default=str) + "\n"
        fd = os.open(self.alert_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())  # one write per line: appends do not interleave
        finally:
            os.close(fd)
        return record

    def _post(self, url: str, body: dict[str, Any]) -> str:
        import requests  # only with a webhook configured: 60 ms of every cold process

        try:
            r = requests.post(url, json=body, timeout=self.timeout_seconds)
            return "ok" if r.ok else f"HTTP {r.status_code}"
        except requests.RequestException as e:
            return f"failed: {type(e).__name__}"


def read_alerts(path: Path) -> list[dict[str, Any]]:
    """The alert log's records (empty when there is none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
