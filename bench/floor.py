"""The floor: what drift and realized performance cost when computed by DuckDB SQL alone,
straight from the Parquet files. Per feature per day a histogram against the reference
(numeric: 10 bins at reference deciles; categorical: the categories), its PSI and
Jensen-Shannon distance; per day the confusion counts of the labelled predictions.

Estimated performance has no SQL-only equivalent (it needs a calibrated model); the floor
stands for the histogram and counting work every monitoring tool must do at least.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import pandas as pd

BINS = 10
EPS = 1e-4
"""Share given to an empty bin so PSI stays finite (the usual convention)."""


@dataclass
class FloorResult:
    drift: pd.DataFrame  # day, feature, psi, js
    confusion: pd.DataFrame  # day, tp, fp, tn, fn
    seconds: float


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _edges(con: duckdb.DuckDBPyConnection, ref: str, numeric: list[str]) -> dict[str, list]:
    """Inner bin edges of each numeric feature: the reference's deciles (one scan)."""
    qs = [i / BINS for i in range(1, BINS)]
    sel = ", ".join(f"quantile_cont({_q(c)}, $qs)" for c in numeric)
    row = con.execute(f"SELECT {sel} FROM read_parquet($ref)", {"qs": qs, "ref": ref}).fetchone()
    return {c: sorted(set(e)) for c, e in zip(numeric, row, strict=True)}


def _binned(
    source: str, edges: dict[str, list], numeric: list[str], categorical: list[str], day: bool
) -> str:
    """SELECT of one row per input row: each feature as its bin label (VARCHAR)."""
    cols = []
    for i, c in enumerate(numeric):
        whens = " ".join(f"WHEN {_q(c)} <= $e_{i}_{b} THEN '{b}'" for b in range(len(edges[c])))
        cols.append(
            f"CASE WHEN {_q(c)} IS NULL THEN '(null)' {whens} ELSE '{len(edges[c])}' END AS {_q(c)}"
        )
    cols += [f"coalesce({_q(c)}, '(null)') AS {_q(c)}" for c in categorical]
    d = "_day, " if day else ""
    return f"SELECT {d}{', '.join(cols)} FROM {source}"


def histograms(
    con: duckdb.DuckDBPyConnection,
    reference: str,
    logs: str,
    numeric: list[str],
    categorical: list[str],
) -> pd.DataFrame:
    """PSI and JS distance (base 2) per day and feature."""
    edges = _edges(con, reference, numeric)
    params = {f"e_{i}_{b}": e for i, c in enumerate(numeric) for b, e in enumerate(edges[c])}
    feats = ", ".join(_q(c) for c in [*numeric, *categorical])
    ref_sets = ", ".join(f"({_q(c)})" for c in [*numeric, *categorical])
    day_sets = ", ".join(f"(_day, {_q(c)})" for c in [*numeric, *categorical])
    ref_src = "read_parquet($ref)"
    log_src = "(SELECT CAST(timestamp AS DATE) AS _day, * FROM read_parquet($logs))"
    sql = f"""
    WITH r AS (
        UNPIVOT (SELECT {feats}, count(*) AS n FROM
            ({_binned(ref_src, edges, numeric, categorical, False)})
            GROUP BY GROUPING SETS ({ref_sets}))
        ON {feats} INTO NAME feature VALUE bin
    ), rc AS (
        SELECT feature, bin, n / sum(n) OVER (PARTITION BY feature) AS p FROM r
    ), a AS (
        UNPIVOT (SELECT _day, {feats}, count(*) AS n FROM
            ({_binned(log_src, edges, numeric, categorical, True)})
            GROUP BY GROUPING SETS ({day_sets}))
        ON {feats} INTO NAME feature VALUE bin
    ), ac AS (
        SELECT _day, feature, bin, n / sum(n) OVER (PARTITION BY _day, feature) AS q FROM a
    ), grid AS (
        SELECT d._day, rc.feature, rc.bin FROM (SELECT DISTINCT _day FROM ac) d CROSS JOIN rc
        UNION SELECT _day, feature, bin FROM ac
    ), j AS (
        SELECT g._day, g.feature, coalesce(rc.p, 0) AS p, coalesce(ac.q, 0) AS q
        FROM grid g LEFT JOIN rc USING (feature, bin) LEFT JOIN ac USING (_day, feature, bin)
    )
    SELECT _day AS day, feature,
        sum((greatest(q, $eps) - greatest(p, $eps)) * ln(greatest(q, $eps) / greatest(p, $eps)))
            AS psi,
        sqrt(greatest(0, 0.5 * sum(CASE WHEN p > 0 THEN p * log2(2 * p / (p + q)) ELSE 0 END)
           + 0.5 * sum(CASE WHEN q > 0 THEN q * log2(2 * q / (p + q)) ELSE 0 END))) AS js
    FROM j GROUP BY _day, feature ORDER BY day, feature
    """
    return con.execute(sql, {**params, "ref": reference, "logs": logs, "eps": EPS}).df()


def confusion(con: duckdb.DuckDBPyConnection, logs: str, labels: str) -> pd.DataFrame:
    """Per day: true/false positives and negatives of the labelled predictions."""
    sql = """
    SELECT CAST(p.timestamp AS DATE) AS day,
        count_if(p.prediction = 1 AND l.label = 1) AS tp,
        count_if(p.prediction = 1 AND l.label = 0) AS fp,
        count_if(p.prediction = 0 AND l.label = 0) AS tn,
        count_if(p.prediction = 0 AND l.label = 1) AS fn
    FROM read_parquet($logs) p JOIN read_parquet($labels) l USING (prediction_id)
    GROUP BY 1 ORDER BY day
    """
    return con.execute(sql, {"logs": logs, "labels": labels}).df()


def run_floor(
    reference: str, logs: str, labels: str, numeric: list[str], categorical: list[str]
) -> FloorResult:
    """Both floor computations on a fresh in-memory DuckDB, timed together."""
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    drift = histograms(con, reference, logs, numeric, categorical)
    conf = confusion(con, logs, labels)
    con.close()
    return FloorResult(drift, conf, time.perf_counter() - t0)
