"""Service health of a model, read from its logs."""
