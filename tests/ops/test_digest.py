"""The daily digest: the day's figures, printed, and sent through the alert channels."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from ops_helpers import put

from service.ops import digest
from service.review.queue import Moderation

DAY = date(2026, 11, 20)
MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def a_day_of_comments(store) -> None:
    """On DAY: 3 published, 4 held (3 on article "bridge", 1 on "budget"), 1 rejected; two of
    the held ones decided 10 and 30 minutes after arrival. Plus comments the day before and
    after, which must not count."""
    for hour in range(3):
        put(store, "published", at=MORNING + timedelta(hours=hour))
    held = [put(store, "pending", at=MORNING, post_id="bridge") for _ in range(3)]
    held.append(put(store, "pending", at=MORNING, post_id="budget"))
    put(store, "rejected", at=MORNING)
    put(store, "pending", at=MORNING - timedelta(days=1), post_id="old")
    put(store, "pending", at=MORNING + timedelta(days=1), post_id="new")
    moderation = Moderation(store.engine)
    moderation.decide(held[0], "ann", "approve", now=MORNING + timedelta(minutes=10))
    moderation.decide(held[1], "ann", "reject", "spam", now=MORNING + timedelta(minutes=30))


def test_digest_sums_up_one_utc_day(store):
    a_day_of_comments(store)
    figures = digest.build(store.engine, DAY)
    assert (figures.received, figures.published, figures.held, figures.rejected) == (8, 3, 4, 1)
    assert figures.moderator_decisions == 2
    assert figures.median_minutes_to_decision == 20.0
    assert figures.pending_now == 4  # 2 of the day's held, and the ones before and after
    assert figures.top_held_articles == [("bridge", 3), ("budget", 1)]


def test_a_quiet_day(store):
    figures = digest.build(store.engine, DAY)
    assert (figures.received, figures.moderator_decisions, figures.top_held_articles) == \
        (0, 0, [])
    assert "median time to a decision: no decisions" in digest.as_text(figures)


def test_digest_command_prints_and_sends(make_app, store, db_url, channels, slack, hook, smtp):
    a_day_of_comments(store)
    settings = {key: value for key, value in channels.items() if key.startswith("MODERATION_ALERT")
                or key == "MODERATION_SMTP_URL"}
    app = make_app(**{**settings, "MODERATION_DATABASE_URL": db_url})
    runner = app.test_cli_runner()

    printed = runner.invoke(args=["digest", "--date", "2026-11-20"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.splitlines()[:8] == [
        "Comments on 2026-11-20 (UTC)", "Received: 8", "Published on arrival: 3",
        "Held for moderators: 4", "Rejected on arrival: 1",
        "Decided by moderators: 2 (median time to a decision: 20 minutes)", "Waiting now: 4",
        "Articles with the most held comments:"]
    assert "  bridge: 3" in printed.output
    assert slack.received == []  # printing sends nothing

    sent = runner.invoke(args=["digest", "--date", "2026-11-20", "--send"])
    assert sent.exit_code == 0, sent.output
    assert "Sent: 3 of 3 channels." in sent.output
    assert slack.received[0]["text"].startswith("Comments on 2026-11-20 (UTC)\nReceived: 8")
    assert hook.received[0]["digest"]["top_held_articles"] == [
        {"post_id": "bridge", "held": 3}, {"post_id": "budget", "held": 1}]
    [(_, mail)] = smtp.messages
    assert mail["Subject"] == "[moderation] Daily digest for 2026-11-20"
    assert "Held for moderators: 4" in mail.get_content()


def test_digest_command_rejects_a_bad_date(runner):
    result = runner.invoke(args=["digest", "--date", "20 November"])
    assert result.exit_code == 2
    assert "20 November" in result.output
