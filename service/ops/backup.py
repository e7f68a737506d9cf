"""`flask --app service backup PATH`: a consistent copy of the SQLite store while it serves.

SQLite's online backup API copies the database inside one read transaction, so the copy is one
consistent moment, WAL contents included (a plain `cp` of the file can miss them or catch half a
transaction). The store runs in WAL mode, where a reader never blocks writers: the copy is made
in a single step, and gunicorn keeps storing comments meanwhile. (Copying in several steps would
restart from the first page whenever a comment arrived, and might never finish on a busy site.)
PostgreSQL is backed up with its own tool, pg_dump (docs/operations.md, "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine

def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the SQLite store at `engine` to `target` (a new file); returns its size in bytes."""
    if engine.dialect.name != "sqlite":
        raise ValueError(f"the store is {engine.dialect.name}, not SQLite: back it up with "
                         "pg_dump (see docs/operations.md, Backups)")
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise ValueError("the store is an in-memory SQLite database; there is no file to copy")
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file name")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # all pages in one step: see above
            copy.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
    finally:
        source.close()
    if check != "ok":
        partial.unlink()
        raise RuntimeError(f"the copy failed SQLite's integrity check: {check}")
    os.replace(partial, target)  # the file appears complete or not at all
    return target.stat().st_size


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the SQLite store to PATH while the service keeps running."""
    try:
        size = backup_sqlite(current_app.extensions["store"].engine, path)
    except (ValueError, FileExistsError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backed up to {path} ({size:,} bytes, integrity ok).")
