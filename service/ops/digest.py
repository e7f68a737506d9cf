"""The daily digest for the newsroom: what came in on one UTC day and what happened to it.

`flask --app service digest [--date YYYY-MM-DD] [--send]` (cron, shortly after midnight UTC):
printed, and with --send also queued for every alert channel and delivered at once (failures are
retried by the alert checker like any alert).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, select

from service.ops import alerts
from service.ops import stats
from service.storage.tables import Comment, utcnow

TOP_ARTICLES = 5


@dataclass(frozen=True)
class Digest:
    day: date
    received: int
    published: int  # on arrival, by the policy
    held: int
    rejected: int
    moderator_decisions: int  # comments a moderator decided that day
    median_minutes_to_decision: float | None  # arrival to a moderator's decision
    pending_now: int
    top_held_articles: list[tuple[str, int]]  # (post_id, comments held that day)


def build(engine: Engine, day: date) -> Digest:
    """The figures of UTC day `day`. "Published / held / rejected" is the policy's verdict on
    arrival (`policy_status`, also in log-only mode), whatever moderators did later."""
    start = datetime.combine(day, time(), tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    arrived = (Comment.created_at >= start, Comment.created_at < end)
    with engine.connect() as connection:
        verdicts = dict(connection.execute(
            select(Comment.policy_status, func.count()).where(*arrived)
            .group_by(Comment.policy_status)).all())
        decided = connection.execute(
            select(Comment.created_at, Comment.decided_at)
            .where(Comment.decided_by.is_not(None), Comment.decided_at >= start,
                   Comment.decided_at < end)).all()
        top = connection.execute(
            select(Comment.post_id, func.count().label("n"))
            .where(*arrived, Comment.policy_status == "pending")
            .group_by(Comment.post_id).order_by(func.count().desc(), Comment.post_id)
            .limit(TOP_ARTICLES)).all()
    waits = [(decided_at - created_at).total_seconds() / 60 for created_at, decided_at in decided]
    return Digest(
        day=day, received=sum(verdicts.values()), published=verdicts.get("published", 0),
        held=verdicts.get("pending", 0), rejected=verdicts.get("rejected", 0),
        moderator_decisions=len(decided),
        median_minutes_to_decision=round(statistics.median(waits), 1) if waits else None,
        pending_now=stats.queue_snapshot(engine).depth,
        top_held_articles=[(post_id, n) for post_id, n in top])


def as_text(digest: Digest, review_url: str | None = None) -> str:
    median = "no decisions" if digest.median_minutes_to_decision is None \
        else f"{digest.median_minutes_to_decision:g} minutes"
    lines = [
        f"Comments on {digest.day.isoformat()} (UTC)",
        f"Received: {digest.received}",
        f"Published on arrival: {digest.published}",
        f"Held for moderators: {digest.held}",
        f"Rejected on arrival: {digest.rejected}",
        f"Decided by moderators: {digest.moderator_decisions} (median time to a decision: "
        f"{median})",
        f"Waiting now: {digest.pending_now}",
        "Articles with the most held comments:",
    ]
    lines += [f"  {post_id}: {n}" for post_id, n in digest.top_held_articles] or ["  none"]
    if review_url:
        lines.append(f"Review: {review_url}")
    return "\n".join(lines)


def as_json(digest: Digest) -> dict:
    body = asdict(digest)
    body["day"] = digest.day.isoformat()
    body["top_held_articles"] = [{"post_id": p, "held": n} for p, n in digest.top_held_articles]
    return body


def send(engine: Engine, config, digest: Digest) -> dict[str, int]:
    """Queue the digest for every alert channel and try to deliver it now."""
    text = as_text(digest, config["MODERATION_REVIEW_URL"])
    now = utcnow()
    with engine.begin() as connection:
        queued = alerts.queue_messages(
            connection, "digest", f"[moderation] Daily digest for {digest.day.isoformat()}",
            {"alert": "digest", "text": text, "digest": as_json(digest), "at": now.isoformat()},
            config, now)
    return {"queued": queued, **alerts.deliver_due(engine, config, now)}


@click.command("digest")
@with_appcontext
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The UTC day to sum up (default: yesterday).")
@click.option("--send", "send_it", is_flag=True,
              help="Also send it through the alert channels (webhooks, e-mail).")
def digest_command(day: datetime | None, send_it: bool) -> None:
    """Print the daily digest: comments received, published, held, rejected, median time to a
    decision, articles with the most held comments."""
    engine = current_app.extensions["store"].engine
    the_day = day.date() if day else (utcnow() - timedelta(days=1)).date()
    digest = build(engine, the_day)
    click.echo(as_text(digest, current_app.config["MODERATION_REVIEW_URL"]))
    if send_it:
        if not alerts.channels(current_app.config):
            raise click.ClickException("No alert channels configured to send the digest to.")
        result = send(engine, current_app.config, digest)
        click.echo(f"Sent: {result['sent']} of {result['queued']} channels"
                   + (f" ({result['failed']} failed, retried by `alerts run`/`alerts check`)"
                      if result["failed"] else "") + ".")
