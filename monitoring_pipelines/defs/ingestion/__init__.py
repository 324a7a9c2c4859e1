"""Dagster definitions: ingestion."""
