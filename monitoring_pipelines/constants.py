"""Names shared by assets, jobs, sensors and the CLI (selection by name, never by import)."""

POOL = "duckdb"  # every asset that writes the DuckDB store; limited in dagster.yaml
FIRST_DAY = "2025-01-01"  # first day partition; days before it are not monitored

MODEL_DIM = "model"
DAY_DIM = "day"

GROUP_REFERENCE = "reference"
GROUP_INGESTION = "ingestion"
GROUP_QUALITY = "quality"
GROUP_HEALTH = "health"
GROUP_PROFILING = "profiling"
GROUP_DRIFT = "drift"
GROUP_PERFORMANCE = "performance"
# Groups of day x model assets, in the order a day flows through them. Later vital signs
# (drift, performance, ...) add their group here to join the daily job.
DAILY_GROUPS = [
    GROUP_INGESTION,
    GROUP_QUALITY,
    GROUP_HEALTH,
    GROUP_PROFILING,
    GROUP_DRIFT,
    GROUP_PERFORMANCE,
]

PREDICTIONS = "predictions"
GROUND_TRUTH = "ground_truth"
DATA_QUALITY = "data_quality"
SERVICE_HEALTH = "service_health"
FEATURE_PROFILE = "feature_profile"
REFERENCE_DATA = "reference_data"
REFERENCE_PROFILE = "reference_profile"
FEATURE_DRIFT = "feature_drift"
PERFORMANCE_ESTIMATOR = "performance_estimator"
ESTIMATED_PERFORMANCE = "estimated_performance"
REALIZED_PERFORMANCE = "realized_performance"
OPERATING_POINT = "operating_point"
MODEL_COMPARISON = "model_comparison"

MONITOR_JOB = "monitor_job"
REFERENCE_JOB = "load_reference_job"
REFRESH_LABELS_JOB = "refresh_labels_job"
