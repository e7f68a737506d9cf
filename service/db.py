"""The database engine (one per app) and schema upgrades through Alembic.

SQLite is the default store (a file under `instance/`, WAL mode); PostgreSQL when
MODERATION_DATABASE_URL says so. Backend differences live here and in `store.py`, nowhere else.
"""

from __future__ import annotations

import math
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"

# Write transactions ask for this execution option; on SQLite it becomes BEGIN IMMEDIATE.
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}


def make_engine(url: str, wait_seconds: float = 30, **kwargs) -> Engine:
    """An engine for `url`. On SQLite: WAL (readers never wait for the writer), a busy timeout
    of `wait_seconds` instead of failing at once when another gunicorn worker holds the write
    lock, and SQLAlchemy issuing BEGIN itself so write units of work can take the lock up front.
    On PostgreSQL: connections checked before use (a restarted server or a terminated backend
    costs a reconnect, not an error) and a connect timeout of `wait_seconds`."""
    if not url.startswith("sqlite"):
        # libpq takes whole seconds and treats 1 as 2.
        connect = {"connect_timeout": max(2, math.ceil(wait_seconds))} \
            if url.startswith("postgresql") else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect, **kwargs)
    engine = create_engine(url, connect_args={"timeout": wait_seconds,
                                              "check_same_thread": False}, **kwargs)

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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A deferred transaction that reads and then writes fails with "database is locked" (no
        # wait) when another worker wrote in between; IMMEDIATE takes the write lock first and
        # queues behind the busy timeout instead. It also makes check-then-insert atomic.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def sqlite_url_for(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'moderation.sqlite3'}"


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
