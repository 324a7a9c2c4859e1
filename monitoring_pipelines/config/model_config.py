"""The declarative description of one monitored model.

A model is described by one YAML file; this module is its schema. Every field has a default
where a sensible one exists, so a minimal file names the task, where logs land, the reference
data and the features. Every threshold lives here, none in code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitoring_pipelines.config.drift import DriftSettings
from monitoring_pipelines.config.fairness import FairnessSettings
from monitoring_pipelines.config.outliers import OutlierSettings
from monitoring_pipelines.config.performance import PerformanceSettings
from monitoring_pipelines.config.review import Review
from monitoring_pipelines.config.slices import SliceSettings
from monitoring_pipelines.config.verdict import VerdictSettings

MODEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESERVED = {"_day", "_source_file", "_ingested_at"}  # system columns of stored tables


class Task(StrEnum):
    binary = "binary"
    multiclass = "multiclass"
    regression = "regression"


class FileFormat(StrEnum):
    auto = "auto"
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogSource(_Strict):
    """Where a model's daily prediction logs land.

    ``path`` is a glob relative to the monitoring home (or absolute) in which ``{day}`` stands
    for the partition day as ``YYYY-MM-DD``: ``landing/churn/{day}.parquet`` (one file a day) or
    ``landing/churn/{day}/*.csv`` (a folder a day).
    """

    path: str
    format: FileFormat = FileFormat.auto

    @field_validator("path")
    @classmethod
    def _needs_day(cls, v: str) -> str:
        if "{day}" not in v:
            raise ValueError("must contain the placeholder {day} (the partition day, YYYY-MM-DD)")
        return v


class LabelSource(_Strict):
    """Where ground-truth label files land: any day, late, partial; joined by prediction id."""

    path: str
    format: FileFormat = FileFormat.auto
    prediction_id: str = "prediction_id"
    label: str = "label"
    timestamp: str | None = Field(
        default="label_timestamp", description="when the label became known; null if absent"
    )


class ReferenceSource(_Strict):
    """The reference (training) data: features, label, and the model's scores on it."""

    path: str
    format: FileFormat = FileFormat.auto


class Columns(_Strict):
    """Column roles in the prediction logs (and the reference). ``None`` means absent."""

    prediction_id: str = "prediction_id"
    timestamp: str = "timestamp"
    prediction: str = "prediction"
    score: str | None = "score"
    class_scores: dict[str, str] = Field(
        default_factory=dict, description="multiclass: class value -> column with its score"
    )
    label: str | None = Field(default="label", description="label column in the reference")
    model_version: str | None = "model_version"
    latency: str | None = Field(default="latency_ms", description="milliseconds")
    error: str | None = Field(default="error", description="non-null when the prediction failed")
    challenger_prediction: str | None = Field(
        default=None, description="a shadow/challenger model's prediction on the same rows"
    )
    challenger_score: str | None = Field(
        default=None, description="binary: the challenger's positive-class score"
    )


class Features(_Strict):
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [*self.numeric, *self.categorical]


class QualityThresholds(_Strict):
    max_critical_failures: int = Field(default=0, ge=0)
    max_warning_failures: int = Field(default=0, ge=0)


class HealthThresholds(_Strict):
    volume_tolerance: float = Field(
        default=0.5, gt=0, le=1, description="alert when rows deviate from expected by more"
    )
    volume_warn_tolerance: float = Field(default=0.25, gt=0, le=1)
    max_failed_rate: float = Field(default=0.02, ge=0, le=1)
    warn_failed_rate: float = Field(default=0.01, ge=0, le=1)
    max_latency_p99_ms: float | None = Field(default=None, gt=0)
    warn_latency_p99_ms: float | None = Field(default=None, gt=0)
    max_missing_days: int = Field(default=0, ge=0, description="in the trailing window")
    min_label_coverage: float = Field(
        default=0.0, ge=0, le=1, description="after labels_expected_after_days"
    )


class Thresholds(_Strict):
    quality: QualityThresholds = QualityThresholds()
    health: HealthThresholds = HealthThresholds()


class Actions(_Strict):
    """Action thresholds on the score: >= hard acts automatically, >= soft goes to people."""

    hard: float | None = Field(default=None, ge=0, le=1)
    soft: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Actions:
        if self.hard is not None and self.soft is not None and self.soft > self.hard:
            raise ValueError("soft must not exceed hard")
        return self


class Retraining(_Strict):
    """When a breach starts a retraining, what the challenger is trained on, and what it
    must beat. Improvement is absolute for scores (ROC AUC, accuracy, F1: 0.01 = one point)
    and relative for errors (MAE, RMSE: 0.01 = 1 % lower)."""

    enabled: bool = True
    triggers: list[str] = Field(
        default_factory=lambda: ["drift", "performance", "estimated_performance"],
        description="cause kinds of a critical verdict that start a retraining",
    )
    cooldown_days: int = Field(default=7, ge=0, description="data days between retrainings")
    window_days: int = Field(default=30, ge=1, description="recent labelled days used")
    holdout_share: float = Field(
        default=0.3,
        gt=0,
        lt=1,
        description="share of the recent labelled rows held out (by id hash)",
    )
    min_labelled_rows: int = Field(default=200, ge=10, description="recent rows needed")
    max_reference_rows: int | None = Field(
        default=200_000,
        ge=10,
        description="reference rows trained on: a stable sample (by row hash) of a larger "
        "reference; null: every row",
    )
    max_recent_rows: int | None = Field(
        default=300_000,
        ge=10,
        description="recent labelled rows used (trained on and held out): a stable sample (by "
        "prediction-id hash, each day in proportion) of more; null: every row",
    )
    recent_weight: float = Field(
        default=1.0, gt=0, description="sample weight of recent rows against reference rows"
    )
    metric: str | None = Field(
        default=None, description="default: roc_auc (binary), accuracy (multiclass), mae"
    )
    min_improvement: float = Field(default=0.01, ge=0)
    max_fairness_regression: float = Field(default=0.02, ge=0)
    trainer: str | None = Field(default=None, description="module:function; default sklearn")
    seed: int = 0

    @model_validator(mode="after")
    def _enough_recent_rows(self) -> Retraining:
        if self.max_recent_rows is not None and self.max_recent_rows < self.min_labelled_rows:
            raise ValueError("max_recent_rows must not be below min_labelled_rows")
        return self

    @field_validator("trainer")
    @classmethod
    def _module_function(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[\w.]+:\w+$", v):
            raise ValueError("must look like 'package.module:function'")
        return v


class Volume(_Strict):
    expected_daily_rows: int | None = Field(
        default=None, gt=0, description="default: median of the trailing days"
    )
    trailing_days: int = Field(default=14, ge=1)


class ModelConfig(_Strict):
    """One monitored model. See README 'Model config' for a worked example."""

    name: str
    task: Task
    description: str = ""
    owner: str | None = None
    logs: LogSource
    labels: LabelSource | None = None
    reference: ReferenceSource
    columns: Columns = Columns()
    features: Features
    segments: list[str] = Field(default_factory=list)
    sensitive: list[str] = Field(default_factory=list)
    positive_class: str = "1"
    classes: list[str] = Field(default_factory=list, description="multiclass class values")
    labels_expected_after_days: int = Field(default=7, ge=0)
    thresholds: Thresholds = Thresholds()
    actions: Actions = Actions()
    review: Review = Review()
    retraining: Retraining = Retraining()
    volume: Volume = Volume()
    drift: DriftSettings = DriftSettings()
    performance: PerformanceSettings = PerformanceSettings()
    slices: SliceSettings = SliceSettings()
    fairness: FairnessSettings = FairnessSettings()
    outliers: OutlierSettings = OutlierSettings()
    verdict: VerdictSettings = VerdictSettings()
    suite: str | None = Field(default=None, description="default: expectations/<name>.json")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not MODEL_NAME.match(v):
            raise ValueError("must be lower-case letters, digits and _, starting with a letter")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ModelConfig:
        if not self.features.all:
            raise ValueError("features: declare at least one numeric or categorical feature")
        lowered = [c.lower() for c in self.features.all]
        dup = {c for c in self.features.all if lowered.count(c.lower()) > 1}
        if dup:  # DuckDB (like SQL) does not tell identifiers apart by case
            raise ValueError(f"features: {sorted(dup)} declared twice (names ignore case)")
        reserved = [c for c in self.features.all if c.lower() in RESERVED]
        if reserved:
            raise ValueError(f"features: {reserved} are reserved for system columns")
        if self.task is Task.multiclass and not self.columns.class_scores and not self.classes:
            raise ValueError("multiclass: declare columns.class_scores or classes")
        if self.task is Task.regression and self.columns.class_scores:
            raise ValueError("regression: columns.class_scores makes no sense")
        roles = self.role_columns()
        role_names = {r.lower() for r in roles.values()}
        clash = {c for c in self.features.all if c.lower() in role_names}
        if clash:
            raise ValueError(f"features {sorted(clash)} are also role columns")
        return self

    def role_columns(self) -> dict[str, str]:
        """Role name -> column name in the logs, for the roles this model has."""
        c = self.columns
        roles = {
            "prediction_id": c.prediction_id,
            "timestamp": c.timestamp,
            "prediction": c.prediction,
            "score": c.score if self.task is Task.binary else None,
            "model_version": c.model_version,
            "latency": c.latency,
            "error": c.error,
            "challenger_prediction": c.challenger_prediction,
            "challenger_score": c.challenger_score if self.task is Task.binary else None,
        }
        return {k: v for k, v in roles.items() if v}

    @property
    def class_values(self) -> list[str]:
        """Class values of a classifier, as strings (binary: negative then positive)."""
        if self.task is Task.binary:
            return self.classes or ["0", self.positive_class]
        return self.classes or list(self.columns.class_scores)
