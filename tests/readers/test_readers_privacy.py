"""Readers' reports, commenters' appeals and the operator's privacy commands, on both stores:
`purge` forgets who reported once a report is settled and past retention, `export`/`erase
--email` cover a commenter's appeals and the reports about their comments, and `export`/`erase
--reporter-ip` a reader's own reports. And the migration that adds them."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from alembic import command
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL, good_form
from service.storage.db import alembic_config, make_engine, upgrade
from service.storage.tables import Appeal, Report, utcnow


@pytest.fixture
def app(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)


def post(app, text: str, email: str = "ann@example.org") -> int:
    return app.test_client().post("/api/comments", json=good_form(
        comment=text, email=email)).get_json()["id"]


def report(app, comment_id: int, ip: str, reason: str = "spam", note: str = "") -> None:
    answer = app.test_client().post(f"/api/comments/{comment_id}/reports",
                                    json={"reason": reason, "note": note},
                                    environ_overrides={"REMOTE_ADDR": ip})
    assert answer.status_code == 201, answer.get_json()


def rows(app) -> list[Report]:
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(Report).order_by(Report.id)))


def settle(app, report_id: int, days_ago: int) -> None:
    with Session(app.extensions["store"].engine) as session, session.begin():
        session.execute(update(Report).where(Report.id == report_id).values(
            resolution="dismissed", resolved_at=utcnow() - timedelta(days=days_ago)))


def run(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_forgets_who_reported_once_a_report_is_settled_and_old(app):
    comment = post(app, "Buy watches")
    for n, ip in enumerate(("203.0.113.1", "203.0.113.2", "203.0.113.3")):
        report(app, comment, ip, note=f"note {n}")
    old, recent, _ = [r.id for r in rows(app)]
    settle(app, old, days_ago=100)
    settle(app, recent, days_ago=10)
    assert "and of 1 report(s) settled as long ago" in run(app, "purge", "--older-than", "90d")
    purged, kept, still_open = rows(app)
    assert (purged.reporter_hash, purged.note, purged.reason, purged.resolution) == \
        (None, "", "spam", "dismissed")
    assert kept.reporter_hash and kept.note == "note 1"
    assert still_open.reporter_hash and still_open.note == "note 2"  # open: still needed


def test_a_commenters_export_lists_the_reports_of_their_comments_not_the_readers(app):
    mine, other = post(app, "Mine"), post(app, "Bob's", email="bob@example.org")
    report(app, mine, "203.0.113.1", "abuse", note="I am Carol from number 4")
    report(app, other, "203.0.113.1")
    data = json.loads(run(app, "export", "--email", "ann@example.org"))
    [exported] = data["comments"]
    assert [set(r) for r in exported["reports"]] == [{"reason", "created_at", "resolution",
                                                      "resolved_at"}]
    assert exported["reports"][0]["reason"] == "abuse"
    assert "Carol" not in json.dumps(data)


def test_erasing_a_commenter_blanks_the_notes_that_may_quote_them(app):
    mine, other = post(app, "Ann's words"), post(app, "Bob's", email="bob@example.org")
    report(app, mine, "203.0.113.1", note="She wrote: Ann's words")
    report(app, other, "203.0.113.1", note="Bob again")
    run(app, "erase", "--email", "ann@example.org")
    assert [(r.comment_id, r.note, r.reason) for r in rows(app)] == \
        [(mine, "", "spam"), (other, "Bob again", "spam")]


def test_a_reader_gets_and_erases_their_own_reports_by_the_address_they_used(app):
    first, second = post(app, "One"), post(app, "Two")
    report(app, first, "203.0.113.1", note="Advert")
    report(app, second, "203.0.113.1", "off-topic")
    report(app, first, "198.51.100.5", note="Someone else")
    data = json.loads(run(app, "export", "--reporter-ip", "203.0.113.1"))
    assert [(r["comment_id"], r["reason"], r["note"]) for r in data["reports"]] == \
        [(first, "spam", "Advert"), (second, "off-topic", "")]
    assert "Erased the personal data of 2 report(s)" in \
        run(app, "erase", "--reporter-ip", "203.0.113.1")
    assert [(r.reporter_hash is None, r.note) for r in rows(app)] == \
        [(True, ""), (True, ""), (False, "Someone else")]
    assert json.loads(run(app, "export", "--reporter-ip", "203.0.113.1"))["reports"] == []


@pytest.mark.parametrize("args", [["export"], ["erase"],
                                  ["export", "--email", "a@example.org", "--reporter-ip", "1"]])
def test_export_and_erase_need_one_person(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2
    assert "Give --email (a commenter) or --reporter-ip" in result.output


def test_migration_0015_keeps_the_feed_triggers_and_downgrades(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0014")
    upgrade(engine)
    assert {"reports"} <= set(inspect(engine).get_table_names())
    assert "returned_for" in {c["name"] for c in inspect(engine).get_columns("comments")}
    # Adding the column rebuilt nothing: publishing a comment still moves its article's version.
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO comments (post_id, author, email, email_hash, url, text, fingerprint, "
            "permalink, status, policy_status, reasons, ip_hash, user_agent, created_at, "
            "updated_at, risk, spot_check) VALUES ('p', 'a', 'e', 'h', '', 't', 'f', '', "
            "'published', 'published', '[]', 'i', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
            "0.1, false)"))
    with engine.connect() as connection:  # PostgreSQL's trigger runs at commit
        assert connection.execute(text(
            "SELECT version FROM feed_versions WHERE post_id = 'p'")).scalar_one() == 1
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0014")
    assert "reports" not in inspect(engine).get_table_names()
    assert "returned_for" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    engine.dispose()


def test_a_commenters_appeal_is_exported_and_erased_with_their_comments(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL,
                   MODERATION_BLOCKED_TERMS="casino")
    answer = app.test_client().post("/api/comments", json=good_form(
        comment="The casino plan is bad", email="ann@example.org")).get_json()
    api = urlsplit(answer["status_url"]).path.replace("/comments/", "/api/comments/", 1)
    app.test_client().post(api + "/appeal", json={"note": "I live next door, Ann"})
    [exported] = json.loads(run(app, "export", "--email", "ann@example.org"))["comments"]
    assert exported["appeal"]["note"] == "I live next door, Ann"
    assert exported["appeal"]["rejected_for"] == "blocked_term"
    run(app, "erase", "--email", "ann@example.org")
    with Session(app.extensions["store"].engine) as session:
        assert session.scalar(select(Appeal.note)) == ""
