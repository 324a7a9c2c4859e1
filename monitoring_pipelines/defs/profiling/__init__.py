"""Dagster definitions: profiling."""
