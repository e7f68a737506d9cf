"""Moderator accounts from the command line: `flask --app service moderators add NAME`
(asks for the password twice), `moderators list`, `moderators disable NAME`,
`moderators reset-password NAME` (prints a one-time password, like the first moderator's),
`moderators sections NAME [--set "Local, Politics"]` (the sections whose comments NAME sees
first, service/articles/sections.py)."""

from __future__ import annotations

import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.articles import sections
from service.review.auth import hash_password
from service.storage.tables import Moderator, utcnow

MIN_PASSWORD = 10

moderators = AppGroup("moderators", help="Create, list and disable moderator accounts.")


def add_moderator(engine: Engine, name: str, password: str) -> Moderator:
    """Create an active moderator. Raises ValueError for a bad name or password, or a taken
    name."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("A name needs 1 to 100 characters.")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")
    try:
        with Session(engine, expire_on_commit=False) as db, db.begin():
            moderator = Moderator(name=name, password_hash=hash_password(password), active=True,
                                  created_at=utcnow(), must_change_password=False)
            db.add(moderator)
    except IntegrityError:
        raise ValueError(f"A moderator named {name!r} already exists.") from None
    return moderator


def list_moderators(engine: Engine) -> list[Moderator]:
    with Session(engine) as db:
        return list(db.scalars(select(Moderator).order_by(Moderator.name)))


def set_active(engine: Engine, name: str, active: bool) -> bool:
    """Enable or disable a moderator; False when there is no such name. A disabled moderator's
    open sessions stop working on their next request (auth checks the table every time), and
    stay ended if the account is enabled again."""
    with Session(engine) as db, db.begin():
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
        if moderator is None:
            return False
        moderator.active = active
        if not active:
            moderator.session_generation += 1
    return True


def one_time_password() -> str:
    """A random password for an operator to hand on once; its owner must replace it at the first
    login (`must_change_password`), so the operator never knows the password in use."""
    return secrets.token_urlsafe(12)


def echo_one_time_password(lead: str, password: str) -> None:
    click.echo(f"{lead} one-time password: {password}")
    click.echo("It is shown only this once; it must be changed at the first login with it.")


def reset_password(engine: Engine, name: str) -> str | None:
    """Replace NAME's password with a one-time one and return it; None when there is no such
    moderator. Sessions already open for NAME are sent to the password page on their next
    request (auth checks `must_change_password` every time), where only the new password works."""
    password = one_time_password()
    with Session(engine) as db, db.begin():
        moderator = db.scalars(select(Moderator).where(Moderator.name == name)).first()
        if moderator is None:
            return None
        moderator.password_hash = hash_password(password)
        moderator.must_change_password = True
    return password


def _engine() -> Engine:
    return current_app.extensions["store"].engine


@moderators.command("add")
@click.argument("name")
@click.password_option(help="Asked twice, never echoed.")
def add_command(name: str, password: str) -> None:
    """Create the moderator NAME."""
    try:
        add_moderator(_engine(), name, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Moderator {name!r} created.")


@moderators.command("list")
def list_command() -> None:
    """Every moderator, with whether they can log in."""
    for moderator in list_moderators(_engine()):
        state = "active" if moderator.active else "disabled"
        click.echo(f"{moderator.name}\t{state}\tsince {moderator.created_at:%Y-%m-%d}")


@moderators.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Stop NAME from logging in (their decisions stay in the audit log)."""
    if not set_active(_engine(), name, False):
        raise click.ClickException(f"No moderator named {name!r}.")
    click.echo(f"Moderator {name!r} disabled.")


@moderators.command("reset-password")
@click.argument("name")
def reset_password_command(name: str) -> None:
    """Give NAME a new one-time password (for a forgotten or exposed one)."""
    password = reset_password(_engine(), name)
    if password is None:
        raise click.ClickException(f"No moderator named {name!r}.")
    echo_one_time_password(f"Moderator {name!r} has a new", password)


@moderators.command("sections")
@click.argument("name")
@click.option("--set", "new", metavar="SECTIONS",
              help='Comma-separated sections, e.g. "Local, Politics"; "" for none.')
def sections_command(name: str, new: str | None) -> None:
    """Show NAME's sections (their queue shows those first), or replace them with --set."""
    moderator = moderator_named(_engine(), name)
    if moderator is None:
        raise click.ClickException(f"No moderator named {name!r}.")
    if new is not None:
        sections.assign(_engine(), name, sections.parse(new), by="command line")
    mine = sections.assigned(_engine(), moderator.id)
    click.echo(f"{name}: {', '.join(mine)}" if mine else f"{name}: every section alike")


def moderator_named(engine: Engine, name: str) -> Moderator | None:
    with Session(engine) as db:
        return db.scalars(select(Moderator).where(Moderator.name == name)).first()


def init_app(app: Flask) -> None:
    app.cli.add_command(moderators)
