"""Dagster's SQLite storages with their SQLAlchemy engines kept, for the embedded default
instance (dagster.yaml).

Dagster's SQLite run, event log and schedule storages create a new engine, and so a new SQLite
connection and an empty statement cache, for every operation, and dispose of it afterwards. A
day's run makes about 900 of them (one per event stored, per input asset's data version read,
per dynamic partition looked up), about 2 s of an 8 s day. These subclasses keep one engine per
database file instead: its connection pool and compiled statements are reused.

dagster.yaml names :class:`PooledSqliteInstance` as its ``instance_class``: Dagster's instance,
whose default storage (used when dagster.yaml configures none) is :class:`PooledSqliteStorage`
in the instance's own folder instead of ``DagsterSqliteStorage``. Nothing else changes: the
same files in the same layout (one more, the template below; an existing $DAGSTER_HOME keeps
its history, and Dagster's own storage reads what these write), the same transactions, the
same busy timeout. A pooled connection holds no lock between operations (each is committed or
rolled back on return), so other processes (webserver, daemon, CLI) read and write the files
as before. Event log shards are one file per run: the engines of the least recently used
runs are disposed beyond :data:`MAX_ENGINES`. A forked child drops the engines it inherited
without closing them (the parent's connections are not the child's); at exit the process
closes its own, so SQLite folds each write-ahead log in and removes it. A new run's shard is a
copy of an empty one Dagster's ``_initdb`` made once in the same folder (:data:`TEMPLATE`),
not initialised anew.

PostgreSQL-backed Dagster (deploy/postgres) pools its connections already and does not use
these.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as db
import yaml
from dagster import DagsterInstance
from dagster import __version__ as DAGSTER_VERSION
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData

MAX_ENGINES = 8  # event log shards (the index and the latest runs) with an engine kept
# an empty run shard as Dagster's _initdb leaves it, copied for each new run (not a *.db name,
# which Dagster would take for a run's shard); the Dagster version names its schema
TEMPLATE = f".new-run-shard-{DAGSTER_VERSION}.sqlite"

_LIVE: weakref.WeakSet[Engines] = weakref.WeakSet()


class Engines:
    """SQLAlchemy engines by connection string, least recently used disposed beyond a limit."""

    def __init__(self, limit: int, **engine_args) -> None:
        self.limit, self.engine_args = limit, engine_args
        self.items: OrderedDict[str, db.Engine] = OrderedDict()
        self.lock = threading.Lock()
        _LIVE.add(self)

    def get(self, url: str) -> db.Engine:
        with self.lock:
            engine = self.items.get(url)
            if engine is None:
                engine = self.items[url] = db.create_engine(url, **self.engine_args)
            self.items.move_to_end(url)
            while len(self.items) > self.limit:
                self.items.popitem(last=False)[1].dispose()
            return engine

    def dispose(self, close: bool = True, timeout: float = -1) -> None:
        """Dispose of every engine; with a ``timeout`` (seconds), give up if another thread
        holds the lock that long."""
        if not self.lock.acquire(timeout=timeout):
            return
        try:
            for engine in self.items.values():
                engine.dispose(close=close)
            self.items.clear()
        finally:
            self.lock.release()


def _forget_after_fork() -> None:
    for engines in list(_LIVE):
        engines.dispose(close=False)  # the parent's connections stay the parent's


os.register_at_fork(after_in_child=_forget_after_fork)


def _close_at_exit() -> None:
    """Close every kept connection when the process ends. SQLite folds a database's
    write-ahead log into it and deletes the ``-wal`` file when its last connection closes;
    a process that ends with its connections open leaves the file behind (about 4 MB for
    each run shard with a kept engine: eight a CLI run, and Dagster never opens an old run's
    shard again to fold it in)."""
    for engines in list(_LIVE):
        with suppress(Exception):  # the process is ending: a failed close loses nothing
            engines.dispose(timeout=1.0)  # a daemon thread may hold the lock: never hang


atexit.register(_close_at_exit)


def _beside(path: str) -> str:
    """A temporary name next to ``path`` that no other process or thread uses."""
    return f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"


@contextmanager
def _transaction(engine: db.Engine) -> Iterator[db.Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


class _FromLocal:
    """Built from config by the class's own ``from_local`` (Dagster's names its base class)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls.from_local(inst_data=inst_data, **config_value)


class _OneEngine(_FromLocal):
    """For a storage of one database file (``_conn_string``): its engine kept."""

    _conn_string: str

    def __init__(self, *args, **kwargs) -> None:
        self._engines = Engines(1)
        super().__init__(*args, **kwargs)

    @contextmanager
    def connect(self) -> Iterator[db.Connection]:
        with _transaction(self._engines.get(self._conn_string)) as conn:
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteRunStorage(_OneEngine, SqliteRunStorage):
    """``SqliteRunStorage`` (``<base_dir>/runs.db``) with its engine kept."""


class PooledSqliteScheduleStorage(_OneEngine, SqliteScheduleStorage):
    """``SqliteScheduleStorage`` (``<base_dir>/schedules.db``) with its engine kept."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` (``<base_dir>/``: one file per run plus the index) with the
    engines of the index and the latest runs kept."""

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._engines = Engines(MAX_ENGINES, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.Connection]:
        with self._db_lock:
            engine = self._engines.get(self.conn_string_for_shard(shard))
            if shard not in self._initialized_dbs:
                if shard == INDEX_SHARD_NAME or not self._create_from_template(shard):
                    self._initdb(engine)
                self._initialized_dbs.add(shard)
            with _transaction(engine) as conn:
                yield conn

    def _create_from_template(self, shard: str) -> bool:
        """Create a new run's shard as a copy of :data:`TEMPLATE` (made once by Dagster's own
        ``_initdb``), instead of ``_initdb`` on every new shard: that loads alembic's
        configuration and migration scripts to check the revision, creates the tables and
        stamps the revision, about 0.1 s a run; a copy takes under a millisecond. False (and
        nothing done) when the shard exists already, as when another process made it first:
        Dagster's ``_initdb`` then checks it as before."""
        path = self.path_for_shard(shard)
        if os.path.exists(path):
            return False
        try:
            template = self._template()
        except Exception:  # only a shortcut: Dagster's own initialisation follows
            return False
        tmp = _beside(path)
        try:
            shutil.copyfile(template, tmp)
            os.link(tmp, path)  # never over a shard that appeared meanwhile
        except OSError:  # FileExistsError, or no hard links on this file system
            return False
        finally:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
        return True

    def _template(self) -> str:
        """The path of :data:`TEMPLATE` in the shards' folder, made on first use."""
        path = os.path.join(self._base_dir, TEMPLATE)
        if os.path.exists(path):
            return path
        tmp = _beside(path)
        engine = db.create_engine(
            f"sqlite:///{tmp}", poolclass=db.pool.NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )  # fmt: skip
        try:
            self._initdb(engine)  # Dagster's own: tables, WAL mode, alembic's head stamped
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()  # its last connection closed: the log folded in and removed
            os.replace(tmp, path)  # whole, or not at all
        finally:
            engine.dispose()  # (already, unless _initdb failed)
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                with suppress(FileNotFoundError):
                    os.unlink(leftover)
        return path

    def has_table(self, table_name: str) -> bool:
        """As Dagster's, on the index's kept engine (Dagster asks about 70 times a run, each
        time through a new engine)."""
        engine = self._engines.get(self.conn_string_for_shard(INDEX_SHARD_NAME))
        with engine.connect() as conn:  # no lock, as Dagster's: it is asked inside _connect
            return bool(engine.dialect.has_table(conn, table_name))

    def wipe(self) -> None:
        self._engines.dispose()  # before the shard files are removed
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._engines.dispose()


class PooledSqliteStorage(_FromLocal, DagsterSqliteStorage):
    """``DagsterSqliteStorage`` (runs, event logs and schedules under ``base_dir`` in Dagster's
    layout) made of the pooled storages above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self.base_dir = base_dir
        self._run_storage = PooledSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = PooledSqliteScheduleStorage.from_local(
            _schedule_directory(base_dir)
        )
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()


def _data(cls: type, base_dir: str) -> ConfigurableClassData:
    return ConfigurableClassData(__name__, cls.__name__, yaml.safe_dump({"base_dir": base_dir}))


class PooledSqliteInstance(DagsterInstance):
    """Dagster's instance, with :class:`PooledSqliteStorage` in its own folder as the default
    storage (an explicit ``storage:`` in dagster.yaml, e.g. PostgreSQL, still wins)."""

    @classmethod
    def config_schema(cls) -> dict:
        return {}

    @staticmethod
    def config_defaults(base_dir: str) -> dict:
        return {
            **InstanceRef.config_defaults(base_dir),
            "storage": _data(PooledSqliteStorage, base_dir),
            "run_storage": _data(PooledSqliteRunStorage, _runs_directory(base_dir)),
            "event_log_storage": _data(
                PooledSqliteEventLogStorage, _event_logs_directory(base_dir)
            ),
            "schedule_storage": _data(PooledSqliteScheduleStorage, _schedule_directory(base_dir)),
        }
