"""Ingestion of prediction logs, late labels and reference data into the DuckDB store."""
