"""The quality layer's churn fixtures, reused by the screen's equivalence test."""

from tests.quality.conftest import churn_cfg, churn_reference, churn_suite  # noqa: F401
