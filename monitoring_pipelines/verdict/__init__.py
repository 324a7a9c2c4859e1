"""The daily model health verdict and its ranked root causes, read from the metrics table."""
