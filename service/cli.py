"""Operator commands, registered on the app: `flask --app service init-db [--first-moderator]`,
and the operations commands `alerts check|run`, `digest`, `backup` from their own modules."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from service.ops import alerts
from service.ops import backup
from service.storage import db
from service.ops import digest
from service.review.accounts import echo_one_time_password, one_time_password
from service.review.auth import hash_password

FIRST_MODERATOR = "admin"


def first_moderator_password(store) -> str | None:
    """Create the first moderator, `admin`, with a random one-time password, if there is no
    moderator at all; return the password (None when moderators already exist)."""
    if store.has_moderator():
        return None
    password = one_time_password()
    store.add_moderator(FIRST_MODERATOR, hash_password(password), must_change_password=True)
    return password


@click.command("init-db")
@with_appcontext
@click.option("--first-moderator", is_flag=True,
              help="Also create the moderator 'admin' with a one-time password if none exists.")
def init_db_command(first_moderator: bool) -> None:
    """Create or upgrade the database schema (Alembic migrations; SQLite in WAL mode)."""
    store = current_app.extensions["store"]
    db.upgrade(store.engine)
    click.echo(f"Database ready at {store.engine.url.render_as_string(hide_password=True)} "
               f"(schema {db.current_revision(store.engine)}).")
    if first_moderator:
        password = first_moderator_password(store)
        if password is not None:
            echo_one_time_password(f"Created moderator '{FIRST_MODERATOR}' with", password)


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(alerts.alerts_cli)
    app.cli.add_command(digest.digest_command)
    app.cli.add_command(backup.backup_command)
