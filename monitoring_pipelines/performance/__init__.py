"""Performance layer: realized figures once labels join, estimated figures (CBPE, DLE) before,
with no Dagster import: fit on the reference, calculate on a day, get ``Metric`` rows."""
