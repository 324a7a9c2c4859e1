"""Dagster definitions: performance (realized, estimated) and its fitted estimator."""
