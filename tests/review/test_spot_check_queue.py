"""Spot checks on both stores: a comment the policy published and picked at random stays
published, waits in the review queue marked as a spot check, and the moderator's keep or remove
is a label for retraining and a point in the models page's estimate of what gets through."""

from __future__ import annotations

import random
import re

import pytest
from alembic import command
from sqlalchemy import JSON, column, insert, inspect, select, table

from model.decisions import load_decisions
from review_helpers import T0, add_comment, reload
from service.storage.db import alembic_config, make_engine, upgrade
from service.review.queue import QueueQuery
from service.decisions.spot_checks import Picker, Tally, tally
from service.storage.tables import UTCDateTime


@pytest.fixture
def every_published(review_app):
    """Every comment the policy publishes is also spot-checked (share 1)."""
    review_app.extensions["spot_checks"] = Picker(1.0, random.Random(16).random)
    return review_app


def post(app, text: str, author: str = "Ann Reader") -> dict:
    response = app.test_client().post("/api/comments", json={
        "comment": text, "author": author, "email": "ann@example.org", "comment_post_ID": "demo"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# More links than MODERATION_MAX_LINKS: held by a rule, whatever the scores.
LINKS = "See http://a.example http://b.example http://c.example"


def feed_ids(app) -> list[int]:
    body = app.test_client().get("/api/articles/demo/comments").get_json()
    return [comment["id"] for comment in body["comments"]]


def test_a_spot_checked_comment_is_published_and_waits_in_the_queue(every_published,
                                                                     moderation):
    answer = post(every_published, "The new ramps are a real improvement.")
    held = post(every_published, LINKS, author="Spammer")
    # The reader's comment appears at once: the answer and the feed say published.
    assert answer["status"] == "published" and held["status"] == "pending"
    assert feed_ids(every_published) == [answer["id"]]
    checked = reload(every_published, answer["id"])
    assert checked.spot_check and checked.decided_by is None
    # Only what the policy published is spot-checked; the held comment waits as before.
    assert not reload(every_published, held["id"]).spot_check
    assert {c.id for c in moderation.queue(QueueQuery(), limit=10).comments} == \
        {answer["id"], held["id"]}
    assert moderation.counts()["pending"] == 2


def test_the_queue_marks_a_spot_check_and_leaves_the_reason_to_the_moderator(
        every_published, ann):
    answer = post(every_published, "The new ramps are a real improvement.")
    html = ann.get("/review/").get_data(as_text=True)
    item = re.search(rf'<article[^>]*id="c{answer["id"]}".*?</article>', html, re.S).group(0)
    assert "spot check: published, picked at random" in item
    assert 'data-awaiting="true"' in item and "Readers see this comment now" in item
    assert "published by the policy; no moderator has checked it yet" in item
    # Nothing held it, so no reason is guessed: a quick reject must not store a wrong label.
    assert '<option value="" selected>choose…</option>' in item


def test_log_only_publishes_without_spot_checking_what_the_policy_held(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_LOG_ONLY="true",
                   MODERATION_SPOT_CHECK_SHARE="1")
    held = post(app, LINKS)
    calm = post(app, "The new ramps are a real improvement.")
    assert held["status"] == calm["status"] == "published"
    assert not reload(app, held["id"]).spot_check  # the policy held it: no sample of a miss
    assert reload(app, calm["id"]).spot_check


def test_share_zero_puts_nothing_published_in_the_queue(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_SPOT_CHECK_SHARE="0")
    answers = [post(app, f"A fair point number {n}.") for n in range(5)]
    assert {a["status"] for a in answers} == {"published"}
    assert app.extensions["moderation"].queue(QueueQuery()).comments == []


def test_removing_a_spot_check_unpublishes_it_and_stores_the_label(every_published, ann,
                                                                   db_url):
    kept = post(every_published, "The new ramps are a real improvement.")
    removed = post(every_published, "You are all fools for using that bridge.")
    assert feed_ids(every_published) == [kept["id"], removed["id"]]

    assert ann.decide(reload(every_published, kept["id"]), "approve").status_code == 302
    assert ann.decide(reload(every_published, removed["id"]), "reject",
                      "abuse").status_code == 302

    assert feed_ids(every_published) == [kept["id"]]  # removed: off the site
    assert reload(every_published, removed["id"]).status == "rejected"
    assert every_published.extensions["moderation"].queue(QueueQuery()).comments == []
    labels = {e.comment_id: (e.spam, e.abuse) for e in load_decisions(db_url)}
    assert labels == {kept["id"]: (0, 0), removed["id"]: (0, 1)}
    assert tally(every_published.extensions["store"].engine) == Tally(open=0, kept=1, removed=1)


def test_undo_reopens_the_spot_check_and_takes_the_label_back(review_app, moderation, db_url):
    comment = add_comment(review_app, "A fair point.", status="published", spot_check=True)
    moderation.decide(comment.id, "ann", "reject", "spam")
    assert [e.comment_id for e in load_decisions(db_url)] == [comment.id]
    moderation.undo_last("ann")
    back = reload(review_app, comment.id)
    assert (back.status, back.decided_by, back.lease_owner) == ("published", None, "ann")
    assert load_decisions(db_url) == []
    assert [c.id for c in moderation.queue(QueueQuery()).comments] == [comment.id]


def test_a_spot_check_is_leased_like_a_held_comment(review_app, moderation):
    comment = add_comment(review_app, "A fair point.", status="published", spot_check=True)
    assert [c.id for c in moderation.queue(QueueQuery(), moderator="ann").comments] == \
        [comment.id]
    assert moderation.queue(QueueQuery(), moderator="bob").comments == []
    assert not moderation.claim(comment.id, "bob")


@pytest.mark.parametrize("order", ["risk", "oldest"])
def test_pages_merge_held_comments_and_spot_checks_in_order(review_app, moderation, order):
    for n in range(12):
        add_comment(review_app, f"comment {n}", minutes=n, spam=(n % 5) / 5, abuse=0.0,
                    status="published" if n % 3 == 0 else "pending", spot_check=n % 3 == 0)
    add_comment(review_app, "published, not picked", status="published")
    everything = [c.id for c in moderation.queue(QueueQuery(order=order), limit=100).comments]
    seen, after = [], None
    while True:
        page = moderation.queue(QueueQuery(order=order), after=after, limit=5)
        seen += [c.id for c in page.comments]
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == everything and len(seen) == 12
    rows = [reload(review_app, i) for i in seen]
    key = (lambda c: (c.created_at, c.id)) if order == "oldest" else \
        (lambda c: (-c.risk, c.created_at, c.id))
    assert rows == sorted(rows, key=key)


def test_the_models_page_estimates_what_gets_through(review_app, moderation, ann):
    page = ann.get("/review/models").get_data(as_text=True)
    assert "No spot check has been decided yet" in page
    for n in range(20):
        comment = add_comment(review_app, f"published {n}", status="published",
                              spot_check=True, minutes=n)
        if n < 19:
            moderation.decide(comment.id, "ann", "reject" if n < 2 else "approve",
                              "spam" if n < 2 else None)
    page = ann.get("/review/models").get_data(as_text=True)
    section = re.search(r'<section class="misses".*?</section>', page, re.S).group(0)
    assert "Moderators removed 2 of the 19 published comments they checked." in section
    # 2 of 19 is 10.5%; the 95% Wilson interval is 2.9% to 31.4%.
    assert "about 11% of the comments this site publishes are ones a moderator would " \
        "remove: between 2.9% and 31%, with 95% confidence" in section
    assert "1 spot check waits in the review queue." in section


def test_metrics_count_open_kept_and_removed_spot_checks(review_app, moderation):
    for n, outcome in enumerate(["open", "open", "kept", "removed"]):
        comment = add_comment(review_app, f"published {n}", status="published", spot_check=True)
        if outcome != "open":
            moderation.decide(comment.id, "ann", "approve" if outcome == "kept" else "reject",
                              "other" if outcome == "removed" else None)
    text = review_app.test_client().get("/metrics").get_data(as_text=True)
    assert 'moderation_spot_checks{state="open"} 2.0' in text
    assert 'moderation_spot_checks{state="kept"} 1.0' in text
    assert 'moderation_spot_checks{state="removed"} 1.0' in text


def test_migration_0009_adds_the_flag_unset_and_downgrades(unmigrated_db_url):
    engine = make_engine(unmigrated_db_url)
    upgrade(engine, "0007")
    # The comments table as revision 0007 had it: no spot_check column.
    comments = table("comments", *(column(name) for name in (
        "post_id", "author", "email", "email_hash", "url", "text", "fingerprint", "permalink",
        "status", "policy_status", "ip_hash", "user_agent")), column("reasons", JSON()),
        column("created_at", UTCDateTime()), column("updated_at", UTCDateTime()))
    with engine.begin() as connection:
        connection.execute(insert(comments), [dict(
            post_id="p", author="a", email="e", email_hash="h", url="", text="t",
            fingerprint="f", permalink="", status="published", policy_status="published",
            reasons=[], ip_hash="i", user_agent="", created_at=T0, updated_at=T0)])
    upgrade(engine, "0009")
    with engine.connect() as connection:
        assert connection.execute(select(column("spot_check")).select_from(
            table("comments"))).scalar_one() in (False, 0)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0007")
    assert "spot_check" not in {c["name"] for c in inspect(engine).get_columns("comments")}
    engine.dispose()
