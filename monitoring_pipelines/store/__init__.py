"""The DuckDB store: tables, the evaluation store (`metrics`) and safe SQL helpers."""
