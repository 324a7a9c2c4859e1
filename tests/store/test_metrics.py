"""The metrics table: a family's rows of one model's day are replaced as a whole."""

from __future__ import annotations

from datetime import date

import duckdb

from monitoring_pipelines.store.metrics import Metric, replace_families, replace_metrics
from monitoring_pipelines.store.schema import ensure_shared_tables

DAY = date(2026, 3, 1)


def _rows(con) -> list[tuple]:
    return con.execute(
        "SELECT model, day, family, metric, subject, value, status, run_id FROM metrics "
        "ORDER BY model, day, family, metric, subject"
    ).fetchall()


def test_several_families_are_replaced_together_and_nothing_else():
    con = duckdb.connect()
    ensure_shared_tables(con)
    for family in ("performance", "estimation_error", "drift"):
        replace_metrics(con, model="m", day=DAY, family=family, metrics=[Metric("old", 1.0)])
    replace_metrics(con, model="other", day=DAY, family="performance", metrics=[Metric("x", 2.0)])
    replace_metrics(con, model="m", day=date(2026, 3, 2), family="performance",
                    metrics=[Metric("x", 3.0)])  # fmt: skip
    written = replace_families(
        con,
        model="m",
        day=DAY,
        families={
            "performance": [Metric("roc_auc", 0.8, status="warn"), Metric("recall", 0.5, "seg")],
            "estimation_error": [],  # an empty family: its old rows go, none come
        },
        run_id="r1",
    )
    assert written == 2
    assert _rows(con) == [
        ("m", DAY, "drift", "old", "", 1.0, "ok", None),
        ("m", DAY, "performance", "recall", "seg", 0.5, "ok", "r1"),
        ("m", DAY, "performance", "roc_auc", "", 0.8, "warn", "r1"),
        ("m", date(2026, 3, 2), "performance", "x", "", 3.0, "ok", None),
        ("other", DAY, "performance", "x", "", 2.0, "ok", None),
    ]
    # the same figures one family at a time give the same table
    one = duckdb.connect()
    ensure_shared_tables(one)
    for family, metrics in (("performance", [Metric("roc_auc", 0.8, status="warn"),
                                             Metric("recall", 0.5, "seg")]),
                            ("estimation_error", [])):  # fmt: skip
        replace_metrics(one, model="m", day=DAY, family=family, metrics=metrics, run_id="r1")
    assert _rows(one) == [r for r in _rows(con) if r[0] == "m" and r[1] == DAY and r[2] != "drift"]
    assert replace_families(con, model="m", day=DAY, families={}) == 0
