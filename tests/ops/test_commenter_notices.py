"""E-mail notices to commenters (MODERATION_NOTIFY_COMMENTERS), on both stores: what arrives at
the SMTP sink when a comment is rejected and when an appeal is decided, the audit log's record
of it, and nothing for a comment whose address is gone or with the setting off."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL, good_form
from service.ops import alerts
from service.storage.tables import AlertDelivery, AuditEntry, Comment


@pytest.fixture
def app(make_app, db_url, smtp):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_NOTIFY_COMMENTERS="true",
                   MODERATION_SMTP_URL=smtp.url, MODERATION_ALERT_EMAIL_FROM="desk@news.example",
                   MODERATION_BLOCKED_TERMS="casino", **PUBLISH_ALL)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(delete(AlertDelivery))  # the alert tables are not emptied per test
    return app


def post(app, text: str, email: str = "ann@example.org") -> dict:
    answer = app.test_client().post("/api/comments", json=good_form(comment=text, email=email))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def deliver(app) -> dict[str, int]:
    return alerts.deliver_due(app.extensions["store"].engine, app.config)


def notices_in_audit(app) -> list[tuple[int, str]]:
    with Session(app.extensions["store"].engine) as session:
        return [(e.comment_id, e.moderator) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "notice").order_by(AuditEntry.id))]


def test_a_rejected_commenter_is_emailed_why_with_their_status_link(app, smtp):
    answer = post(app, "Win at the casino tonight")
    assert answer["status"] == "rejected"
    assert deliver(app)["sent"] == 1
    [(recipients, mail)] = smtp.messages
    assert recipients == ["ann@example.org"] and mail["From"] == "desk@news.example"
    assert mail["Subject"] == "Your comment is not shown on the site"
    body = mail.get_content()
    assert f"Why: {app.config['MODERATION_REASON_BLOCKED_TERM']}" in body
    assert "The site's automatic filters decided this" in body
    assert answer["status_url"] in body
    assert "Win at the casino" not in body  # the comment itself stays out of mailboxes
    assert notices_in_audit(app) == [(answer["id"], "(e-mail)")]
    assert deliver(app)["sent"] == 0  # once


def test_the_outcome_of_an_appeal_is_emailed(app, smtp):
    answer = post(app, "The casino plan is bad for the river")
    deliver(app)
    api = urlsplit(answer["status_url"]).path.replace("/comments/", "/api/comments/", 1)
    app.test_client().post(api + "/appeal", json={"note": "I oppose the casino."})
    moderation = app.extensions["moderation"]
    moderation.decide(answer["id"], "ann", "approve")
    with app.test_request_context():
        queued = app.extensions["commenter_notices"].after_decisions(
            [moderation.get(answer["id"])])
    assert queued == 1
    deliver(app)
    subjects = [mail["Subject"] for _, mail in smtp.messages]
    assert subjects == ["Your comment is not shown on the site", "Your appeal was accepted"]
    assert "your comment is published" in smtp.messages[1][1].get_content()


def test_nothing_is_sent_to_an_address_that_is_gone(app, smtp):
    answer = post(app, "Win at the casino tonight")
    result = app.test_cli_runner().invoke(args=["erase", "--email", "ann@example.org"])
    assert result.exit_code == 0, result.output
    assert deliver(app) == {"sent": 0, "failed": 0, "dropped": 1, "given_up": 0}
    assert smtp.messages == [] and notices_in_audit(app) == []
    with Session(app.extensions["store"].engine) as session:
        assert session.get(Comment, answer["id"]).email == ""


def test_a_notice_overtaken_before_it_is_sent_is_dropped(app, smtp):
    answer = post(app, "Win at the casino tonight")
    api = urlsplit(answer["status_url"]).path.replace("/comments/", "/api/comments/", 1)
    app.test_client().post(api + "/appeal", json={"note": "Please look again."})
    assert deliver(app)["dropped"] == 1 and smtp.messages == []


def test_no_email_unless_the_site_turns_it_on(make_app, db_url, smtp):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_SMTP_URL=smtp.url,
                   MODERATION_BLOCKED_TERMS="casino", **PUBLISH_ALL)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(delete(AlertDelivery))
    post(app, "Win at the casino tonight")
    assert deliver(app)["sent"] == 0 and smtp.messages == []


def test_the_alerts_runner_sends_notices_with_no_alert_channel(app, smtp):
    post(app, "Win at the casino tonight")
    result = app.test_cli_runner().invoke(args=["alerts", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "1 sent, 0 failed, 0 dropped, 0 given_up"
    assert len(smtp.messages) == 1
