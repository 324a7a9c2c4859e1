"""Exports of the evaluation store for other tools: Prometheus text exposition (Grafana)."""
