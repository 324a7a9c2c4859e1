"""Asset keys (from constants) and the metrics families of the performance layer."""

from monitoring_pipelines.constants import (  # noqa: F401  (re-exported for the layer)
    ESTIMATED_PERFORMANCE,
    MODEL_COMPARISON,
    OPERATING_POINT,
    PERFORMANCE_ESTIMATOR,
    REALIZED_PERFORMANCE,
)

FAMILY_REALIZED = "performance"
FAMILY_REALIZED_WINDOW = "performance_window"
FAMILY_ESTIMATED = "estimated_performance"
FAMILY_ESTIMATION_ERROR = "estimation_error"
FAMILY_OPERATING_POINT = "operating_point"
FAMILY_MODEL_COMPARISON = "model_comparison"
