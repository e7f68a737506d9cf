"""Commenters' personal data: the retention purge, and export or erasure on request.

Operator commands (`flask --app service ...`):

- `purge [--older-than 90d]`: for comments decided (published or rejected, by the policy or a
  moderator) before the retention period, blank the IP hash, the user agent and the e-mail
  address. The keyed e-mail hash stays: trust ("K earlier approved comments") still counts them.
  Expired login-failure rows (they hold IP hashes) go too. Pending comments are left alone until
  someone decides them. Readers' reports a moderator settled before the period lose the reader's
  hash and note (the reason and outcome stay). Default period: `MODERATION_RETENTION_DAYS` (90).
- `export --email X`: every stored comment of that commenter, the audit rows about them, their
  appeals, and the readers' reports of them (reason, time, outcome: not who reported, nor their
  note, which are the reader's), as JSON on standard output; with the standing moderators set
  for them (ban, hold, trust) and every action taken on them (service/commenters).
- `erase --email X`: blank the commenter's name, e-mail and its hash, website, text, IP hash, user
  agent, duplicate fingerprint and text key, their appeals' notes, and the notes of reports about
  those comments (they may quote them). Kept, because moderation statistics need them and they say
  nothing about the person: article, status, the policy's reasons, scores, model version, times,
  who decided and why, and the audit log. Their standing goes (a ban with it, unless
  `--keep-ban`), and their hash is blanked in the actions taken on them, which stay.
- `export --reporter-ip A` / `erase --reporter-ip A`: a reader's reports, known only by a keyed
  hash of the address they were sent from: listed, or left without the hash and the note (the
  reason still counts, anonymously).

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

from service.privacy import keys as privacy
from service.review.auth import WINDOW as LOGIN_FAILURE_WINDOW
from service.storage.db import clear_wal
from service.storage.tables import (Appeal, AuditEntry, Comment, CommenterAction, CommenterStanding,
                                    LoginFailure, Report, utcnow)

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
# What a commenter is shown of the reports about their comments; the reporter's hash and note
# are the reader's data, exported to the reader (`export_reports`).
_REPORT_FIELDS = ("reason", "created_at", "resolution", "resolved_at")
_OWN_REPORT_FIELDS = ("id", "comment_id", "reason", "note", "created_at", "resolution",
                      "resolved_at")
_APPEAL_FIELDS = ("note", "rejected_for", "created_at", "outcome", "decided_at")


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


def purge_reports(engine: Engine, older_than: timedelta, now: datetime | None = None) -> int:
    """Blank the reader's hash and note of reports a decision settled before
    `now - older_than` (the reason and outcome stay); return how many still had either."""
    cutoff = (now or utcnow()) - older_than
    with Session(engine) as session, session.begin():
        return session.execute(
            update(Report)
            .where(Report.resolved_at < cutoff,
                   or_(Report.reporter_hash.is_not(None), Report.note != ""))
            .values(reporter_hash=None, note="")
            .execution_options(synchronize_session=False)).rowcount


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
        ids = [c.id for c in comments]
        audit = _by_comment(session.scalars(select(AuditEntry).where(
            AuditEntry.comment_id.in_(ids)).order_by(AuditEntry.id)), _AUDIT_FIELDS)
        reports = _by_comment(session.scalars(select(Report).where(
            Report.comment_id.in_(ids)).order_by(Report.id)), _REPORT_FIELDS)
        appeals = _by_comment(session.scalars(select(Appeal).where(
            Appeal.comment_id.in_(ids))), _APPEAL_FIELDS)
        standing = session.get(CommenterStanding, hashed)
        actions = list(session.scalars(select(CommenterAction).where(
            CommenterAction.email_hash == hashed).order_by(CommenterAction.id)))
    return {"email": email.strip(), "comments": [
        {**_fields(c, _COMMENT_FIELDS), "audit": audit.get(c.id, []),
         "reports": reports.get(c.id, []), "appeal": (appeals.get(c.id) or [None])[0]}
        for c in comments],
        "standing": _fields(standing, _STANDING_FIELDS) if standing else None,
        "actions": [_fields(action, _ACTION_FIELDS) for action in actions]}


def _by_comment(rows, names: tuple[str, ...]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row.comment_id, []).append(_fields(row, names))
    return found


def _reporter(ip: str, ip_hash_key: str):
    return Report.reporter_hash == privacy.reporter_hash(ip_hash_key, ip)


def export_reports(engine: Engine, ip: str, ip_hash_key: str) -> dict:
    """The reports sent from the address `ip` (as its keyed hash), JSON-ready."""
    with Session(engine) as session:
        reports = session.scalars(select(Report).where(_reporter(ip, ip_hash_key))
                                  .order_by(Report.id))
        return {"reporter_ip": ip.strip(),
                "reports": [_fields(report, _OWN_REPORT_FIELDS) for report in reports]}


def erase_reports(engine: Engine, ip: str, ip_hash_key: str, wait_seconds: float = 10) -> int:
    """Cut the reports sent from `ip` loose from the reader: no hash, no note. Their reasons
    still count on the comments they were about."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(Report).where(_reporter(ip, ip_hash_key)).values(reporter_hash=None, note="")
            .execution_options(synchronize_session=False))
    clear_wal(engine, wait_seconds)
    return result.rowcount


def erase(engine: Engine, email: str, email_hash_key: str, wait_seconds: float = 10, *,
          keep_ban: bool = False) -> int:
    """Anonymise every comment of the commenter with this e-mail; return how many. Their
    standing is deleted (a ban kept when `keep_ban`: it is only enforceable through the hash)
    and their hash blanked in the actions taken on them. On SQLite the old row versions are
    then cleared from the write-ahead log too (`db.clear_wal`)."""
    hashed = privacy.email_hash(email_hash_key, email)
    with Session(engine) as session, session.begin():
        # Reports and appeals first: they are found through the comments' e-mail hash, blanked
        # below.
        theirs = select(Comment.id).where(_commenter(email, email_hash_key))
        for table in (Report, Appeal):
            session.execute(update(table).where(table.comment_id.in_(theirs)).values(note="")
                            .execution_options(synchronize_session=False))
        result = session.execute(
            update(Comment).where(_commenter(email, email_hash_key))
            .values(author="", email="", email_hash="", url="", text="", ip_hash="",
                    user_agent="", fingerprint="", text_key=None, updated_at=utcnow())
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
    reports = purge_reports(_engine(), period)
    click.echo(f"Purged personal data of {count} comment(s) decided more than "
               f"{period.days} days ago, and of {reports} report(s) settled as long ago.")


def _who(email: str | None, reporter_ip: str | None) -> None:
    if (email is None) == (reporter_ip is None):
        raise click.UsageError("Give --email (a commenter) or --reporter-ip (a reader who "
                               "reported comments), one of the two.")


_EMAIL = click.option("--email", help="The commenter's e-mail address.")
_REPORTER_IP = click.option("--reporter-ip", help="The address a reader sent reports from.")


@click.command("export")
@_EMAIL
@_REPORTER_IP
@with_appcontext
def export_command(email: str | None, reporter_ip: str | None) -> None:
    """Print everything stored about the commenter with this e-mail, or the reports sent from
    this address, as JSON."""
    _who(email, reporter_ip)
    config = current_app.config
    data = export(_engine(), email, config["MODERATION_EMAIL_HASH_KEY"]) if email \
        else export_reports(_engine(), reporter_ip, config["MODERATION_IP_HASH_KEY"])
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@click.command("erase")
@_EMAIL
@_REPORTER_IP
@click.option("--keep-ban", is_flag=True,
              help="Keep a moderators' ban on this commenter (their hash and who banned them).")
@with_appcontext
def erase_command(email: str | None, reporter_ip: str | None, keep_ban: bool) -> None:
    """Anonymise the commenter's comments, keeping what moderation statistics need; or cut the
    reports sent from an address loose from their reader."""
    _who(email, reporter_ip)
    config = current_app.config
    try:
        if email:
            count = erase(_engine(), email, config["MODERATION_EMAIL_HASH_KEY"],
                          config["MODERATION_DB_WAIT_SECONDS"], keep_ban=keep_ban)
        else:
            count = erase_reports(_engine(), reporter_ip, config["MODERATION_IP_HASH_KEY"],
                                  config["MODERATION_DB_WAIT_SECONDS"])
    except RuntimeError as exc:
        raise click.ClickException(f"Erased in the database, but {exc}.") from exc
    what = "comment(s)" if email else "report(s)"
    click.echo(f"Erased the personal data of {count} {what}.")


def init_app(app: Flask) -> None:
    for command in (purge_command, export_command, erase_command):
        app.cli.add_command(command)
