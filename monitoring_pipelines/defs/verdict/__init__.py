"""Dagster definitions: the daily model health verdict, its alerts, and alerts on failed runs."""
