"""kept_open: one open of the store for a run; connections inside are cursors of it, and the
file is released (to other processes) when it ends."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from monitoring_pipelines.store import connection
from monitoring_pipelines.store.connection import connect, kept_open, transaction

PROBE = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True).close()"


def _other_process_can_open(path) -> bool:
    return (
        subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True).returncode
        == 0
    )


def test_connections_inside_share_one_open_store(tmp_path, monkeypatch):
    db = tmp_path / "m.duckdb"
    connect(db).close()
    opens = []
    real = duckdb.connect
    monkeypatch.setattr(
        connection.duckdb, "connect", lambda *a, **k: opens.append(a) or real(*a, **k)
    )
    with kept_open(db):
        a = connect(db)
        with transaction(a):
            a.execute("CREATE TABLE t AS SELECT 1 AS x")
        a.close()
        b = connect(db, read_only=True)  # a cursor too: no "different configuration" error
        assert b.execute("SELECT x FROM t").fetchall() == [(1,)]
        b.close()
        with kept_open(db):  # nested: the same open store
            connect(db).close()
        assert not _other_process_can_open(db)  # held for the run
    assert len(opens) == 1
    assert _other_process_can_open(db)  # released at the end
    c = connect(db, read_only=True)
    assert c.execute("SELECT x FROM t").fetchall() == [(1,)]
    c.close()


def test_an_error_inside_releases_the_store(tmp_path):
    db = tmp_path / "m.duckdb"
    with pytest.raises(RuntimeError), kept_open(db):
        connect(db).execute("CREATE TABLE t (x INT)")
        raise RuntimeError("step failed")
    assert not connection._KEPT
    assert _other_process_can_open(db)
