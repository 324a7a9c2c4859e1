"""Alerts: breach episodes (one alert when a breach starts, one when it resolves) and the
notifier that delivers them (JSONL log by default; webhook and Slack optional)."""
