"""The daily HTML report of each model (UI-2), written under ``<home>/reports``."""
