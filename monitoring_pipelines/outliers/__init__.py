"""Outliers per row: detectors fitted on the reference (isolation forest, Mahalanobis
distance; alibi-detect or scikit-learn/numpy), a threshold from a reference percentile, the
day's outlier rate and the flagged rows with the features that make them extreme."""
