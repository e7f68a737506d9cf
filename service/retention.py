"""Commenters' personal data: the retention purge, and export or erasure on request.

Operator commands (`flask --app service ...`):

- `purge [--older-than 90d]`: for comments decided (published or rejected, by the policy or a
  moderator) before the retention period, blank the IP hash, the user agent and the e-mail
  address. The keyed e-mail hash stays: trust ("K earlier approved comments") still counts them.
  Expired login-failure rows (they hold IP hashes) go too. Pending comments are left alone until
  someone decides them. Default period: `MODERATION_RETENTION_DAYS` (90).
- `export --email X`: every stored comment of that commenter, and the audit rows about them, as
  JSON on standard output; with the standing moderators set for them (ban, hold, trust) and
  every action taken on them (service/commenters).
- `erase --email X`: blank the commenter's name, e-mail and its hash, website, text, IP hash, user
  agent and duplicate fingerprint. Kept, because moderation statistics need them and they say
  nothing about the person: article, status, the policy's reasons, scores, model version, times,
  who decided and why, and the audit log. Their standing goes (a ban with it, unless
  `--keep-ban`), and their hash is blanked in the actions taken on them, which stay.

A commenter is found by the e-mail column (any case) *and* by the keyed e-mail hash, so comments
whose address a purge already blanked are still exported and erased.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from service import privacy
from service.auth import WINDOW as LOGIN_FAILURE_WINDOW
from service.db import clear_wal
from service.tables import (AuditEntry, Comment, CommenterAction, CommenterStanding, LoginFailure,
                            utcnow)

DECIDED = ("published", "rejected")
_PERIOD = re.compile(r"^\s*(\d+)\s*([dw]?)\s*$", re.IGNORECASE)
_COMMENT_FIELDS = ("id", "post_id", "parent_id", "author", "email", "email_hash", "url", "text",
                   "permalink", "status", "policy_status", "reasons", "spam_score", "abuse_score",
                   "model_version", "ip_hash", "user_agent", "created_at", "updated_at",
                   "decided_by", "decided_at", "decision_reason")
_AUDIT_FIELDS = ("id", "moderator", "at", "action", "old_status", "new_status", "reason",
                 "model_version", "spam_score", "abuse_score", "undoes", "batch")
_STANDING_FIELDS = ("standing", "reason", "moderator", "since")
_ACTION_FIELDS = ("id", "action", "reason", "moderator", "at", "comment_id", "rejected")


def parse_period(raw: str) -> timedelta:
    """`90d`, `12w` or a bare number of days."""
    match = _PERIOD.match(raw)
    if not match:
        raise ValueError(f"expected a period such as 90d or 12w, got {raw!r}")
    count, unit = int(match.group(1)), match.group(2).lower()
    return timedelta(weeks=count) if unit == "w" else timedelta(days=count)


def purge(engine: Engine, older_than: timedelta, now: datetime | None = None) -> int:
    """Blank IP hashes, user agents and e-mail addresses of comments decided before
    `now - older_than`; return how many comments still had any of them."""
    now = now or utcnow()
    cutoff = now - older_than
    decided_at = func.coalesce(Comment.decided_at, Comment.created_at)
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(Comment)
            .where(Comment.status.in_(DECIDED), decided_at < cutoff,
                   or_(Comment.ip_hash != "", Comment.user_agent != "", Comment.email != ""))
            .values(ip_hash="", user_agent="", email="")
            .execution_options(synchronize_session=False))
        session.execute(LoginFailure.__table__.delete().where(
            LoginFailure.at < now - LOGIN_FAILURE_WINDOW))
    return result.rowcount


def _commenter(email: str, email_hash_key: str):
    address = email.strip().lower()
    return or_(func.lower(Comment.email) == address,
               Comment.email_hash == privacy.email_hash(email_hash_key, address))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _fields(row, names: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(row, name)) for name in names}


def export(engine: Engine, email: str, email_hash_key: str) -> dict:
    """Everything stored about the commenter with this e-mail, JSON-ready."""
    hashed = privacy.email_hash(email_hash_key, email)
    with Session(engine) as session:
        comments = list(session.scalars(select(Comment).where(
            _commenter(email, email_hash_key)).order_by(Comment.id)))
        audit = list(session.scalars(select(AuditEntry).where(
            AuditEntry.comment_id.in_([c.id for c in comments])).order_by(AuditEntry.id)))
        standing = session.get(CommenterStanding, hashed)
        actions = list(session.scalars(select(CommenterAction).where(
            CommenterAction.email_hash == hashed).order_by(CommenterAction.id)))
    by_comment: dict[int, list[dict]] = {}
    for row in audit:
        by_comment.setdefault(row.comment_id, []).append(_fields(row, _AUDIT_FIELDS))
    return {"email": email.strip(), "comments": [
        {**_fields(c, _COMMENT_FIELDS), "audit": by_comment.get(c.id, [])} for c in comments],
        "standing": _fields(standing, _STANDING_FIELDS) if standing else None,
        "actions": [_fields(action, _ACTION_FIELDS) for action in actions]}


def erase(engine: Engine, email: str, email_hash_key: str, wait_seconds: float = 10, *,
          keep_ban: bool = False) -> int:
    """Anonymise every comment of the commenter with this e-mail; return how many. Their
    standing is deleted (a ban kept when `keep_ban`: it is only enforceable through the hash)
    and their hash blanked in the actions taken on them. On SQLite the old row versions are
    then cleared from the write-ahead log too (`db.clear_wal`)."""
    hashed = privacy.email_hash(email_hash_key, email)
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(Comment).where(_commenter(email, email_hash_key))
            .values(author="", email="", email_hash="", url="", text="", ip_hash="",
                    user_agent="", fingerprint="", updated_at=utcnow())
            .execution_options(synchronize_session=False))
        standing = CommenterStanding.__table__.delete().where(
            CommenterStanding.email_hash == hashed)
        session.execute(standing.where(CommenterStanding.standing != "banned")
                        if keep_ban else standing)
        if not keep_ban or session.get(CommenterStanding, hashed) is None:
            session.execute(update(CommenterAction).where(CommenterAction.email_hash == hashed)
                            .values(email_hash="").execution_options(synchronize_session=False))
    clear_wal(engine, wait_seconds)
    return result.rowcount


# -- commands -------------------------------------------------------------------------------------

def _engine() -> Engine:
    return current_app.extensions["store"].engine


class PeriodType(click.ParamType):
    name = "period"

    def convert(self, value, param, ctx):
        if isinstance(value, timedelta):
            return value
        try:
            return parse_period(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("purge")
@click.option("--older-than", type=PeriodType(), default=None,
              help="Retention period, e.g. 90d or 12w (default: MODERATION_RETENTION_DAYS).")
@with_appcontext
def purge_command(older_than: timedelta | None) -> None:
    """Drop IP hashes, user agents and e-mail addresses of decided comments past retention."""
    period = older_than or timedelta(days=current_app.config["MODERATION_RETENTION_DAYS"])
    count = purge(_engine(), period)
    click.echo(f"Purged personal data of {count} comment(s) decided more than "
               f"{period.days} days ago.")


@click.command("export")
@click.option("--email", required=True, help="The commenter's e-mail address.")
@with_appcontext
def export_command(email: str) -> None:
    """Print everything stored about the commenter with this e-mail, as JSON."""
    data = export(_engine(), email, current_app.config["MODERATION_EMAIL_HASH_KEY"])
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.command("erase")
@click.option("--email", required=True, help="The commenter's e-mail address.")
@click.option("--keep-ban", is_flag=True,
              help="Keep a moderators' ban on this commenter (their hash and who banned them).")
@with_appcontext
def erase_command(email: str, keep_ban: bool) -> None:
    """Anonymise the commenter's comments, keeping what moderation statistics need."""
    try:
        count = erase(_engine(), email, current_app.config["MODERATION_EMAIL_HASH_KEY"],
                      current_app.config["MODERATION_DB_WAIT_SECONDS"], keep_ban=keep_ban)
    except RuntimeError as exc:
        raise click.ClickException(f"Erased in the database, but {exc}.") from exc
    click.echo(f"Erased the personal data of {count} comment(s).")


def init_app(app: Flask) -> None:
    for command in (purge_command, export_command, erase_command):
        app.cli.add_command(command)
