"""Alerts to moderators: what arrives at a webhook receiver and an SMTP sink on loopback, once per
condition, and again after a failed delivery."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from ops_helpers import put

from service.ops import alerts
from service.config import RateLimit
from service.storage.db import make_engine
from service.review.queue import Moderation
from service.storage.store import Store
from service.storage.tables import utcnow

ROOT = Path(__file__).resolve().parents[2]


def test_queue_over_its_limit_alerts_every_channel_once_then_once_when_it_clears(
        store, channels, slack, hook, smtp):
    settings = {**channels, "MODERATION_ALERT_QUEUE_SIZE": 2}
    ids = [put(store, "pending") for _ in range(3)]

    assert alerts.check(store.engine, settings)["transitions"] == ["queue_size fired"]
    assert [m["text"] for m in slack.received] == [
        "3 comments are waiting for moderation (alert above 2)."]
    assert hook.received[0]["alert"] == "queue_size"
    assert hook.received[0]["state"] == "firing"
    assert (hook.received[0]["value"], hook.received[0]["threshold"]) == (3, 2)
    [(recipients, mail)] = smtp.messages
    assert recipients == ["desk@news.example", "night@news.example"]
    assert mail["From"] == "alerts@news.example"
    assert "3 comments are waiting" in mail["Subject"]
    assert "3 comments are waiting" in mail.get_content()

    # More comments, more checks: still the same condition, nothing new is sent.
    put(store, "pending")
    for _ in range(3):
        assert alerts.check(store.engine, settings)["transitions"] == []
    assert (len(slack.received), len(hook.received), len(smtp.messages)) == (1, 1, 1)

    Moderation(store.engine).decide_many(ids, "ann", "approve")
    assert alerts.check(store.engine, settings)["transitions"] == ["queue_size cleared"]
    assert slack.received[-1]["text"] == \
        "The moderation queue is back to 1 comment (alert above 2)."
    assert hook.received[-1]["state"] == "resolved"
    assert len(smtp.messages) == 2

    for _ in range(2):
        put(store, "pending")
    assert alerts.check(store.engine, settings)["transitions"] == ["queue_size fired"]
    assert len(slack.received) == 3


def test_oldest_pending_comment_waiting_too_long(store, channels, slack):
    settings = {**channels, "MODERATION_ALERT_QUEUE_AGE_MINUTES": 30}
    arrived = utcnow() - timedelta(hours=2)
    put(store, "pending", at=arrived)

    assert alerts.check(store.engine, settings, now=arrived + timedelta(minutes=29)) == \
        {"transitions": [], "deliveries": {"sent": 0, "failed": 0, "dropped": 0, "given_up": 0}}
    result = alerts.check(store.engine, settings, now=arrived + timedelta(minutes=45))
    assert result["transitions"] == ["queue_age fired"]
    assert slack.received == [{"text": "The oldest comment waiting for moderation arrived 45 "
                                       "minutes ago (alert after 30 minutes)."}]


def test_burst_of_rejections_suggests_an_attack(store, channels, hook):
    settings = {**channels, "MODERATION_ALERT_SPAM_BURST": RateLimit(5, 600)}
    start = utcnow() - timedelta(hours=1)
    for minute in range(4):
        put(store, "rejected", at=start + timedelta(minutes=minute))
    put(store, "published", at=start)
    put(store, "pending", at=start)
    assert alerts.check(store.engine, settings, now=start + timedelta(minutes=5)) \
        ["transitions"] == []

    put(store, "rejected", at=start + timedelta(minutes=5))
    now = start + timedelta(minutes=6)
    assert alerts.check(store.engine, settings, now=now)["transitions"] == ["spam_burst fired"]
    assert hook.received[0]["text"] == ("Possible spam attack: 5 comments were rejected on "
                                        "arrival in the last 10 minutes (alert at 5).")
    # The window moves on: the burst is over.
    later = start + timedelta(minutes=30)
    assert alerts.check(store.engine, settings, now=later)["transitions"] == \
        ["spam_burst cleared"]


def test_failed_delivery_is_retried_with_back_off_and_others_are_not_resent(
        store, channels, slack, hook, smtp):
    settings = {**channels, "MODERATION_ALERT_QUEUE_SIZE": 1}
    put(store, "pending")
    put(store, "pending")
    hook.fail = 2  # the plain-JSON receiver is down for two tries
    now = utcnow()

    first = alerts.check(store.engine, settings, now=now)
    assert first["deliveries"] == {"sent": 2, "failed": 1, "dropped": 0, "given_up": 0}
    assert (len(slack.received), len(smtp.messages), hook.received) == (1, 1, [])

    # Not due yet: nobody is tried before the back-off has passed.
    assert alerts.check(store.engine, settings, now=now + timedelta(seconds=20)) \
        ["deliveries"]["failed"] == 0
    assert hook.attempts == 1
    second = alerts.check(store.engine, settings, now=now + timedelta(seconds=31))
    assert second["deliveries"]["failed"] == 1
    assert hook.attempts == 2
    # The second failure doubles the wait: 60 s.
    alerts.check(store.engine, settings, now=now + timedelta(seconds=31 + 59))
    assert hook.attempts == 2
    third = alerts.check(store.engine, settings, now=now + timedelta(seconds=31 + 61))
    assert third["deliveries"]["sent"] == 1
    assert [m["alert"] for m in hook.received] == ["queue_size"]
    assert hook.received[0]["text"] == "2 comments are waiting for moderation (alert above 1)."
    # Everyone else heard it exactly once.
    assert (len(slack.received), len(smtp.messages)) == (1, 1)


def test_back_off_doubles_up_to_an_hour():
    delays = [alerts.retry_delay(n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_delivery_gives_up_after_the_last_attempt(store, channels, hook):
    settings = {**channels, "MODERATION_ALERT_QUEUE_SIZE": 1,
                "MODERATION_ALERT_SLACK_WEBHOOKS": (), "MODERATION_ALERT_EMAIL_TO": ()}
    put(store, "pending")
    put(store, "pending")
    hook.fail = alerts.MAX_ATTEMPTS
    now = utcnow()
    outcomes = []
    for _ in range(alerts.MAX_ATTEMPTS):
        result = alerts.check(store.engine, settings, now=now)["deliveries"]
        outcomes.append("given_up" if result["given_up"] else "failed")
        now += timedelta(hours=2)
    assert outcomes == ["failed"] * (alerts.MAX_ATTEMPTS - 1) + ["given_up"]
    assert alerts.check(store.engine, settings, now=now)["deliveries"]["failed"] == 0
    assert hook.attempts == alerts.MAX_ATTEMPTS


def test_a_removed_webhook_is_dropped_not_retried(store, channels, slack):
    settings = {**channels, "MODERATION_ALERT_QUEUE_SIZE": 1}
    put(store, "pending")
    put(store, "pending")
    alerts.evaluate(store.engine, settings)
    without_slack = {**settings, "MODERATION_ALERT_SLACK_WEBHOOKS": ()}
    assert alerts.deliver_due(store.engine, without_slack)["dropped"] == 1
    assert slack.received == []


def test_two_hosts_checking_the_same_database_send_each_alert_once(
        store, db_url, channels, slack):
    settings = {**channels, "MODERATION_ALERT_QUEUE_SIZE": 1}
    put(store, "pending")
    put(store, "pending")
    other_host = make_engine(db_url)
    try:
        transitions = alerts.evaluate(store.engine, settings) + \
            alerts.evaluate(other_host, settings)
        alerts.deliver_due(other_host, settings)
        alerts.deliver_due(store.engine, settings)
    finally:
        other_host.dispose()
    assert transitions == ["queue_size fired"]
    assert len(slack.received) == 1


def test_check_command_reports_what_it_did(make_app, store, db_url, channels, slack):
    settings = {key: value for key, value in channels.items() if key.startswith("MODERATION_ALERT")
                or key == "MODERATION_SMTP_URL"}
    app = make_app(**{**settings, "MODERATION_DATABASE_URL": db_url,
                      "MODERATION_ALERT_QUEUE_SIZE": 1,
                      "MODERATION_REVIEW_URL": "https://comments.news.example/review/"})
    put(store, "pending")
    put(store, "pending")
    result = app.test_cli_runner().invoke(args=["alerts", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["queue_size fired",
                                          "3 sent, 0 failed, 0 dropped, 0 given_up"]
    assert slack.received == [{"text": "2 comments are waiting for moderation (alert above 1). "
                                       "https://comments.news.example/review/"}]


def test_check_command_without_channels_says_so(runner):
    result = runner.invoke(args=["alerts", "check"])
    assert result.exit_code == 0
    assert "No alert channels configured" in result.output


def test_the_alert_loop_sends_from_its_own_process(tmp_path, sqlite_url, slack):
    """`flask --app service alerts run`, as systemd would start it, with the service's
    environment: it checks on its own and the receiver hears the alert."""
    store = Store(make_engine(sqlite_url))
    put(store, "pending")
    put(store, "pending")
    store.engine.dispose()
    env = {**os.environ, "MODERATION_INSTANCE_PATH": str(tmp_path / "instance"),
           "MODERATION_DATABASE_URL": sqlite_url, "MODERATION_ALERT_QUEUE_SIZE": "1",
           "MODERATION_ALERT_SLACK_WEBHOOKS": slack.url}
    loop = subprocess.Popen([sys.executable, "-m", "flask", "--app", "service", "alerts", "run",
                             "--interval", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not slack.received:
            assert loop.poll() is None, "the alert loop exited"
            assert time.monotonic() < deadline, "no alert arrived"
            time.sleep(0.1)
    finally:
        loop.terminate()
        loop.wait(timeout=30)
    assert slack.received == [{"text": "2 comments are waiting for moderation (alert above 1)."}]
