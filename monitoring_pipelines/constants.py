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
GROUP_SEGMENTS = "segments"
GROUP_FAIRNESS = "fairness"
GROUP_OUTLIERS = "outliers"
GROUP_REVIEW = "review"
GROUP_VERDICT = "verdict"
GROUP_REPORT = "report"
GROUP_RETRAINING = "retraining"
# Groups of day x model assets, in the order a day flows through them. Later vital signs
# (drift, performance, ...) add their group here to join the daily job.
DAILY_GROUPS = [
    GROUP_INGESTION,
    GROUP_QUALITY,
    GROUP_HEALTH,
    GROUP_PROFILING,
    GROUP_DRIFT,
    GROUP_PERFORMANCE,
    GROUP_SEGMENTS,
    GROUP_FAIRNESS,
    GROUP_OUTLIERS,
    GROUP_REVIEW,
    GROUP_VERDICT,
    GROUP_REPORT,
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
SEGMENT_PERFORMANCE = "segment_performance"  # family 'segment'
WORST_SLICES = "worst_slices"  # family 'slices'
SLICE_BASELINES = "slice_baselines"  # per model, reference group
FAIRNESS = "fairness"  # family 'fairness'
OUTLIER_DETECTOR = "outlier_detector"  # per model, reference group
OUTLIERS = "outliers"  # family 'outliers'
REVIEW_QUEUE = "review_queue"  # family 'review'
MODEL_HEALTH = "model_health"  # family 'verdict'
DAILY_REPORT = "daily_report"  # HTML report per model and day
MODEL_REGISTRY = "model_registry"

MONITOR_JOB = "monitor_job"
REFERENCE_JOB = "load_reference_job"
REFRESH_LABELS_JOB = "refresh_labels_job"
RETRAIN_JOB = "retrain_model_job"
