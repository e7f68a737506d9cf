"""API keys for the Akismet-compatible API: created from the command line, shown once, stored
as a keyed hash, listable and revocable.

    flask --app service apikeys add --name "Daily Planet WordPress"
    flask --app service apikeys list
    flask --app service apikeys revoke "Daily Planet WordPress"
"""

from __future__ import annotations

import re
import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.privacy.keys import keyed_hash
from service.storage.tables import ApiKey, utcnow

# WordPress's Akismet plugin calls any key that is not exactly 12 characters invalid without
# asking the server, and its settings form strips everything but hex digits: so 12 hex digits.
KEY_BYTES = 6
# A key's form, as service/openapi.json states it (JSON Schema patterns are searched, hence the
# anchors; a test checks the description says the same).
KEY_PATTERN = f"^[0-9a-f]{{{2 * KEY_BYTES}}}$"
KEY = re.compile(KEY_PATTERN)

apikeys = AppGroup("apikeys", help="Create, list and revoke keys for the Akismet-compatible API.")


def new_key() -> str:
    return secrets.token_hex(KEY_BYTES)


def key_hash(hash_key: str, key: str) -> str:
    """Keyed, because 48 random bits alone could be recovered from a leaked unkeyed hash."""
    return keyed_hash(hash_key, key.strip().lower())


def add_key(engine: Engine, hash_key: str, name: str) -> tuple[ApiKey, str]:
    """Create a key for `name`; returns the row and the key, which is not stored anywhere.
    Raises ValueError for a bad or taken name."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("A key's name needs 1 to 100 characters.")
    key = new_key()
    try:
        with Session(engine, expire_on_commit=False) as db, db.begin():
            row = ApiKey(name=name, key_hash=key_hash(hash_key, key), hint=key[-4:],
                         created_at=utcnow())
            db.add(row)
    except IntegrityError:
        raise ValueError(f"An API key named {name!r} already exists.") from None
    return row, key


def list_keys(engine: Engine) -> list[ApiKey]:
    with Session(engine) as db:
        return list(db.scalars(select(ApiKey).order_by(ApiKey.name)))


def revoke(engine: Engine, name: str) -> bool:
    """Revoke the key called `name` from its next request on; False when there is none."""
    with Session(engine) as db, db.begin():
        row = db.scalars(select(ApiKey).where(ApiKey.name == name)).first()
        if row is None:
            return False
        row.revoked_at = row.revoked_at or utcnow()
    return True


def active_key(engine: Engine, hash_key: str, key: str) -> ApiKey | None:
    """The unrevoked key matching `key`, or None."""
    if not key:
        return None
    with Session(engine) as db:
        return db.scalars(select(ApiKey).where(ApiKey.key_hash == key_hash(hash_key, key),
                                               ApiKey.revoked_at.is_(None))).first()


def _engine() -> Engine:
    return current_app.extensions["store"].engine


@apikeys.command("add")
@click.option("--name", required=True, help="Who holds the key, e.g. the site's name.")
def add_command(name: str) -> None:
    """Create a key and print it (only this once)."""
    try:
        _, key = add_key(_engine(), current_app.config["MODERATION_API_KEY_HASH_KEY"], name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"API key for {name!r}: {key}")
    click.echo("It is shown only this once; only a hash of it is stored.")


@apikeys.command("list")
def list_command() -> None:
    """Every key: name, last four characters, created, revoked."""
    for row in list_keys(_engine()):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.name}\t...{row.hint}\tcreated {row.created_at:%Y-%m-%d}\t{state}")


@apikeys.command("revoke")
@click.argument("name")
def revoke_command(name: str) -> None:
    """Stop the key called NAME from working."""
    if not revoke(_engine(), name):
        raise click.ClickException(f"No API key named {name!r}.")
    click.echo(f"API key {name!r} revoked.")


def init_app(app: Flask) -> None:
    app.cli.add_command(apikeys)
