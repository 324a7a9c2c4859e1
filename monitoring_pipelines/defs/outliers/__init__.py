"""Dagster definitions: outlier detectors fitted on the reference, and each day's outliers."""
