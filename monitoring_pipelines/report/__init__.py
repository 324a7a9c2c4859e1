"""Reports read from the metrics table: a self-contained HTML page per model and day (plots as
inline SVG, no network), an overview of a model over time, and the SVG charts the Dagster
assets attach to their materializations. No Dagster import here."""
