"""The bench's new-day measurement restores the state of a home before each run."""

from __future__ import annotations

from bench.run import keep_state, restore_state


def test_restore_brings_back_the_kept_state_and_removes_what_came_after(tmp_path) -> None:
    home = tmp_path / "w1"
    (home / "data" / "monitoring.duckdb.derived").mkdir(parents=True)
    (home / "data" / "monitoring.duckdb").write_bytes(b"29 days")
    (home / "data" / "monitoring.duckdb.derived" / "a.parquet").write_bytes(b"a")
    (home / ".dagster").mkdir()
    (home / ".dagster" / "runs.db").write_bytes(b"runs")
    (home / "data" / "landing").mkdir()
    (home / "data" / "landing" / "day.parquet").write_bytes(b"log")
    kept = keep_state(home)
    assert not (kept / "data" / "landing").exists()  # the logs are only read: not copied

    (home / "data" / "monitoring.duckdb").write_bytes(b"30 days")
    (home / "data" / "monitoring.duckdb.wal").write_bytes(b"wal")
    (home / "data" / "monitoring.duckdb.derived" / "b.parquet").write_bytes(b"b")
    (home / ".dagster" / "runs.db").write_bytes(b"more runs")
    (home / "reports").mkdir()
    restore_state(home, kept)

    assert (home / "data" / "monitoring.duckdb").read_bytes() == b"29 days"
    assert not (home / "data" / "monitoring.duckdb.wal").exists()
    assert [p.name for p in (home / "data" / "monitoring.duckdb.derived").iterdir()] == [
        "a.parquet"
    ]
    assert (home / ".dagster" / "runs.db").read_bytes() == b"runs"
    assert not (home / "reports").exists()
    assert (home / "data" / "landing" / "day.parquet").read_bytes() == b"log"
