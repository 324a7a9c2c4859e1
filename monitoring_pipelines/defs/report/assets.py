"""The daily report: one self-contained HTML page per model and day, read from the metrics
table after every vital sign and the health verdict of the day."""

import dagster as dg

from monitoring_pipelines import constants as k
from monitoring_pipelines.defs.common import model_day_asset
from monitoring_pipelines.defs.partitions import split_key
from monitoring_pipelines.defs.resources import MonitoringResource
from monitoring_pipelines.report.daily import write_reports

# Upstream vital signs by key name: keys defined by other layers (or not yet) are fine.
VITAL_SIGNS = [
    k.DATA_QUALITY,
    k.SERVICE_HEALTH,
    k.FEATURE_DRIFT,
    k.ESTIMATED_PERFORMANCE,
    k.REALIZED_PERFORMANCE,
    k.SEGMENT_PERFORMANCE,
    k.WORST_SLICES,
    k.FAIRNESS,
    k.OUTLIERS,
    k.REVIEW_QUEUE,
    k.MODEL_HEALTH,
]


@model_day_asset(
    key=k.DAILY_REPORT,
    group=k.GROUP_REPORT,
    deps=VITAL_SIGNS,
    kinds=("duckdb", "html"),
    description="A self-contained HTML page of the model's day (no network: plots are inline "
    "SVG): the health verdict and its ranked causes, then quality, drift by feature, realized "
    "vs estimated performance with bands, segments, fairness, outliers, review queue and "
    "service health over the trailing 30 days. Written to <home>/reports/<model>/<day>.html, "
    "with the model's overview in index.html beside it.",
)
def daily_report(
    context: dg.AssetExecutionContext, monitoring: MonitoringResource
) -> dg.MaterializeResult:
    model, day = split_key(context)
    with monitoring.connect() as con:
        path, overview = write_reports(con, monitoring.paths.home, model, day)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "overview": dg.MetadataValue.path(str(overview)),
            "size_kb": round(path.stat().st_size / 1024, 1),
        }
    )
