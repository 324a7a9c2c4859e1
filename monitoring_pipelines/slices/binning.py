"""How rows are cut into slices: numeric columns into bins at reference quantiles (fitted
once, so a slice means the same rows' region on every day), others by their value.

Slice labels are strings: ``[3.2,5.1)`` (lowest bin ``(-inf,3.2)``, highest ``[9.8,inf)``),
a category's value, or ``<missing>`` for nulls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.ingest.reference import reference_version
from monitoring_pipelines.slices.loss import slicing_columns
from monitoring_pipelines.store.derived import digest, kept_file
from monitoring_pipelines.store.sql import database_path, derived_folder, qi, reference_table

MISSING = "<missing>"


@dataclass(frozen=True)
class Binning:
    """Slicing columns in canonical order and the inner bin edges of the numeric ones."""

    columns: tuple[str, ...]
    edges: dict[str, tuple[float, ...]]

    def labels(self, frame: pd.DataFrame, columns=None) -> pd.DataFrame:
        """One string label per row and slicing column (``columns``: a subset; columns
        absent from ``frame`` are left out)."""
        out = {}
        for col, (code, names) in self.codes(frame, columns).items():
            out[col] = names[code]
        return pd.DataFrame(out, index=frame.index)

    def codes(self, frame: pd.DataFrame, columns=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per slicing column in ``frame`` (or in ``columns``): an integer code per row and
        the label of each code (``names[code]`` is the row's label). Distinct codes have
        distinct labels. Cheaper than :meth:`labels`: no string per row."""
        wanted = self.columns if columns is None else [c for c in self.columns if c in columns]
        out = {}
        for col in wanted:
            if col not in frame:
                continue
            if col in self.edges:
                out[col] = bin_codes(pd.to_numeric(frame[col], errors="coerce"), self.edges[col])
            else:
                out[col] = value_codes(frame[col])
        return out


def value_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels of a categorical column: its values as strings, nulls
    ``<missing>``; values with the same string share a code."""
    code, uniques = pd.factorize(values, use_na_sentinel=True)
    names = pd.Series(uniques).astype("string").to_numpy(object)
    names = np.append(names, MISSING)
    code = np.where(code < 0, len(names) - 1, code).astype(np.int64)
    return _one_code_per_label(code, names)  # e.g. 1 and "1", or a literal "<missing>"


def _one_code_per_label(code: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes remapped so that codes sharing a label become one."""
    merged, unique = pd.factorize(names)
    if len(unique) < len(names):
        code = merged[code].astype(np.int64)
    return code, np.asarray(unique, dtype=object)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def bin_names(edges: tuple[float, ...]) -> np.ndarray:
    """Interval labels of the bins closed on the left at ``edges``, then ``<missing>``."""
    names = [
        f"[{_fmt(lo)},{_fmt(hi)})"
        for lo, hi in zip((-np.inf, *edges), (*edges, np.inf), strict=True)
    ]
    names = [n.replace("[-inf", "(-inf") for n in names]
    return np.asarray([*names, MISSING], dtype=object)


def bin_codes(values: pd.Series, edges: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bin index of each value (nulls: the last code, ``<missing>``) and the bins' labels."""
    x = values.to_numpy(float)
    code = np.searchsorted(np.asarray(edges, float), x, side="right").astype(np.int64)
    code[np.isnan(x)] = len(edges) + 1
    return _one_code_per_label(code, bin_names(edges))  # edges equal to 4 digits


def bin_labels(values: pd.Series, edges: tuple[float, ...]) -> np.ndarray:
    """Interval labels of ``values`` for bins closed on the left at ``edges``."""
    code, names = bin_codes(values, edges)
    return names[code]


_FITTED: dict[tuple, Binning] = {}  # per process: database, model, reference version, settings
_FITTED_MAX = 64


def fit_binning(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> Binning:
    """Bin edges at the reference's quantiles 1/b .. (b-1)/b (observed values) of each
    numeric feature (b = ``slices.numeric_bins``; repeated edges merged), in DuckDB.

    A scan of the whole reference: kept per process for the database file, the reference
    version (fingerprint and load time) and the settings, so a day's two slice assets and
    every later day reuse it; without a reference version it is computed every time."""
    version = reference_version(con, cfg.name)
    if version is None:
        return _fit_binning(con, cfg)
    path = database_path(con)
    key = (
        path,
        cfg.name,
        version,
        cfg.slices.numeric_bins,
        tuple(cfg.features.numeric),
        tuple(slicing_columns(cfg)),
    )
    if key not in _FITTED:
        if len(_FITTED) >= _FITTED_MAX:
            _FITTED.pop(next(iter(_FITTED)))
        _FITTED[key] = _stored_binning(con, cfg, key)
    return _FITTED[key]


def _stored_binning(con: duckdb.DuckDBPyConnection, cfg: ModelConfig, key: tuple) -> Binning:
    """The binning of ``key`` from its file beside the database (written by the first
    process that fitted it, replacing the model's earlier one), else fitted now."""

    def read(file: Path) -> Binning:
        data = json.loads(file.read_text())
        edges = {c: tuple(map(float, e)) for c, e in data["edges"].items()}
        return Binning(tuple(data["columns"]), edges)

    def write(binning: Binning, file: Path) -> None:
        file.write_text(json.dumps({"columns": binning.columns, "edges": binning.edges}))

    return kept_file(
        derived_folder(con),
        "binning-" + digest(cfg.name),
        json.dumps(key[1:], default=str),
        ".json",
        read=read,
        compute=lambda: _fit_binning(con, cfg),
        write=write,
    )


def _fit_binning(con: duckdb.DuckDBPyConnection, cfg: ModelConfig) -> Binning:
    columns = slicing_columns(cfg)
    table = reference_table(cfg.name)
    have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    b = cfg.slices.numeric_bins
    qs = [i / b for i in range(1, b)]
    cols = [c for c in cfg.features.numeric if c in have]
    edges = {}
    if cols:  # every column's quantiles in one scan of the reference
        select = ", ".join(f"quantile_disc(TRY_CAST({qi(c)} AS DOUBLE), $qs)" for c in cols)
        (got,) = con.execute(f"SELECT {select} FROM {table}", {"qs": qs}).fetchall()
        for col, values in zip(cols, got, strict=True):
            edges[col] = tuple(sorted({float(e) for e in (values or []) if e is not None}))
    return Binning(tuple(columns), edges)
