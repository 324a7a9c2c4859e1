"""Segment performance and the automatic worst-slice search (no Dagster import)."""
