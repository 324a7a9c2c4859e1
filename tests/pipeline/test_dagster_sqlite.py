"""The project's dagster.yaml storages (Dagster's SQLite storages with their engines kept): the
same files as Dagster's own, visible to other instances at once, bounded, safe across fork."""

import multiprocessing
import shutil
from collections import OrderedDict
from pathlib import Path

import dagster as dg
import pytest

from monitoring_pipelines.store import dagster_sqlite
from monitoring_pipelines.store.dagster_sqlite import (
    MAX_ENGINES,
    PooledSqliteEventLogStorage,
    PooledSqliteInstance,
    PooledSqliteRunStorage,
    PooledSqliteScheduleStorage,
)
from tests.conftest import REPO


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
def thing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"key": context.partition_key})


@dg.asset_check(asset=thing)
def thing_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def project_home(tmp_path: Path, monkeypatch) -> Path:
    """A DAGSTER_HOME with the repository's dagster.yaml, as the Makefile and CLI set up."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _materialize(instance: dg.DagsterInstance, key: str) -> str:
    result = dg.materialize([thing, thing_check], instance=instance, partition_key=key)
    assert result.success
    return result.run_id


def _latest(instance: dg.DagsterInstance, key: str):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=thing.key, asset_partitions=[key]), limit=1
    ).records
    return records[0] if records else None


def test_project_instance_uses_the_pooled_storages_in_its_own_folder(project_home, monkeypatch):
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance, PooledSqliteInstance)
        assert isinstance(instance.run_storage, PooledSqliteRunStorage)
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert isinstance(instance.schedule_storage, PooledSqliteScheduleStorage)
    # loaded from its folder, not from $DAGSTER_HOME: the storage is that folder's
    monkeypatch.delenv("DAGSTER_HOME")
    with dg.DagsterInstance.from_config(str(project_home)) as instance:
        run = _materialize(instance, "a")
    assert (project_home / "history" / "runs" / f"{run}.db").exists()
    # an explicit storage in dagster.yaml still wins over the pooled default
    other = project_home.parent / "explicit"
    other.mkdir()
    text = (REPO / "dagster.yaml").read_text()
    storage = other / "elsewhere"
    (other / "dagster.yaml").write_text(text + f"storage:\n  sqlite:\n    base_dir: {storage}\n")
    with dg.DagsterInstance.from_config(str(other)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        _materialize(instance, "a")
    assert (storage / "history" / "runs.db").exists()


def test_same_files_as_dagsters_own_sqlite_storage_and_writes_seen_at_once(project_home):
    with dg.DagsterInstance.get() as pooled, dg.DagsterInstance.get() as other:
        first = _materialize(pooled, "a")
        # the default layout: history/runs.db, history/runs/<run>.db, schedules/schedules.db
        assert (project_home / "history" / "runs.db").exists()
        assert (project_home / "history" / "runs" / f"{first}.db").exists()
        assert (project_home / "schedules" / "schedules.db").exists()
        seen = _latest(other, "a")  # a second instance (another process's view) reads it
        assert seen is not None and seen.run_id == first
        # ... and a write after its engine was opened: nothing read from a stale connection
        second = _materialize(other, "a")
        assert _latest(pooled, "a").run_id == second
        assert {r.run_id for r in pooled.get_runs()} == {first, second}
        types = {e.dagster_event_type for e in pooled.all_logs(second)}
        t = dg.DagsterEventType
        assert {t.ASSET_MATERIALIZATION, t.ASSET_CHECK_EVALUATION, t.RUN_SUCCESS} <= types
    # Dagster's own SQLite storage reads what the pooled one wrote (an existing home carries on)
    plain = project_home.parent / "plain_home"
    shutil.copytree(project_home, plain)
    (plain / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(plain)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert {r.run_id for r in instance.get_runs()} == {first, second}
        assert _latest(instance, "a").run_id == second


def test_engines_are_bounded_and_older_runs_stay_readable(project_home):
    with dg.DagsterInstance.get() as instance:
        runs = [_materialize(instance, "b") for _ in range(MAX_ENGINES + 3)]
        engines = instance.event_log_storage._engines
        assert len(engines.items) <= MAX_ENGINES
        oldest = instance.all_logs(runs[0])  # its engine was disposed; a new one opens
        assert any(e.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS for e in oldest)
        assert len(engines.items) <= MAX_ENGINES


def test_has_table_answers_as_dagsters_on_the_kept_index_engine(project_home, monkeypatch):
    """Dagster asks has_table dozens of times a run; the pooled storage answers as
    Dagster's own does, without a new engine each time."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    with dg.DagsterInstance.get() as instance:
        _materialize(instance, "a")
        storage = instance.event_log_storage
        created = []
        real = dagster_sqlite.db.create_engine
        monkeypatch.setattr(
            dagster_sqlite.db, "create_engine", lambda *a, **kw: created.append(a) or real(*a, **kw)
        )
        for table in ("event_logs", "asset_keys", "asset_check_executions", "no_such_table"):
            assert storage.has_table(table) == SqliteEventLogStorage.has_table(storage, table)
        assert storage.has_table("event_logs") and not storage.has_table("no_such_table")
        assert created == []  # the index's engine was already kept


def test_wipe_then_carry_on(project_home):
    with dg.DagsterInstance.get() as instance:
        _materialize(instance, "a")
        instance.wipe()
        assert instance.get_runs() == []
        run = _materialize(instance, "a")
        assert _latest(instance, "a").run_id == run


def _child(queue) -> None:
    inherited = sum(len(e.items) for e in list(dagster_sqlite._LIVE))
    with dg.DagsterInstance.get() as instance:
        queue.put((inherited, len(instance.get_runs())))


def test_a_forked_child_drops_the_inherited_engines(project_home):
    with dg.DagsterInstance.get() as instance:
        _materialize(instance, "a")
        assert sum(len(e.items) for e in list(dagster_sqlite._LIVE)) > 0
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child, args=(queue,))
        child.start()
        inherited, runs = queue.get(timeout=60)
        child.join(timeout=60)
        assert child.exitcode == 0
        assert inherited == 0 and runs == 1
        assert len(instance.get_runs()) == 1  # the parent's engines still work


def test_a_run_worker_rebuilds_the_same_instance_from_its_serialized_ref(project_home):
    """Run launchers hand a run's process the instance as a serialized InstanceRef."""
    from dagster._serdes import deserialize_value, serialize_value

    with dg.DagsterInstance.get() as instance:
        run = _materialize(instance, "a")
        text = serialize_value(instance.get_ref())
    with dg.DagsterInstance.from_ref(deserialize_value(text)) as worker:
        assert isinstance(worker, PooledSqliteInstance)
        assert isinstance(worker.event_log_storage, PooledSqliteEventLogStorage)
        assert worker.get_run_by_id(run) is not None


def _schema(path: Path) -> tuple[set, list, str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        sql = {r for r in conn.execute("SELECT type, name, sql FROM sqlite_master")}
        revision = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    return sql, revision, mode


def test_a_new_runs_shard_is_a_copy_of_what_dagsters_initdb_makes(project_home, tmp_path):
    """New run shards are copied from a template Dagster's own _initdb made once, not
    initialised one by one: the same tables, indexes, alembic revision and WAL mode."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    with dg.DagsterInstance.get() as instance:
        runs = [_materialize(instance, key) for key in ("a", "b")]
        storage = instance.event_log_storage
        folder = Path(storage._base_dir)
        assert (folder / dagster_sqlite.TEMPLATE).exists()
        assert sorted(storage.get_all_run_ids()) == sorted(runs)  # the template is no run
    plain = SqliteEventLogStorage(str(tmp_path / "plain"))
    with plain._connect("own"):
        pass  # Dagster's own _initdb of a new shard
    expected = _schema(tmp_path / "plain" / "own.db")
    assert expected[1] and expected[2] == "wal"
    for run in runs:
        assert _schema(folder / f"{run}.db") == expected
    assert not list(folder.glob("*.tmp"))


def test_a_shard_another_process_made_first_is_checked_not_replaced(project_home, tmp_path):
    """A shard that exists when the run first connects (made by another process, or by
    Dagster's own storage) is left as it is and checked by Dagster's _initdb."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    with dg.DagsterInstance.get() as instance:
        run = _materialize(instance, "a")
        folder = Path(instance.event_log_storage._base_dir)
        logs = len(instance.all_logs(run))
    with dg.DagsterInstance.get() as other:  # a fresh process's view: nothing initialised
        storage = other.event_log_storage
        calls = []
        real = SqliteEventLogStorage._initdb
        storage._initdb = lambda engine, **kw: calls.append(engine.url) or real(storage, engine)
        assert len(other.all_logs(run)) == logs  # the shard kept its events
        assert any(str(url).endswith(f"{run}.db") for url in calls)
        created = storage._create_from_template(run)
        assert created is False and len(other.all_logs(run)) == logs
    assert _schema(folder / f"{run}.db")[2] == "wal"


LEAVE_OPEN = """
import dagster as dg
@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b", "c"]))
def thing(context):
    return dg.MaterializeResult(metadata={"key": context.partition_key})
instance = dg.DagsterInstance.get()  # never disposed: the process just ends, as the CLI's does
for key in ("a", "b", "c"):
    assert dg.materialize([thing], instance=instance, partition_key=key).success
from pathlib import Path
wal = list(Path(instance.event_log_storage._base_dir).glob("*.db-wal"))
print("wal files before exit:", len(wal))  # the index's and the three runs'
"""


def test_the_process_closes_its_connections_at_exit_so_no_wal_file_is_left(project_home):
    """SQLite removes a database's -wal file when its last connection closes; a process that
    ends with them open leaves about 4 MB a run shard behind, which nothing folds in later."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", LEAVE_OPEN], capture_output=True, text=True, check=True,
        cwd=REPO, timeout=300,
    ).stdout  # fmt: skip
    assert "wal files before exit: 4" in out  # open while the process ran
    history = project_home / "history"
    assert sorted(p.name for p in history.rglob("*-wal")) == []
    with dg.DagsterInstance.get() as instance:  # and nothing was lost
        runs = instance.get_runs()
        assert len(runs) == 3
        for run in runs:
            types = {e.dagster_event_type for e in instance.all_logs(run.run_id)}
            assert dg.DagsterEventType.ASSET_MATERIALIZATION in types
        assert _latest(instance, "c") is not None


def test_closing_at_exit_never_waits_on_a_thread_holding_the_engines(tmp_path):
    """At exit a daemon thread may still hold an Engines' lock: the close gives up after its
    timeout instead of hanging the process's end."""
    import threading
    import time

    engines = dagster_sqlite.Engines(2)
    engines.get(f"sqlite:///{tmp_path / 'x.db'}")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engines.lock:
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    held.wait(10)
    started = time.monotonic()
    engines.dispose(timeout=0.2)
    assert time.monotonic() - started < 5 and len(engines.items) == 1  # gave up, kept
    release.set()
    thread.join(10)
    engines.dispose(timeout=0.2)
    assert engines.items == OrderedDict()


def test_a_template_that_cannot_be_made_falls_back_to_dagsters_initdb(project_home):
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage

        def broken() -> str:
            raise RuntimeError("the template could not be made")

        storage._template = broken
        run = _materialize(instance, "a")  # the shard made by Dagster's own _initdb
        assert _latest(instance, "a").run_id == run
        folder = Path(storage._base_dir)
        assert not (folder / dagster_sqlite.TEMPLATE).exists()
        assert _schema(folder / f"{run}.db")[2] == "wal"
