"""Day x model partitions. Models are dynamic partitions: adding a config file adds one."""

from __future__ import annotations

import warnings
from datetime import date

import dagster as dg

from monitoring_pipelines.constants import DAY_DIM, FIRST_DAY, MODEL_DIM

MODELS = dg.DynamicPartitionsDefinition(name=MODEL_DIM)
DAYS = dg.DailyPartitionsDefinition(start_date=FIRST_DAY)
MODEL_DAYS = dg.MultiPartitionsDefinition({DAY_DIM: DAYS, MODEL_DIM: MODELS})
with warnings.catch_warnings():  # a beta class, chosen knowingly: no warning on every start
    warnings.simplefilter("ignore", dg.BetaWarning)
    BY_MODEL = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name=MODEL_DIM)


def model_day_key(model: str, day: date | str) -> dg.MultiPartitionKey:
    """The partition key of one model's day."""
    return dg.MultiPartitionKey({DAY_DIM: str(day), MODEL_DIM: model})


def split_key(context: dg.AssetExecutionContext) -> tuple[str, date]:
    """(model, day) of the partition being materialized."""
    keys = context.partition_key.keys_by_dimension
    return keys[MODEL_DIM], date.fromisoformat(keys[DAY_DIM])
