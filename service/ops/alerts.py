"""Alerts to moderators: the queue is long, a comment has waited too long, a burst of rejections.

Checked outside the request path, by `flask --app service alerts run` (a loop every
MODERATION_ALERT_INTERVAL_SECONDS, for systemd or a container) or `alerts check` (one pass, for
cron), so intake never waits for a webhook or a mail server.

Once per condition: the state of each condition lives in the database (`alert_state`), and a
transition (clear -> firing, firing -> clear) is a conditional UPDATE that exactly one checker
wins, whichever host or process it runs on. The winner queues one message per channel in
`alert_outbox` in the same transaction; delivery then happens outside it. A failed delivery is
retried with exponential back-off (30 s, 1 min, 2 min ... at most 1 h between tries, given up
after MAX_ATTEMPTS), also by whichever checker runs next. Messages are delivered at least once:
a checker killed mid-send leaves its message to be sent again after the claim expires.

The same runner delivers the e-mail notices to commenters (service/readers/notices.py), queued in
the same outbox, when MODERATION_NOTIFY_COMMENTERS is on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import smtplib
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from service.ops import stats
from service.readers import notices
from service.storage.db import IMMEDIATE
from service.storage.tables import AlertDelivery, AlertState, utcnow

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 12
CLAIM_SECONDS = 120  # a message being sent is hidden from other checkers this long
SEND_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Condition:
    """One alert condition as evaluated now."""

    name: str
    active: bool
    value: float
    threshold: float
    firing_text: str
    clear_text: str


def conditions(engine: Engine, config: Mapping[str, Any],
               now: datetime | None = None) -> list[Condition]:
    """Every enabled condition, evaluated now (three indexed queries at most)."""
    now = now or utcnow()
    found = []
    limit = config["MODERATION_ALERT_QUEUE_SIZE"]
    age_limit = config["MODERATION_ALERT_QUEUE_AGE_MINUTES"]
    if limit or age_limit:
        queue = stats.queue_snapshot(engine, now)
        if limit:
            found.append(Condition(
                "queue_size", queue.depth > limit, queue.depth, limit,
                f"{queue.depth} comments are waiting for moderation (alert above {limit}).",
                f"The moderation queue is back to {_comments(queue.depth)} (alert above "
                f"{limit})."))
        if age_limit:
            minutes = int(queue.oldest_age_seconds // 60)
            found.append(Condition(
                "queue_age", queue.oldest_age_seconds > age_limit * 60, minutes, age_limit,
                f"The oldest comment waiting for moderation arrived {minutes} minutes ago "
                f"(alert after {age_limit} minutes).",
                f"No comment has waited more than {age_limit} minutes any more (oldest: "
                f"{minutes} minutes)."))
    burst = config["MODERATION_ALERT_SPAM_BURST"]
    if burst:
        window = _minutes(burst.seconds)
        rejected = stats.rejected_on_arrival(engine, now - timedelta(seconds=burst.seconds))
        found.append(Condition(
            "spam_burst", rejected >= burst.count, rejected, burst.count,
            f"Possible spam attack: {rejected} comments were rejected on arrival in the last "
            f"{window} (alert at {burst.count}).",
            f"The burst of rejected comments is over: {rejected} in the last {window}."))
    return found


def _comments(n: int) -> str:
    return f"{n} comment" if n == 1 else f"{n} comments"


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} minutes" if seconds % 60 == 0 and seconds >= 120 \
        else f"{seconds} seconds"


# -- channels -------------------------------------------------------------------------------------

def _target_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def channels(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(channel, target key) for every configured destination."""
    found = [("slack", _target_key(url)) for url in config["MODERATION_ALERT_SLACK_WEBHOOKS"]]
    found += [("json", _target_key(url)) for url in config["MODERATION_ALERT_JSON_WEBHOOKS"]]
    if config["MODERATION_ALERT_EMAIL_TO"]:
        found.append(("email", "email"))
    return found


def _webhook_url(config: Mapping[str, Any], channel: str, target: str) -> str | None:
    setting = {"slack": "MODERATION_ALERT_SLACK_WEBHOOKS",
               "json": "MODERATION_ALERT_JSON_WEBHOOKS"}[channel]
    return next((url for url in config[setting] if _target_key(url) == target), None)


def _post_json(url: str, body: dict) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "moderation-alerts"})
    # Any non-2xx answer raises HTTPError, a failed delivery to retry.
    with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:
        response.read()


def send_email(config: Mapping[str, Any], subject: str, text: str,
               to: list[str] | None = None) -> None:
    """One plain-text mail to `to` (default MODERATION_ALERT_EMAIL_TO) through
    MODERATION_SMTP_URL."""
    url = urlsplit(config["MODERATION_SMTP_URL"])
    if url.scheme not in {"smtp", "smtp+starttls", "smtps"}:
        raise ValueError(f"MODERATION_SMTP_URL: unknown scheme {url.scheme!r}")
    message = EmailMessage()
    message["From"] = config["MODERATION_ALERT_EMAIL_FROM"]
    message["To"] = ", ".join(to or config["MODERATION_ALERT_EMAIL_TO"])
    message["Subject"] = subject
    message.set_content(text)
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    default_port = 465 if url.scheme == "smtps" else 25
    with smtp_class(url.hostname or "localhost", url.port or default_port,
                    timeout=SEND_TIMEOUT_SECONDS) as smtp:
        if url.scheme == "smtp+starttls":
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def _send(engine: Engine, config: Mapping[str, Any], delivery: Row) -> str:
    """Deliver one message; returns "sent", or "dropped" when its destination is no longer
    configured. Raises on a failure worth retrying."""
    payload = delivery.payload
    if delivery.channel == notices.CHANNEL:
        return notices.send_email(engine, config, delivery, send_email)
    if delivery.channel == "email":
        if not config["MODERATION_ALERT_EMAIL_TO"]:
            return "dropped"
        send_email(config, delivery.subject, payload["text"])
        return "sent"
    url = _webhook_url(config, delivery.channel, delivery.target)
    if url is None:
        return "dropped"
    _post_json(url, {"text": payload["text"]} if delivery.channel == "slack" else payload)
    return "sent"


# -- state and outbox -----------------------------------------------------------------------------

def queue_messages(connection, kind: str, subject: str, payload: dict,
                   config: Mapping[str, Any], now: datetime) -> int:
    """Put one message per configured channel in the outbox (inside the caller's transaction)."""
    rows = [{"kind": kind, "channel": channel, "target": target, "subject": subject[:200],
             "payload": payload, "created_at": now, "attempts": 0, "next_attempt_at": now}
            for channel, target in channels(config)]
    if rows:
        connection.execute(insert(AlertDelivery.__table__), rows)
    return len(rows)


def _transition(connection, condition: Condition, now: datetime) -> str | None:
    """Record the condition's state; "fired" or "cleared" for the one caller that changed it."""
    state = AlertState.__table__
    changed = connection.execute(
        update(state).where(state.c.name == condition.name,
                            state.c.firing == (not condition.active))
        .values(firing=condition.active, since=now if condition.active else None,
                value=condition.value)).rowcount
    if changed:
        return "fired" if condition.active else "cleared"
    if not condition.active:
        return None  # clear, and either clear already or never seen: nothing to say
    exists = connection.execute(select(state.c.name).where(state.c.name == condition.name))
    if exists.first() is not None:
        return None  # firing already
    try:
        with connection.begin_nested():
            connection.execute(insert(state).values(name=condition.name, firing=True,
                                                    since=now, value=condition.value))
    except IntegrityError:
        return None  # another checker recorded it first, and sends it
    return "fired"


def evaluate(engine: Engine, config: Mapping[str, Any], now: datetime | None = None) -> list[str]:
    """Check every condition and queue a message for each one that started or stopped firing.
    Returns the transitions, e.g. ["queue_size fired"]."""
    now = now or utcnow()
    happened = []
    for condition in conditions(engine, config, now):
        with engine.execution_options(**IMMEDIATE).begin() as connection:
            change = _transition(connection, condition, now)
            if change is None:
                continue
            text = condition.firing_text if change == "fired" else condition.clear_text
            review = config["MODERATION_REVIEW_URL"]
            queue_messages(connection, "alert", f"[moderation] {text}", {
                "alert": condition.name, "state": "firing" if change == "fired" else "resolved",
                "text": f"{text} {review}" if review else text, "value": condition.value,
                "threshold": condition.threshold, "at": now.isoformat()}, config, now)
        log.info("alert %s %s: %s", condition.name, change, text)
        happened.append(f"{condition.name} {change}")
    return happened


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 30 s, 60 s, 120 s ... 1 h."""
    return timedelta(seconds=min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (attempts - 1)))


def deliver_due(engine: Engine, config: Mapping[str, Any],
                now: datetime | None = None) -> dict[str, int]:
    """Try every message whose time has come; counts of sent, failed, dropped and given up."""
    now = now or utcnow()
    outbox = AlertDelivery.__table__
    counts = {"sent": 0, "failed": 0, "dropped": 0, "given_up": 0}
    with engine.connect() as connection:
        due = connection.execute(select(outbox.c.id).where(
            outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.id)).scalars().all()
    for delivery_id in due:
        with engine.execution_options(**IMMEDIATE).begin() as connection:
            # Claim it, so a checker on another host does not send it at the same time.
            claimed = connection.execute(
                update(outbox).where(outbox.c.id == delivery_id, outbox.c.delivered_at.is_(None),
                                     outbox.c.next_attempt_at <= now)
                .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))).rowcount
            row = connection.execute(select(outbox).where(
                outbox.c.id == delivery_id)).one() if claimed else None
        if row is None:
            continue
        counts[_attempt(engine, config, row, now)] += 1
    return counts


def _attempt(engine: Engine, config: Mapping[str, Any], delivery: Row,
             now: datetime) -> str:
    outbox = AlertDelivery.__table__
    attempts = delivery.attempts + 1
    try:
        result = _send(engine, config, delivery)
        values = {"delivered_at": now, "next_attempt_at": None, "attempts": attempts,
                  "last_error": None if result == "sent" else "destination no longer configured"}
    except (OSError, smtplib.SMTPException, ValueError) as exc:  # URLError/HTTPError are OSErrors
        error = f"{type(exc).__name__}: {exc}"[:500]
        result = "given_up" if attempts >= MAX_ATTEMPTS else "failed"
        values = {"attempts": attempts, "last_error": error,
                  "next_attempt_at": None if result == "given_up"
                  else now + retry_delay(attempts)}
        level = logging.ERROR if result == "given_up" else logging.WARNING
        log.log(level, "alert delivery %s to %s failed (attempt %d%s): %s", delivery.id,
                delivery.channel, attempts, ", giving up" if result == "given_up" else "", error)
    with engine.execution_options(**IMMEDIATE).begin() as connection:
        connection.execute(update(outbox).where(outbox.c.id == delivery.id).values(**values))
    return result


def check(engine: Engine, config: Mapping[str, Any], now: datetime | None = None) -> dict:
    """One pass: evaluate the conditions, then deliver what is due."""
    now = now or utcnow()
    return {"transitions": evaluate(engine, config, now),
            "deliveries": deliver_due(engine, config, now)}


# -- commands -------------------------------------------------------------------------------------

alerts_cli = AppGroup("alerts", help="Alerts to moderators (see docs/operations.md, Alerts).")


def _engine() -> Engine:
    return current_app.extensions["store"].engine


def _nothing_to_send(config: Mapping[str, Any]) -> bool:
    return not channels(config) and not config["MODERATION_NOTIFY_COMMENTERS"]


@alerts_cli.command("check")
def check_command() -> None:
    """Check the conditions once and deliver what is due (for cron, every minute)."""
    if _nothing_to_send(current_app.config):
        click.echo("No alert channels configured (MODERATION_ALERT_SLACK_WEBHOOKS, "
                   "MODERATION_ALERT_JSON_WEBHOOKS, MODERATION_ALERT_EMAIL_TO) and no notices "
                   "to commenters (MODERATION_NOTIFY_COMMENTERS); nothing to do.")
        return
    result = check(_engine(), current_app.config)
    for transition in result["transitions"]:
        click.echo(transition)
    click.echo(", ".join(f"{n} {what}" for what, n in result["deliveries"].items()))


@alerts_cli.command("run")
@click.option("--interval", type=int, default=None,
              help="Seconds between checks (default MODERATION_ALERT_INTERVAL_SECONDS).")
def run_command(interval: int | None) -> None:
    """Check the conditions and retry deliveries every INTERVAL seconds until stopped."""
    interval = interval or current_app.config["MODERATION_ALERT_INTERVAL_SECONDS"]
    if _nothing_to_send(current_app.config):
        raise click.ClickException("No alert channels configured (MODERATION_ALERT_SLACK_"
                                   "WEBHOOKS, MODERATION_ALERT_JSON_WEBHOOKS, "
                                   "MODERATION_ALERT_EMAIL_TO) and no notices to commenters "
                                   "(MODERATION_NOTIFY_COMMENTERS).")
    click.echo(f"Checking alerts every {interval} s; Ctrl-C stops.")
    while True:
        try:
            check(_engine(), current_app.config)
        except Exception:  # the loop outlives a database restart; the next pass tries again
            log.exception("alert check failed")
        time.sleep(interval)
