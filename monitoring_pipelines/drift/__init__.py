"""Drift of features, outputs and labels against the reference (no Dagster import here).

NannyML-like: :func:`~monitoring_pipelines.drift.reference.fit_profile` fits the reference
once, :func:`~monitoring_pipelines.drift.calculator.calculate_drift` measures one day against
it and returns a :class:`~monitoring_pipelines.drift.result.DriftResult`, whose ``metrics()``
are the rows of the ``drift`` metrics family.
"""
