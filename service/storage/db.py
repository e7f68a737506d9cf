"""The database engine (one per app) and schema upgrades through Alembic.

SQLite is the default store (a file under `instance/`, WAL mode); PostgreSQL when
MODERATION_DATABASE_URL says so. Backend differences live here and in `store.py`, nowhere else.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Iterable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)

# Write transactions ask for this execution option; on SQLite it becomes BEGIN IMMEDIATE.
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}

# With a background checkpointer, a committing request checkpoints only if the WAL grew past
# this many pages (40 MB at 4 KiB pages) anyway, i.e. if the checkpointer has fallen behind.
_FALLBACK_AUTOCHECKPOINT_PAGES = 10_000


def make_engine(url: str, wait_seconds: float = 30, checkpoint_seconds: float | None = None,
                **kwargs) -> Engine:
    """An engine for `url`. On SQLite: WAL (readers never wait for the writer), a busy timeout
    of `wait_seconds` instead of failing at once when another gunicorn worker holds the write
    lock, and SQLAlchemy issuing BEGIN itself so write units of work can take the lock up front.
    On PostgreSQL: connections checked before use (a restarted server or a terminated backend
    costs a reconnect, not an error) and a connect timeout of `wait_seconds`.

    `checkpoint_seconds` (SQLite files only): copy the WAL back into the database from a
    background thread this often, instead of in whichever request's commit fills the WAL.
    A checkpoint waits for two fsyncs, several milliseconds each on ordinary disks; in a request
    it stalls that comment and, through the intake lock, every comment queued behind it."""
    if not url.startswith("sqlite"):
        # libpq takes whole seconds and treats 1 as 2.
        connect = {"connect_timeout": max(2, math.ceil(wait_seconds))} \
            if url.startswith("postgresql") else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect, **kwargs)
    engine = create_engine(url, connect_args={"timeout": wait_seconds,
                                              "check_same_thread": False}, **kwargs)
    database = engine.url.database
    checkpointer = WalCheckpointer(engine, database, checkpoint_seconds) \
        if checkpoint_seconds and database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Stop the sqlite3 module from issuing (deferred) BEGINs of its own; see `_on_begin`.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power loss can drop
        # the last transactions, which is the usual trade for comment intake.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten content is zeroed on its page, not left in free space, so an
        # erased commenter's text and e-mail do not linger in the file (see `clear_wal`).
        cursor.execute("PRAGMA secure_delete=ON")
        if checkpointer is not None:
            cursor.execute(f"PRAGMA wal_autocheckpoint={_FALLBACK_AUTOCHECKPOINT_PAGES}")
            checkpointer.ensure_running()
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that reads and then writes fails with "database is locked" (no
        # wait) when another worker wrote in between; IMMEDIATE takes the write lock first and
        # queues behind the busy timeout instead. It also makes check-then-insert atomic.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class WalCheckpointer:
    """A daemon thread per process that runs PASSIVE checkpoints of one SQLite file.

    PASSIVE never blocks writers or readers, and sqlite3 releases the GIL while it runs, so
    requests carry on while it waits for the disk. Started on the first connection a process
    opens (gunicorn workers fork before that), it stops when its engine is garbage-collected."""

    def __init__(self, engine: Engine, database: str, seconds: float) -> None:
        self._engine = weakref.ref(engine)
        self.database, self.seconds = database, seconds
        self._pid: int | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.seconds)
            if self._engine() is None:  # its app is gone
                return
            try:
                checkpoint(self.database)
            except sqlite3.Error as exc:  # a busy or vanished file: try again next round
                log.debug("WAL checkpoint skipped: %s", exc)


def checkpoint(database: str, mode: str = "PASSIVE",
               wait_seconds: float = 0) -> tuple[int, int, int]:
    """One checkpoint: (busy, WAL frames, frames copied back), as SQLite reports. PASSIVE never
    waits; TRUNCATE waits up to `wait_seconds` for writers and readers of older snapshots, then
    copies everything back and empties the WAL file."""
    # mode=rw: never create a file that has gone away (a deleted test database, say).
    connection = sqlite3.connect(f"{Path(database).resolve().as_uri()}?mode=rw", uri=True,
                                 timeout=wait_seconds, isolation_level=None)
    try:
        return connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        connection.close()


def clear_wal(engine: Engine, wait_seconds: float) -> None:
    """SQLite files only: copy the WAL back into the database and truncate it, so old versions of
    changed rows (an erased commenter's) are gone from it. With `secure_delete` the database file
    keeps none either. Raises RuntimeError when readers kept it busy for `wait_seconds`."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return
    busy, _, _ = checkpoint(database, "TRUNCATE", wait_seconds)
    if busy:
        raise RuntimeError("the database was busy: old row versions stay in its -wal file "
                           "until the next full checkpoint; run the command again")


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


def lock_names(connection: Connection, names: Iterable[str]) -> None:
    """Hold back, until this transaction ends, every other transaction (any worker, any host)
    that locks one of `names`. PostgreSQL: transaction-scoped advisory locks, taken in a fixed
    order so two transactions cannot deadlock. SQLite: nothing to do, as long as the transaction
    is IMMEDIATE: it already holds the database's single write lock."""
    if connection.dialect.name != "postgresql":
        return
    for key in sorted({_lock_key(name) for name in names}):
        connection.execute(_ADVISORY_LOCK, {"key": key})


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for `name`, stable across hosts and Python runs."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def alembic_config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to `revision` (Alembic). Safe to run on every start."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
