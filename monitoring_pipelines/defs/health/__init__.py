"""Dagster definitions: health."""
