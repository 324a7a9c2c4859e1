"""Dagster definitions, one folder per concern; each stays thin."""
