"""SQL building blocks. Identifiers are always quoted; values are always parameters."""

from __future__ import annotations


def qi(name: str) -> str:
    """Quote an identifier for DuckDB: ``a"b`` -> ``"a""b"``."""
    return '"' + str(name).replace('"', '""') + '"'


def predictions_table(model: str) -> str:
    """Quoted name of a model's stored prediction log table."""
    return qi(f"predictions__{model}")


def labels_table(model: str) -> str:
    """Quoted name of a model's raw label table (every label file row ever ingested)."""
    return qi(f"labels__{model}")


def ground_truth_table(model: str) -> str:
    """Quoted name of a model's per-day joined labels (one row per labelled prediction)."""
    return qi(f"ground_truth__{model}")


def reference_table(model: str) -> str:
    """Quoted name of a model's reference (training) data table."""
    return qi(f"reference__{model}")


def reader_sql(fmt: str) -> str:
    """A DuckDB table function reading a list of files given as parameter ``$files``.

    CSV is read as text: a CSV file has no types, so guessing them would report type changes
    that are not there; values are cast (and checked) against the declared types instead.
    """
    if fmt == "parquet":
        return "read_parquet($files, union_by_name = true)"
    if fmt == "csv":
        return "read_csv($files, union_by_name = true, header = true, all_varchar = true)"
    if fmt == "jsonl":
        return "read_json($files, format = 'newline_delimited', union_by_name = true)"
    raise ValueError(f"unknown file format {fmt!r}")
