"""SQLite's write-ahead log is copied back by a background thread, not by a request's commit."""

from __future__ import annotations

import time

from sqlalchemy import text

from service.storage.db import make_engine, upgrade


def _write_rows(engine, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (body TEXT)"))
        connection.execute(text("INSERT INTO filler (body) VALUES (:body)"),
                           [{"body": "x" * 2000} for _ in range(count)])


def test_the_background_thread_copies_the_log_into_the_database_file(tmp_path):
    path = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}", checkpoint_seconds=0.05)
    upgrade(engine)
    time.sleep(0.2)  # the migration's own pages are copied back first
    size_before = path.stat().st_size

    _write_rows(engine, 500)  # about 1 MB: far below the fallback of 10,000 pages

    # Wait for the whole log, not the first pages: a checkpoint copies them a batch at a time.
    deadline = time.monotonic() + 10
    while path.stat().st_size <= size_before + 500 * 2000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > size_before + 500 * 2000
    engine.dispose()


def test_requests_checkpoint_only_when_the_thread_falls_far_behind(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}", checkpoint_seconds=1)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
    engine.dispose()


def test_without_the_thread_sqlite_checkpoints_as_usual(tmp_path):
    path = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    _write_rows(engine, 500)
    time.sleep(0.3)
    # Nothing copied the log back: 500 rows of 2 kB fill fewer than SQLite's 1,000 pages.
    assert path.stat().st_size < 500 * 2000
    engine.dispose()
