"""What a group's loss gap was on the reference: some regions of the inputs are always
harder (long distances, uncertain scores), so a gap is judged by how much it exceeds the
group's usual gap, not by its size alone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import duckdb
import numpy as np
import pandas as pd

from monitoring_pipelines.config import ModelConfig
from monitoring_pipelines.performance.data import reference_rowid_end, reference_rows
from monitoring_pipelines.performance.estimator import PerformanceEstimator
from monitoring_pipelines.slices.binning import Binning
from monitoring_pipelines.slices.groups import group_sums
from monitoring_pipelines.slices.loss import ESTIMATED, REALIZED, estimated_loss, realized_loss
from monitoring_pipelines.slices.search import slice_id
from monitoring_pipelines.store.derived import KeptCache

CACHE_TABLE = "slice_baselines"
CHUNK_ROWS = 250_000  # reference rows per chunk
NONE = "\x00none"  # marks a column that is not part of a group while adding chunks up
LOSS = "\x00loss:"  # prefixes the loss sums' columns (apart from any slicing column's name)


def reference_gaps(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    source: str,
) -> Mapping[str, float]:
    """The baseline of one loss ``source``: :func:`baselines` of it alone."""
    return baselines(con, cfg, state, binning, (source,))[source]


def baselines(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    sources: Sequence[str],
) -> dict[str, Mapping[str, float]]:
    """Source -> :func:`compute_reference_gaps`, computed once per reference, estimator,
    binning and slice settings and kept in ``slice_baselines`` (the reference has a million
    rows; a day a few thousand). Sources missing from the store are computed together, in
    one read of the reference. Without a reference fingerprint in the store they are
    computed every time. A stored baseline is parsed once per process (its key names its
    content): the mappings returned are shared and read-only."""
    keys = {source: _cache_key(con, cfg, binning, source) for source in sources}
    if any(key is None for key in keys.values()):
        return compute_baselines(con, cfg, state, binning, sources)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {CACHE_TABLE} (model VARCHAR, source VARCHAR, "
        "key VARCHAR, gaps VARCHAR, PRIMARY KEY (model, source))"
    )
    stored = dict(
        con.execute(f"SELECT source, key FROM {CACHE_TABLE} WHERE model = ?", [cfg.name]).fetchall()
    )
    current = [s for s in sources if stored.get(s) == keys[s]]
    out = {s: kept for s in current if (kept := _PARSED.get((cfg.name, s, keys[s]))) is not None}
    if unparsed := [s for s in current if s not in out]:
        marks = ", ".join("?" * len(unparsed))
        for source, gaps in con.execute(
            f"SELECT source, gaps FROM {CACHE_TABLE} WHERE model = ? AND source IN ({marks})",
            [cfg.name, *unparsed],
        ).fetchall():
            out[source] = _PARSED.put(
                (cfg.name, source, keys[source]), MappingProxyType(json.loads(gaps))
            )
    missing = [s for s in sources if s not in out]
    if missing:
        computed = compute_baselines(con, cfg, state, binning, missing)
        for source in missing:
            con.execute(
                f"INSERT OR REPLACE INTO {CACHE_TABLE} VALUES (?, ?, ?, ?)",
                [cfg.name, source, keys[source], json.dumps(computed[source])],
            )
            out[source] = _PARSED.put(
                (cfg.name, source, keys[source]), MappingProxyType(computed[source])
            )
    return {s: out[s] for s in sources}


# (model, source, cache key) -> the baseline's gaps, parsed and read-only: the key names their
# content, so a day reads the stored JSON (15,625 groups at W1, 0.9 MB, 7 ms to parse) once
# per process
_PARSED = KeptCache(8)


def _cache_key(
    con: duckdb.DuckDBPyConnection, cfg: ModelConfig, binning: Binning, source: str
) -> str | None:
    """What the baseline depends on: the loaded reference (fingerprint and load time), the
    estimator's fit (estimated loss), the bins and the model's config; None when unknown."""
    from monitoring_pipelines.ingest.reference import STATE_TABLE
    from monitoring_pipelines.performance.estimator import TABLE as ESTIMATORS
    from monitoring_pipelines.store.sql import model_row

    def one(table: str, cols: str):
        row = model_row(con, table, cfg.name, cols)
        return None if row is None else [str(v) for v in row]

    reference = one(STATE_TABLE, "fingerprint, loaded_at")
    if reference is None:
        return None
    parts = {
        "reference": reference,
        "estimator": one(ESTIMATORS, "fitted_at") if source != REALIZED else None,
        "binning": [list(binning.columns), {c: list(e) for c, e in binning.edges.items()}],
        "config": json.loads(cfg.model_dump_json()),
        "source": source,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def compute_reference_gaps(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    source: str,
) -> dict[str, float]:
    """Group id -> relative gap (group mean loss / whole mean loss - 1) on the reference rows,
    for every one- and two-column group, with the loss of ``source`` ('realized': the
    reference's labels; 'estimated': the estimator's expected loss). Empty when the reference
    lacks what the loss needs."""
    return compute_baselines(con, cfg, state, binning, (source,))[source]


def compute_baselines(
    con: duckdb.DuckDBPyConnection,
    cfg: ModelConfig,
    state: PerformanceEstimator | None,
    binning: Binning,
    sources: Sequence[str],
) -> dict[str, dict[str, float]]:
    """:func:`compute_reference_gaps` of each of ``sources`` in one pass over the reference.

    The reference is read in chunks of :data:`CHUNK_ROWS` rows (memory stays bounded at any
    size), each chunk once: its group codes are taken once and each source's losses summed
    per group (counts and plain sums, added up over the chunks). A group's relative gap is
    its mean loss over the whole's, less one."""
    est = state.estimator if state else None
    regression = cfg.task.value == "regression"
    total = reference_rowid_end(con, cfg)
    cols = list(binning.columns)
    if regression and ESTIMATED in sources:  # DLE needs the features
        cols = list(dict.fromkeys([*cfg.features.all, *cols]))
    wanted = list(dict.fromkeys(sources))
    parts: list[pd.DataFrame] = []
    whole = dict.fromkeys(wanted, 0.0)  # each source's loss summed over every row
    rows = 0
    for first in range(0, total, CHUNK_ROWS):
        ref = reference_rows(con, cfg, columns=cols, rowids=(first, min(first + CHUNK_ROWS, total)))
        losses = {}
        for source in wanted:
            if source == REALIZED and ref.y is not None:
                losses[source] = realized_loss(cfg, ref)
            elif source != REALIZED and est is not None and (regression or ref.scores is not None):
                losses[source] = estimated_loss(est, ref)
        wanted = [x for x in wanted if x in losses]  # a source that lacks its inputs is out
        if not wanted or len(ref) == 0:
            continue
        rows += len(ref)
        for source in wanted:
            whole[source] += float(np.sum(losses[source]))
        sums = {LOSS + source: losses[source] for source in wanted}
        codes = binning.codes(ref.frame)
        parts.append(group_sums(codes, sums, max_features=cfg.slices.max_features))
    if not parts or not rows:
        return {source: {} for source in sources}
    keys = [c for c in parts[0].columns if c != "n" and not c.startswith(LOSS)]
    groups = (
        pd.concat(parts, ignore_index=True)
        .fillna({c: NONE for c in keys})
        .groupby(keys, sort=False, dropna=False)[["n", *(LOSS + x for x in wanted)]]
        .sum()
        .reset_index()
    )
    ids = [
        slice_id(tuple((c, v) for c, v in zip(keys, row, strict=True) if v != NONE))
        for row in groups[keys].to_numpy(object)
    ]
    n = groups["n"].to_numpy(float)
    return {
        source: _gaps(ids, n, groups[LOSS + source].to_numpy(float), whole[source] / rows)
        if source in wanted
        else {}
        for source in sources
    }


def _gaps(ids: list[str], n: np.ndarray, total: np.ndarray, centre: float) -> dict[str, float]:
    """Group id -> relative gap (mean loss over the whole's mean ``centre``, less one) from
    each group's count ``n`` and loss sum ``total``; empty when the whole has no loss."""
    if not centre > 0:
        return {}
    rel = total / n / centre - 1.0
    return {i: float(r) if np.isfinite(r) else 0.0 for i, r in zip(ids, rel, strict=True)}
