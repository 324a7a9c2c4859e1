"""Dagster definitions: performance per configured segment and the worst-slice search."""
