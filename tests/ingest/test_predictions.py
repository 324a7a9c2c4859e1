"""Ingestion of prediction logs: idempotent, atomic, and strict about bad files."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from monitoring_pipelines.ingest import predictions as ingest_mod
from monitoring_pipelines.ingest.files import IngestionError
from monitoring_pipelines.ingest.predictions import ingest_predictions
from tests.conftest import toy_frame, write_day

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def _ingest(con, cfg, home, day):
    return ingest_predictions(con, cfg, home.resolve(cfg.logs.path), home.quarantine_dir, day)


def _rows(con, day=None):
    where = "WHERE _day = ?" if day else ""
    return con.execute(
        f"SELECT count(*) FROM predictions__toy {where}", [day] if day else []
    ).fetchone()[0]


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_each_format_is_ingested_with_declared_types(con, toy, home, fmt):
    toy = toy.model_copy(
        update={"logs": toy.logs.model_copy(update={"path": f"landing/toy/{{day}}.{fmt}"})}
    )
    frame = toy_frame(D1, n=150)
    write_day(home, D1, frame, fmt)
    res = _ingest(con, toy, home, D1)
    assert res.rows == 150 and res.schema_changes == []
    types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = 'predictions__toy'"
        ).fetchall()
    )
    assert types["score"] == "DOUBLE" and types["prediction"] == "VARCHAR"
    assert types["timestamp"] == "TIMESTAMP"
    stored = con.execute(
        "SELECT prediction, score FROM predictions__toy ORDER BY prediction_id"
    ).df()
    expected = frame.sort_values("prediction_id")
    assert set(stored["prediction"]) <= {"0", "1"}
    assert (stored["prediction"].astype(int).values == expected["prediction"].values).all()
    assert stored["score"].values == pytest.approx(expected["score"].values)


def test_ingesting_a_day_twice_gives_the_same_rows(con, toy, home):
    write_day(home, D1, toy_frame(D1))
    write_day(home, D2, toy_frame(D2, seed=1))
    _ingest(con, toy, home, D1)
    _ingest(con, toy, home, D2)
    first = con.execute(
        "SELECT * EXCLUDE (_ingested_at) FROM predictions__toy ORDER BY prediction_id"
    ).df()
    _ingest(con, toy, home, D1)
    again = con.execute(
        "SELECT * EXCLUDE (_ingested_at) FROM predictions__toy ORDER BY prediction_id"
    ).df()
    pd.testing.assert_frame_equal(first, again)
    assert _rows(con) == 400
    assert con.execute("SELECT count(*) FROM ingestion_log").fetchone()[0] == 2
    assert (
        con.execute(
            "SELECT count(*) FROM metrics WHERE family = 'ingestion' AND metric = 'rows'"
        ).fetchone()[0]
        == 2
    )


def test_failure_half_way_leaves_the_previous_rows(con, toy, home, monkeypatch):
    write_day(home, D1, toy_frame(D1, n=200))
    _ingest(con, toy, home, D1)
    before = con.execute("SELECT prediction_id, score FROM predictions__toy ORDER BY 1").df()
    write_day(home, D1, toy_frame(D1, n=300, seed=9))  # a re-delivery of the day

    def crash(*args, **kwargs):
        # the new rows are written by now, inside the open transaction
        assert con.execute("SELECT count(*) FROM predictions__toy").fetchone()[0] == 300
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_mod, "_record_ingestion", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        _ingest(con, toy, home, D1)
    after = con.execute("SELECT prediction_id, score FROM predictions__toy ORDER BY 1").df()
    pd.testing.assert_frame_equal(before, after)
    assert con.execute("SELECT rows FROM ingestion_log").fetchone()[0] == 200


def _bad_file_cases(home, toy):
    def unreadable():
        p = home.home / "landing/toy" / f"{D2}.parquet"
        p.write_bytes(b"this is not parquet at all")
        return None

    def empty():
        write_day(home, D2, toy_frame(D2).iloc[:0])
        return None

    def missing_required():
        write_day(home, D2, toy_frame(D2).drop(columns=["score"]))
        return "score"

    def wrong_type():
        f = toy_frame(D2)
        f["x1"] = f["x1"].astype(str)
        f.loc[5, "x1"] = "twelve"
        write_day(home, D2, f)
        return "x1"

    def duplicate_ids():
        f = toy_frame(D2)
        f.loc[3, "prediction_id"] = f.loc[4, "prediction_id"]
        write_day(home, D2, f)
        return "prediction_id"

    def id_of_another_day():
        f = toy_frame(D2)
        f.loc[0, "prediction_id"] = f"toy-{D1}-7"
        write_day(home, D2, f)
        return "prediction_id"

    return {
        "unreadable": unreadable,
        "empty": empty,
        "missing_required": missing_required,
        "wrong_type": wrong_type,
        "duplicate_ids": duplicate_ids,
        "id_of_another_day": id_of_another_day,
    }


@pytest.mark.parametrize(
    "case",
    ["unreadable", "empty", "missing_required", "wrong_type", "duplicate_ids", "id_of_another_day"],
)
def test_bad_file_is_quarantined_and_named(con, toy, home, case):
    write_day(home, D1, toy_frame(D1))
    _ingest(con, toy, home, D1)
    (home.home / "landing/toy").mkdir(parents=True, exist_ok=True)
    # a good D2 first, then a bad re-delivery of D2: the good rows must survive
    write_day(home, D2, toy_frame(D2))
    _ingest(con, toy, home, D2)
    before = con.execute(
        "SELECT * EXCLUDE (_ingested_at) FROM predictions__toy ORDER BY prediction_id"
    ).df()
    column = _bad_file_cases(home, toy)[case]()
    bad = home.home / "landing/toy" / f"{D2}.parquet"
    mode = bad.stat().st_mode
    with pytest.raises(IngestionError) as info:
        _ingest(con, toy, home, D2)
    err = info.value
    assert err.file == str(bad) and str(bad) in str(err)
    assert err.column == column
    if column:
        assert f"'{column}'" in str(err)
    assert not bad.exists()
    moved = home.quarantine_dir / "toy" / bad.name
    assert moved.exists() and moved.stat().st_mode == mode
    meta = json.loads((moved.parent / (moved.name + ".error.json")).read_text())
    assert meta["column"] == column and meta["reason"] == err.reason
    row = con.execute(
        'SELECT file, "column", reason, quarantined_to FROM ingestion_errors'
    ).fetchall()
    assert row == [(str(bad), column, err.reason, str(moved))]
    after = con.execute(
        "SELECT * EXCLUDE (_ingested_at) FROM predictions__toy ORDER BY prediction_id"
    ).df()
    pd.testing.assert_frame_equal(before, after)


def test_schema_changes_are_detected_and_recorded(con, toy, home):
    f = toy_frame(D1).drop(columns=["x2"]).rename(columns={"color": "colour"})
    f["x1"] = f["x1"].astype(str)  # castable, but the type changed upstream
    f["brand_new"] = 1
    write_day(home, D1, f)
    res = _ingest(con, toy, home, D1)
    changes = {(c.column, c.change) for c in res.schema_changes}
    assert changes == {
        ("x2", "missing"),
        ("color", "missing"),
        ("colour", "new"),
        ("brand_new", "new"),
        ("x1", "retyped"),
    }
    stored = con.execute(
        "SELECT count(x2), count(color), count(x1) FROM predictions__toy"
    ).fetchone()
    assert stored == (0, 0, 200)
    rows = con.execute('SELECT "column", change FROM schema_changes ORDER BY 1').fetchall()
    assert set(rows) == changes
    m = dict(
        con.execute(
            "SELECT metric, value FROM metrics WHERE family = 'ingestion' AND subject = ''"
        ).fetchall()
    )
    assert m["missing_columns"] == 2 and m["new_columns"] == 2 and m["retyped_columns"] == 1


def test_a_folder_per_day_is_one_partition(con, toy, home):
    toy = toy.model_copy(
        update={"logs": toy.logs.model_copy(update={"path": "landing/toy/{day}/*.csv"})}
    )
    folder = home.home / "landing/toy" / D1.isoformat()
    folder.mkdir(parents=True)
    f = toy_frame(D1, n=100)
    f.iloc[:60].to_csv(folder / "part-0.csv", index=False)
    f.iloc[60:].to_csv(folder / "part-1.csv", index=False)
    assert _ingest(con, toy, home, D1).rows == 100
    assert _rows(con, D1) == 100


def test_no_file_keeps_what_is_stored(con, toy, home):
    path = write_day(home, D1, toy_frame(D1))
    _ingest(con, toy, home, D1)
    path.unlink()
    res = _ingest(con, toy, home, D1)
    assert res.kept_previous and res.rows == 200 and _rows(con, D1) == 200


def test_hostile_column_name_is_harmless(con, toy, home):
    f = toy_frame(D1)
    f['x"; DROP TABLE metrics; --'] = 1.0
    write_day(home, D1, f)
    res = _ingest(con, toy, home, D1)
    assert ('x"; DROP TABLE metrics; --', "new") in {
        (c.column, c.change) for c in res.schema_changes
    }
    assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] > 0


def test_one_scan_type_check_raises_what_the_column_checks_raise():
    """check_castable_columns (one query) raises the error check_castable raises on the first
    bad column in order, and nothing when every value casts."""
    import duckdb

    from monitoring_pipelines.ingest.casting import check_castable, check_castable_columns

    con = duckdb.connect()
    con.execute(
        """CREATE TABLE r AS SELECT * FROM (VALUES
             ('1.5', '2024-01-01 00:00:00', 'x', 3.0),
             ('two', 'noon', 'y', 4.0),
             (NULL, NULL, NULL, NULL)) t(a, b, c, d)"""
    )
    good = [("c", "VARCHAR", "VARCHAR"), ("d", "DOUBLE", "VARCHAR")]
    check_castable_columns(con, "r", good, "f.parquet")
    for c, raw, target in good:
        check_castable(con, "r", c, raw, target, "f.parquet")
    for columns in (
        [*good, ("a", "VARCHAR", "DOUBLE"), ("b", "VARCHAR", "TIMESTAMP")],
        [("b", "VARCHAR", "TIMESTAMP"), *good, ("a", "VARCHAR", "DOUBLE")],
    ):
        first = next(c for c in columns if c[0] in "ab")
        with pytest.raises(IngestionError) as one:
            check_castable(con, "r", *first, "f.parquet")
        with pytest.raises(IngestionError) as combined:
            check_castable_columns(con, "r", columns, "f.parquet")
        assert (combined.value.file, combined.value.column, combined.value.reason) == (
            one.value.file,
            one.value.column,
            one.value.reason,
        )
        assert combined.value.column == first[0] and "1 of 3 values" in combined.value.reason
