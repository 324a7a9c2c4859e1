"""Dagster definitions: the model registry (train, judge, promote), the retraining job and the
sensor that launches it when a verdict breaks."""
