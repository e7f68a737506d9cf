"""A commenter's export and erasure cover what moderators recorded about them (their standing,
the actions taken on them), on both stores; e-mail-domain rules name no one and stay."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL, good_form
from service.privacy.keys import email_hash
from service.storage.tables import CommenterAction, CommenterStanding, EmailDomainRule

ANN = email_hash("test-email-key", "ann@example.org")


@pytest.fixture
def app(make_app, db_url):
    """Ann, trusted and then banned by moderators; Bob, held; a rule for Ann's domain."""
    app = make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)
    client = app.test_client()
    first = client.post("/api/comments", json=good_form(comment="Ann one")).get_json()["id"]
    client.post("/api/comments", json=good_form(comment="Bob", author="Bob",
                                                email="bob@example.org"))
    commenters = app.extensions["commenters"]
    commenters.act(ANN, "trust", "may")
    commenters.act(ANN, "ban", "june", reason="abuse", comment_id=first, reject_existing=True)
    commenters.act(email_hash("test-email-key", "bob@example.org"), "hold", "may")
    commenters.set_domain_rule("example.org", "hold", "may")
    return app


def _all(app, table):
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(table).order_by(*table.__table__.primary_key)))


def test_export_includes_the_standing_and_every_action_on_them(app):
    result = app.test_cli_runner().invoke(args=["export", "--email", " Ann@Example.org "])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {k: v for k, v in data["standing"].items() if k != "since"} == \
        {"standing": "banned", "reason": "abuse", "moderator": "june"}
    assert data["standing"]["since"]
    assert [(a["action"], a["moderator"], a["reason"], a["rejected"]) for a in data["actions"]] \
        == [("trust", "may", None, 0), ("ban", "june", "abuse", 1)]
    assert data["actions"][1]["comment_id"] == data["comments"][0]["id"]
    assert [a["action"] for a in data["comments"][0]["audit"]] == ["ban"]


def test_erase_lifts_the_ban_and_blanks_them_in_the_actions_taken(app):
    result = app.test_cli_runner().invoke(args=["erase", "--email", "ann@example.org"])
    assert result.exit_code == 0, result.output
    assert [s.standing for s in _all(app, CommenterStanding)] == ["hold"]  # Bob's stays
    ann_actions = [a for a in _all(app, CommenterAction) if a.action in ("trust", "ban")]
    assert [(a.email_hash, a.moderator) for a in ann_actions] == [("", "may"), ("", "june")]
    assert [r.domain for r in _all(app, EmailDomainRule)] == ["example.org"]
    exported = json.loads(app.test_cli_runner().invoke(
        args=["export", "--email", "ann@example.org"]).output)
    assert (exported["comments"], exported["standing"], exported["actions"]) == ([], None, [])
    # With the ban gone, Ann can comment again.
    assert app.test_client().post("/api/comments",
                                  json=good_form(comment="Back.")).status_code == 201


def test_erase_can_keep_a_ban_in_force(app):
    result = app.test_cli_runner().invoke(
        args=["erase", "--email", "ann@example.org", "--keep-ban"])
    assert result.exit_code == 0, result.output
    assert {s.email_hash: s.standing for s in _all(app, CommenterStanding)}[ANN] == "banned"
    # The ban's record stays with it; the comments are anonymised as ever.
    exported = json.loads(app.test_cli_runner().invoke(
        args=["export", "--email", "ann@example.org"]).output)
    assert exported["comments"] == [] and [a["action"] for a in exported["actions"]] == \
        ["trust", "ban"]
    assert app.test_client().post("/api/comments",
                                  json=good_form(comment="Back.")).status_code == 403


def test_keep_ban_keeps_nothing_for_a_commenter_who_is_not_banned(app):
    app.test_cli_runner().invoke(args=["erase", "--email", "bob@example.org", "--keep-ban"])
    assert [s.standing for s in _all(app, CommenterStanding)] == ["banned"]  # Ann's only
    assert [a.email_hash for a in _all(app, CommenterAction) if a.domain is None
            and a.action == "hold"] == [""]
