"""A realistic, download-free demo: three models in production, with known incidents.

``churn`` (binary), ``eta`` (regression) and ``intent`` (multiclass) each get a reference
(training) period, a real scikit-learn model trained on it, daily prediction logs in their
config's format, late and partial labels, and injected events (drift, concept drift, a
degraded segment, a fairness gap, a broken upstream day, a volume drop, a missing day, lost
labels) listed with their days in ``data/demo_manifest.json``.
"""

from monitoring_pipelines.demo.generator import (
    PROCESSES,
    generate_demo,
    load_manifest,
    manifest_path,
)
from monitoring_pipelines.demo.home import demo_home

__all__ = ["PROCESSES", "demo_home", "generate_demo", "load_manifest", "manifest_path"]
