"""Reading the metric store for reports: days come back as ``datetime.date``, whatever the
column's type, with missing days kept missing."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from monitoring_pipelines.report.data import headline_series, load_metrics
from monitoring_pipelines.store.metrics import as_dates


def test_as_dates_matches_pandas_per_row_conversion() -> None:
    con = duckdb.connect()
    days = con.execute(
        "SELECT CASE WHEN i % 97 = 0 THEN NULL ELSE DATE '2026-02-25' + (i % 7)::INT END AS day "
        "FROM range(2000) t(i)"
    ).df()["day"]
    got = as_dates(days)
    want = pd.to_datetime(days).dt.date
    assert got.index.equals(days.index)
    assert got.isna().sum() == want.isna().sum() == 21
    assert all(type(d) is date for d in got.dropna())
    assert (got.dropna() == want.dropna()).all()
    assert got.iloc[1] == date(2026, 2, 26) and got.iloc[5] == date(2026, 3, 2)


def test_as_dates_of_date_objects_and_empty() -> None:
    objs = pd.Series([date(2026, 1, 2), date(2026, 1, 1), date(2026, 1, 2)])
    assert as_dates(objs).tolist() == objs.tolist()
    assert as_dates(pd.Series([], dtype="datetime64[ns]")).empty


def test_load_metrics_returns_dates_sorted_by_day() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE metrics (model VARCHAR, day DATE, family VARCHAR, metric VARCHAR, "
        "subject VARCHAR, value DOUBLE, lower DOUBLE, upper DOUBLE, status VARCHAR)"
    )
    con.execute(
        "INSERT INTO metrics VALUES ('m', '2026-03-02', 'drift', 'psi', 'x', 0.3, NULL, NULL, "
        "'alert'), ('m', '2026-03-01', 'drift', 'psi', 'x', 0.1, NULL, NULL, 'ok'), "
        "('other', '2026-03-01', 'drift', 'psi', 'x', 9.0, NULL, NULL, 'ok')"
    )
    frame = load_metrics(con, "m", date(2026, 3, 1), date(2026, 3, 2))
    assert frame["day"].tolist() == [date(2026, 3, 1), date(2026, 3, 2)]
    assert frame["value"].tolist() == [0.1, 0.3]
    assert load_metrics(con, "m", date(2026, 3, 1), date(2026, 3, 2), families=[]).empty


def test_headline_series_against_pandas_query() -> None:
    import numpy as np

    rng = np.random.default_rng(3)
    n = 5000
    frame = pd.DataFrame(
        {
            "day": [date(2026, 1, 1 + int(d)) for d in rng.integers(0, 28, n)],
            "family": rng.choice(["drift", "performance", "health"], n).astype(object),
            "metric": rng.choice(["rows", "roc_auc", "psi"], n).astype(object),
            "subject": rng.choice(["", "", "age", "segment=a"], n).astype(object),
            "value": rng.normal(size=n),
            "lower": rng.normal(size=n),
            "upper": rng.normal(size=n),
            "status": rng.choice(["ok", "warn", "alert"], n).astype(object),
        },
        index=rng.permutation(n) + 100,  # not a range: positions, not labels, are used
    )
    for family in ("drift", "performance", "absent"):
        for metric in ("rows", "roc_auc"):
            want = frame.query("family == @family and metric == @metric and subject == ''")[
                ["day", "value", "lower", "upper", "status"]
            ].reset_index(drop=True)
            got = headline_series(frame, family, metric)
            pd.testing.assert_frame_equal(got, want)
            assert family != "absent" or got.empty
