"""Intake enforcing what moderators set for commenters and e-mail domains, on SQLite and on
PostgreSQL: the store's one lookup reads the standing and the domain rule, a refusal stores
nothing and tells the reader in the site's words, holds and trust reach the stored comment."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert

from comment_helpers import PUBLISH_ALL, all_comments, good_form, only_comment
from service.storage import store as store_module
from service.storage.db import make_engine, upgrade
from service.intake.views import REFUSALS
from service.decisions.policy import Decision, History
from service.privacy.keys import email_hash
from service.storage.store import Candidate
from service.storage.tables import CommenterStanding, EmailDomainRule, utcnow

BANNED_MESSAGE = "Sorry, our moderators no longer accept comments from this email address."
DOMAIN_MESSAGE = ("Sorry, we do not accept comments from email addresses at this domain. "
                  "Please use another address.")
ANN = email_hash("test-email-key", "ann@example.org")


@pytest.fixture
def site(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)


def set_standing(app, email_hash_: str, standing: str, reason: str | None = None) -> None:
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(CommenterStanding), [{
            "email_hash": email_hash_, "standing": standing, "reason": reason,
            "moderator": "ann", "since": utcnow()}])


def set_domain_rule(app, domain: str, rule: str) -> None:
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(EmailDomainRule), [{
            "domain": domain, "rule": rule, "moderator": "ann", "since": utcnow()}])


def test_the_store_hands_the_policy_the_standing_and_the_domain_rule(site):
    set_standing(site, "e-ann", "hold")
    set_domain_rule(site, "example.org", "reject")
    seen = []
    store = site.extensions["store"]
    for hashed, domain in (("e-ann", "example.org"), ("e-bob", "example.net"),
                           ("e-cy", "example.org")):
        store.enqueue(Candidate(post_id="p1", author="A", email=f"x@{domain}",
                                email_hash=hashed, email_domain=domain, text=f"From {hashed}.",
                                ip_hash="ip-1"),
                      lambda history: seen.append(history) or Decision("published", (),
                                                                       "published"),
                      duplicate_window=600, rate=None)
    assert seen == [History(standing="hold", domain_rule="reject"), History(),
                    History(domain_rule="reject")]


def test_a_refused_comment_is_not_stored(site):
    store = site.extensions["store"]
    outcome = store.enqueue(
        Candidate(post_id="p1", author="A", email="a@example.org", email_hash="e-a",
                  text="Hello.", ip_hash="ip-1"),
        lambda history: Decision("rejected", ("banned",), "rejected", refused="banned"),
        duplicate_window=600, rate=None)
    assert (outcome.kind, outcome.refusal, outcome.comment) == ("refused", "banned", None)
    assert all_comments(site) == []


def test_a_banned_commenter_is_refused_in_the_sites_words_and_nothing_is_kept(site):
    set_standing(site, ANN, "banned", "abuse")
    client = site.test_client()
    answer = client.post("/api/comments", json=good_form())
    assert answer.status_code == 403
    assert answer.get_json()["error"] == {"field": "email", "code": "banned",
                                          "message": BANNED_MESSAGE}
    page = client.post("/comments", data=good_form(comment="My careful reply."))
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert BANNED_MESSAGE in html and "My careful reply." in html  # what they wrote is not lost
    # Any case and spacing of the address is the same commenter.
    assert client.post("/api/comments",
                       json=good_form(email=" ANN@Example.org ")).status_code == 403
    assert all_comments(site) == []
    # Someone else is not affected.
    assert client.post("/api/comments", json=good_form(email="bo@example.org")).status_code == 201


def test_a_ban_is_told_before_a_duplicate(site):
    client = site.test_client()
    assert client.post("/api/comments", json=good_form()).status_code == 201
    set_standing(site, ANN, "banned", "spam")
    again = client.post("/api/comments", json=good_form())  # the same text again
    assert again.status_code == 403 and again.get_json()["error"]["code"] == "banned"


def test_a_refused_domain_is_told_so_and_others_are_not(site):
    set_domain_rule(site, "spam.example", "reject")
    client = site.test_client()
    answer = client.post("/api/comments", json=good_form(email="x@Spam.Example"))
    assert answer.status_code == 403
    assert answer.get_json()["error"] == {"field": "email", "code": "domain_rejected",
                                          "message": DOMAIN_MESSAGE}
    # Exactly that domain: not a subdomain, not a longer name.
    for address in ("x@mail.spam.example", "x@notspam.example"):
        assert client.post("/api/comments", json=good_form(email=address, author=address)
                           ).status_code == 201
    assert len(all_comments(site)) == 2


def test_a_held_domain_and_an_always_held_commenter_wait_for_a_moderator(site):
    set_domain_rule(site, "xn--bcher-kva.de", "hold")
    client = site.test_client()
    answer = client.post("/api/comments", json=good_form(email="leser@b\u00fccher.de"))
    assert answer.status_code == 201
    assert answer.get_json()["status"] == "pending"
    assert answer.get_json()["reasons"] == ["domain:hold"]
    set_standing(site, ANN, "hold")
    held = client.post("/comments", data=good_form(comment="A second thought."))
    assert held.status_code == 303 and "moderation=awaiting" in held.headers["Location"]
    assert [(c.status, c.reasons) for c in all_comments(site)] == [
        ("pending", ["domain:hold"]), ("pending", ["commenter:hold"])]


def test_a_trusted_commenter_is_published_where_a_newcomer_is_held(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **{**PUBLISH_ALL, "MODERATION_MAX_LINKS": "0"})
    set_standing(app, ANN, "trusted")
    client = app.test_client()
    links = "See https://example.org/report for the figures."
    assert client.post("/api/comments",
                       json=good_form(comment=links, email="bo@example.org", author="Bo")
                       ).get_json()["status"] == "pending"
    trusted = client.post("/api/comments", json=good_form(comment=links)).get_json()
    assert (trusted["status"], trusted["reasons"]) == ("published", ["trusted:moderator"])


def test_refusals_are_counted_by_code(site):
    set_standing(site, ANN, "banned", "spam")
    site.test_client().post("/api/comments", json=good_form())
    metrics = site.test_client().get("/metrics").get_data(as_text=True)
    assert 'moderation_comment_errors_total{code="banned"}' in metrics


def test_the_refusal_messages_are_the_ones_readers_see():
    assert REFUSALS == {"banned": ("email", BANNED_MESSAGE),
                        "domain_rejected": ("email", DOMAIN_MESSAGE)}


def test_the_standing_and_the_domain_rule_are_primary_key_probes(tmp_path):
    # Inside intake's one lookup, each is a single index probe: no scan, whatever the tables hold.
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        details = [row[3] for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + store_module._SQLITE_LOOKUP,
            (None,) * store_module._SQLITE_LOOKUP.count("?")).fetchall()]
    engine.dispose()
    assert any("commenter_standings USING INDEX sqlite_autoindex_commenter_standings_1 "
               "(email_hash=?)" in detail for detail in details), details
    assert any("email_domain_rules USING INDEX sqlite_autoindex_email_domain_rules_1 "
               "(domain=?)" in detail for detail in details), details
    assert not any(detail.startswith("SCAN") and ("commenter_standings" in detail
                                                  or "email_domain_rules" in detail)
                   for detail in details), details


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_one_lookup_statement_per_comment_on_postgresql(make_app, db_url):
    # SQLite's intake runs on the driver's own connection: its plan is checked above.
    app = make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL)
    engine = app.extensions["store"].engine
    statements = []

    def record(connection, cursor, statement, *rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert app.test_client().post("/api/comments", json=good_form()).status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", record)
    lookups = [s for s in statements if "commenter_standings" in s]
    assert len(lookups) == 1 and "email_domain_rules" in lookups[0]
    assert only_comment(app).status == "published"
