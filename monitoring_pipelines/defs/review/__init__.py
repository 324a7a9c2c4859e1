"""Dagster definitions: the human review queue against capacity, the control group's
precision and the recall audit of negatives."""
