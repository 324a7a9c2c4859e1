"""The store vacuums (merges row groups) at one writable open in MONITORING_COMPACT_EVERY:
the counter, the setting each open gets, and what DuckDB does with it."""

from __future__ import annotations

import duckdb
import pytest

from monitoring_pipelines.store.compaction import counter_file, vacuum_now
from monitoring_pipelines.store.connection import connect

DAY_ROWS = 40_000  # an append this large gets a row group of its own


def _tasks(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT current_setting('max_vacuum_tasks')").fetchone()[0])


def _row_groups(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(
        f"SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('{table}') "
        "WHERE column_id = 0"
    ).fetchone()[0]


def _append_day(db, day: int) -> None:
    con = connect(db)
    try:
        con.execute("CREATE TABLE IF NOT EXISTS t (day INTEGER, x DOUBLE, s VARCHAR)")
        con.execute("DELETE FROM t WHERE day = ?", [day])
        con.execute(
            f"INSERT INTO t SELECT ?, random(), 'row ' || i FROM range({DAY_ROWS}) r(i)", [day]
        )
    finally:
        con.close()


def test_every_nth_writable_open_vacuums(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "3")
    db = tmp_path / "store.duckdb"
    seen = []
    for _ in range(7):
        con = connect(db)
        seen.append(_tasks(con))
        con.close()
    assert seen == [0, 0, 100, 0, 0, 100, 0]
    assert counter_file(db).read_text() == "1"
    ro = connect(db, read_only=True)  # a reader changes nothing and is not counted
    ro.close()
    assert counter_file(db).read_text() == "1"


def test_every_one_is_duckdbs_default(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "1")
    db = tmp_path / "store.duckdb"
    for _ in range(2):
        con = connect(db)
        assert _tasks(con) == 100
        con.close()


@pytest.mark.parametrize("value", ["0", "-2", "often"])
def test_bad_setting_is_named(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", value)
    with pytest.raises(ValueError, match="MONITORING_COMPACT_EVERY"):
        connect(tmp_path / "store.duckdb")


def test_unreadable_counter_vacuums_and_starts_again(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "5")
    db = tmp_path / "store.duckdb"
    connect(db).close()  # the store exists; the count is kept beside it
    counter_file(db).write_text("not a number")
    assert vacuum_now(db) is True
    assert counter_file(db).read_text() == "0"
    assert vacuum_now(db) is False


def test_days_stay_in_own_row_groups_until_the_vacuuming_open_merges_them(tmp_path, monkeypatch):
    """DuckDB's side of the bargain: without vacuuming, each appended day keeps a row group of
    its own, a re-run day's emptied group is dropped, nothing is lost; the vacuuming open's
    checkpoint merges them into full row groups with the same rows."""
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "8")
    db = tmp_path / "store.duckdb"
    for day in range(5):
        _append_day(db, day)
    _append_day(db, 2)  # a day run again: its rows replaced
    with duckdb.connect(str(db), read_only=True) as con:
        assert _row_groups(con, "t") == 5
        before = con.execute(
            "SELECT day, count(*), round(sum(x), 6) FROM t GROUP BY day ORDER BY day"
        ).fetchall()
    assert [(d, n) for d, n, _ in before] == [(d, DAY_ROWS) for d in range(5)]
    _append_day(db, 5)  # the 7th writable open: still not vacuuming
    _append_day(db, 5)  # the 8th: its checkpoint merges
    with duckdb.connect(str(db), read_only=True) as con:
        assert _row_groups(con, "t") == 2  # 240,000 rows in groups of up to 122,880
        after = con.execute(
            "SELECT day, count(*), round(sum(x), 6) FROM t GROUP BY day ORDER BY day"
        ).fetchall()
    assert after[:5] == before
    assert after[5][:2] == (5, DAY_ROWS)


def test_no_store_file_no_count(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "5")
    absent = tmp_path / "absent.duckdb"
    assert vacuum_now(absent) is True  # nothing to keep a count beside: DuckDB's default
    assert counter_file(absent) is None
    assert list(tmp_path.iterdir()) == []
