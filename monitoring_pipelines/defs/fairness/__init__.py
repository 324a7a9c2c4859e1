"""Dagster definitions: fairness per sensitive attribute (fairlearn), by day and trailing window."""
