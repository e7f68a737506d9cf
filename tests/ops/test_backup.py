"""`flask --app service backup PATH`: SQLite's online backup while the service writes."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from ops_helpers import put

from service.ops.backup import backup_sqlite
from service.storage.db import make_engine
from service.storage.store import Store


def test_backup_command_copies_the_store(app, tmp_path):
    store = app.extensions["store"]
    ids = [put(store, "published") for _ in range(3)]
    target = tmp_path / "copy.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    with sqlite3.connect(target) as copy:
        assert [row[0] for row in copy.execute("SELECT id FROM comments ORDER BY id")] == ids
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_backup_while_comments_keep_arriving_is_consistent(sqlite_url, tmp_path):
    store = Store(make_engine(sqlite_url))
    for _ in range(200):
        put(store, "published", text="x" * 2000)  # several hundred pages to copy
    stop = threading.Event()

    def write():
        while not stop.is_set():
            put(store, "pending")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backup_sqlite(store.engine, tmp_path / "copy.sqlite3")
    finally:
        stop.set()
        writer.join()
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in copy.execute("SELECT id FROM comments ORDER BY id")]
    # One moment in time: every comment up to the last one copied, no gap.
    assert ids == list(range(1, len(ids) + 1))
    assert len(ids) >= 200
    store.engine.dispose()


def test_backup_refuses_to_overwrite(app, tmp_path):
    target = tmp_path / "exists.sqlite3"
    target.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert "exists; choose a new file name" in result.output
    assert target.read_text() == "keep me"


@pytest.mark.postgres
def test_backup_of_postgresql_points_to_pg_dump(make_app, postgres_schema_url, tmp_path):
    app = make_app(MODERATION_DATABASE_URL=postgres_schema_url)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "pg_dump" in result.output
