"""Reports read from the metrics table: a self-contained HTML page per model and day (plots as
inline PNG, no network), an overview of a model over time, and the PNG charts the Dagster
assets attach to their materializations. No Dagster import here."""
