"""Dagster definitions: drift of features, outputs and labels against the reference."""
