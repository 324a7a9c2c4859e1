"""The store vacuums (merges row groups) at one writable open in MONITORING_COMPACT_EVERY:
the counter, the setting each open gets, and what DuckDB does with it."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from monitoring_pipelines.store.compaction import counter_file, stored_rows, vacuum_now
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
    assert counter_file(db).read_text() == "1 0"  # opens since the last vacuum, rows then
    ro = connect(db, read_only=True)  # a reader changes nothing and is not counted
    ro.close()
    assert counter_file(db).read_text() == "1 0"


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


def test_rows_grown_since_the_last_vacuum_call_for_one(tmp_path, monkeypatch):
    """Days of 40,000 rows with a trigger at 100,000: the open that finds 120,000 rows more
    than at the last vacuum vacuums, and counting starts again from there."""
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "100")
    monkeypatch.setenv("MONITORING_COMPACT_ROWS", "100000")
    db = tmp_path / "store.duckdb"
    seen = []
    for day in range(7):
        con = connect(db)
        seen.append((stored_rows(con), _tasks(con)))
        con.close()
        _append_day(db, day)  # a writable open of its own
    # each day two writable opens (this check, then the append): rows as each check found them
    assert [r for r, _ in seen] == [0, 40_000, 80_000, 120_000, 160_000, 200_000, 240_000]
    assert [r for r, tasks in seen if tasks == 100] == [120_000, 240_000]
    assert counter_file(db).read_text() == "1 240000"


def test_rows_are_counted_across_tables_and_fewer_rows_call_for_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_ROWS", "100000")
    db = tmp_path / "store.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE a AS SELECT range AS i FROM range(70000)")
        con.execute("CREATE TABLE b AS SELECT range AS i FROM range(20000)")
        assert stored_rows(con) == 90_000
    assert vacuum_now(db, 40_000) is False  # the first count: rows from here on
    assert vacuum_now(db, 10_000) is False  # fewer rows (a retention purge): nothing due
    assert vacuum_now(db, 139_999) is False
    assert vacuum_now(db, 140_000) is True
    assert counter_file(db).read_text() == "0 140000"


def test_a_count_of_opens_only_is_read_and_rows_counted_from_then(tmp_path, monkeypatch):
    """The counter as it was before rows were counted ("<opens>"): no vacuum forced by it."""
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "20")
    db = tmp_path / "store.duckdb"
    connect(db).close()
    counter_file(db).write_text("5")
    assert vacuum_now(db, 5_000_000) is False
    assert counter_file(db).read_text() == "6 5000000"


def test_compact_rows_zero_counts_opens_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "3")
    monkeypatch.setenv("MONITORING_COMPACT_ROWS", "0")
    db = tmp_path / "store.duckdb"
    connect(db).close()  # the first open, counted
    assert [vacuum_now(db, rows) for rows in (10**9, 2 * 10**9)] == [False, True]


@pytest.mark.parametrize("value", ["-1", "many"])
def test_bad_compact_rows_is_named(tmp_path, monkeypatch, value):
    monkeypatch.setenv("MONITORING_COMPACT_ROWS", value)
    with pytest.raises(ValueError, match="MONITORING_COMPACT_ROWS"):
        connect(tmp_path / "store.duckdb")


def test_no_store_file_no_count(tmp_path, monkeypatch):
    monkeypatch.setenv("MONITORING_COMPACT_EVERY", "5")
    absent = tmp_path / "absent.duckdb"
    assert vacuum_now(absent) is True  # nothing to keep a count beside: DuckDB's default
    assert counter_file(absent) is None
    assert list(tmp_path.iterdir()) == []


# --- the store's memory cap (MONITORING_STORE_MEMORY) -------------------------------------

CLOSE_CHILD = """
import os, re, sys
os.environ["MONITORING_STORE_MEMORY"] = sys.argv[2]
os.environ["MONITORING_COMPACT_EVERY"] = "1"
from monitoring_pipelines.store.connection import connect

def peak_mb():  # this process image's own peak (ru_maxrss would start at the parent's)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024

con = connect(sys.argv[1])
before = peak_mb()
con.execute("INSERT INTO t SELECT * FROM t WHERE day = 0 LIMIT 10")
con.close()  # the checkpoint that vacuums: merges every day's partly filled row group
print(peak_mb() - before)
"""


DAYS = "SELECT day, count(*), round(sum(x3), 6) FROM t GROUP BY day ORDER BY day"


def _memory_limit(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_store_opens_capped_at_one_gigabyte_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("MONITORING_STORE_MEMORY", raising=False)
    db = tmp_path / "store.duckdb"
    con = connect(db)
    assert _memory_limit(con) == "953.6 MiB"  # 1GB, as DuckDB prints it
    con.close()
    ro = connect(db, read_only=True)
    assert _memory_limit(ro) == "953.6 MiB"
    ro.close()
    monkeypatch.setenv("MONITORING_STORE_MEMORY", "512MB")
    con = connect(db)
    assert _memory_limit(con) == "488.2 MiB"
    con.close()


def test_store_memory_zero_keeps_duckdbs_default(tmp_path, monkeypatch):
    with duckdb.connect() as plain:
        default = _memory_limit(plain)
    monkeypatch.setenv("MONITORING_STORE_MEMORY", "0")
    con = connect(tmp_path / "store.duckdb")
    assert _memory_limit(con) == default
    con.close()


def test_bad_store_memory_is_named_and_the_store_released(tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    monkeypatch.setenv("MONITORING_STORE_MEMORY", "lots")
    with pytest.raises(ValueError, match=r"MONITORING_STORE_MEMORY='lots'.*1GB"):
        connect(db)
    monkeypatch.setenv("MONITORING_STORE_MEMORY", "1GB")
    with duckdb.connect(str(db)) as other:  # the failed open did not keep the file's lock
        assert other.execute("SELECT 1").fetchone() == (1,)


def test_the_cap_bounds_the_vacuuming_checkpoint(tmp_path):
    """10 appended days of 170,000 rows, each leaving a partly filled row group: the close that
    merges them took ~430 MB more than the open without a cap, ~70 MB with a 64 MB cap, and
    the merged rows are the same."""
    db = tmp_path / "store.duckdb"
    cols = ", ".join(f"random() AS x{i}" for i in range(12))
    for day in range(10):
        with duckdb.connect(str(db)) as con:
            con.execute("SET GLOBAL max_vacuum_tasks = 0")  # leave the days unmerged
            con.execute(f"CREATE TABLE IF NOT EXISTS t AS SELECT 0 AS day, {cols} LIMIT 0")
            con.execute(f"INSERT INTO t SELECT {day}, {cols} FROM range(170000)")
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute(DAYS).fetchall()
        assert _row_groups(con, "t") == 20  # a full one and a partial one a day
    grown = {}
    for cap in ("0", "64MB"):
        copy = tmp_path / f"copy-{cap}.duckdb"
        copy.write_bytes(db.read_bytes())
        out = subprocess.run(
            [sys.executable, "-c", CLOSE_CHILD, str(copy), cap],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        grown[cap] = int(out.stdout)
        with duckdb.connect(str(copy), read_only=True) as con:
            assert _row_groups(con, "t") < 20
            after = con.execute(DAYS).fetchall()
        assert [r[:2] for r in after] == [(0, 170010)] + [r[:2] for r in before[1:]]
        assert after[1:] == before[1:]
    assert grown["0"] > 250, grown  # DuckDB's default lets the merge hold it all
    assert grown["64MB"] < 150, grown
