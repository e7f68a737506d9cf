"""The commenter's private status link and their appeal through the app, on SQLite and
PostgreSQL: where the link is given, what the page and the JSON say at each step, the appeal and
its outcome, and the audit log's notices. The moderators' side of an appeal is in
tests/review/test_appeal_queue.py; the whole story in Chromium in
tests/review/test_status_browser.py."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from comment_helpers import HOLD_ALL, PUBLISH_ALL, good_form
from service.review.queue import QueueQuery
from service.readers import notices
from service.storage.tables import Appeal, AuditEntry, Comment

WATCHED = {**PUBLISH_ALL, "MODERATION_WATCHED_TERMS": "council",
           "MODERATION_BLOCKED_TERMS": "casino"}


@pytest.fixture
def app(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url, **WATCHED)


def post(client, text: str, **fields) -> dict:
    response = client.post("/api/comments", json=good_form(comment=text, **fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def path(url: str) -> str:
    return urlsplit(url).path


def status(client, answer: dict) -> dict:
    response = client.get(path(answer["status_url"]).replace("/comments/", "/api/comments/", 1))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def appeal(client, answer: dict, note: str = "It was about the council's report."):
    return client.post(path(answer["status_url"]).replace("/comments/", "/api/comments/", 1)
                       + "/appeal", json={"note": note})


def audit(app, comment_id: int) -> list[tuple[str, str, str | None]]:
    with Session(app.extensions["store"].engine) as session:
        return [(e.moderator, e.action, e.reason) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.comment_id == comment_id)
            .order_by(AuditEntry.id))]


def decide(app, comment_id: int, action: str, reason: str | None = None, who: str = "ann"):
    app.extensions["moderation"].decide(comment_id, who, action, reason)


# -- where the link is given ----------------------------------------------------------------------

def test_the_json_receipt_carries_the_private_status_link(app):
    client = app.test_client()
    answer = post(client, "Will the council publish it?")
    token = path(answer["status_url"]).rsplit("/", 1)[1]
    assert answer["status_url"] == f"http://localhost/comments/status/{token}"
    assert notices.comment_for(app.config["SECRET_KEY"], token) == answer["id"]
    # A copy gets the first comment's receipt, but not its link: the copy's sender may not be
    # the one who wrote it.
    again = client.post("/api/comments", json=good_form(comment="Will the council publish it?"))
    assert again.status_code == 409 and "status_url" not in again.get_json()


def test_the_awaiting_moderation_notice_links_the_status_page(app):
    client = app.test_client()
    sent = client.post("/comments", data=good_form(comment="Will the council publish it?"))
    assert sent.status_code == 303
    query = parse_qs(urlsplit(sent.headers["Location"]).query)
    token = query["status_token"][0]
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    notice = re.search(r'<p class="notice" id="awaiting-moderation".*?</p>', page, re.S).group(0)
    assert f'href="/comments/status/{token}"' in notice and "Follow your comment" in notice
    # A token for another comment, or none that the server signed, shows no link.
    other = notices.status_token(app.config["SECRET_KEY"], int(query["unapproved"][0]) + 1)
    for bad in (other, token[:-2] + "xx"):
        html = client.get(f"/?unapproved={query['unapproved'][0]}&moderation=awaiting"
                          f"&status_token={bad}").get_data(as_text=True)
        assert "Your comment is awaiting moderation" in html and "status-link" not in html


def test_a_published_comment_goes_to_its_anchor_without_a_token(app):
    sent = app.test_client().post("/comments", data=good_form(comment="Glad it is open."))
    assert "#comment-" in sent.headers["Location"] and "status_token" not in \
        sent.headers["Location"]


# -- what the link shows --------------------------------------------------------------------------

def test_the_status_follows_the_comment_and_says_why_it_was_rejected(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **WATCHED,
                   MODERATION_REASON_OFF_TOPIC="Please keep to the footbridge.")
    client = app.test_client()
    answer = post(client, "Will the council publish it?")
    held = status(client, answer)
    assert (held["status"], held["reason"], held["can_appeal"]) == ("pending", None, False)
    assert held["message"].startswith("Your comment is awaiting moderation.")

    decide(app, answer["id"], "reject", "off-topic")
    rejected = status(client, answer)
    assert (rejected["status"], rejected["reason"], rejected["decided_by"]) == \
        ("rejected", "off-topic", "moderator")
    assert rejected["explanation"] == "Please keep to the footbridge." and rejected["can_appeal"]
    page = client.get(path(answer["status_url"]))
    text = page.get_data(as_text=True)
    assert "Why: Please keep to the footbridge." in text and 'id="appealform"' in text
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in text


def test_an_automatic_rejection_says_the_filters_decided(app):
    client = app.test_client()
    answer = post(client, "Play casino games here")
    assert answer["status"] == "rejected"
    said = status(client, answer)
    assert (said["reason"], said["decided_by"]) == ("blocked_term", "automated")
    assert said["explanation"] == app.config["MODERATION_REASON_BLOCKED_TERM"]


def test_a_published_comment_says_so_and_links_it(app):
    client = app.test_client()
    answer = post(client, "Glad the bridge is open.")
    said = status(client, answer)
    assert said["status"] == "published" and said["comment_url"].endswith(
        f"#comment-{answer['id']}")


def test_a_bad_link_gets_a_clear_answer(app):
    client = app.test_client()
    for url in ("/api/comments/status/nonsense", "/api/comments/status/nonsense/appeal"):
        answer = client.open(url, method="POST" if url.endswith("appeal") else "GET",
                             json={"note": "x"})
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
    page = client.get("/comments/status/nonsense")
    assert page.status_code == 404 and "This status link is not valid." in \
        page.get_data(as_text=True)


def test_the_status_page_records_each_notice_once_in_the_audit_log(app):
    client = app.test_client()
    answer = post(client, "Will the council publish it?")
    client.get(path(answer["status_url"]))  # pending: no notice of a restriction
    decide(app, answer["id"], "reject", "spam")
    for _ in range(3):
        client.get(path(answer["status_url"]))
    assert audit(app, answer["id"]) == [("ann", "decide", "spam"),
                                        ("(status page)", "notice", "spam")]
    app.extensions["moderation"].undo_last("ann")
    decide(app, answer["id"], "reject", "abuse")
    client.get(path(answer["status_url"]))
    assert audit(app, answer["id"])[-1] == ("(status page)", "notice", "abuse")


# -- the appeal -----------------------------------------------------------------------------------

def test_a_rejected_commenter_appeals_once_and_the_comment_goes_back_to_the_queue(app):
    client = app.test_client()
    answer = post(client, "Play casino games here")
    sent = appeal(client, answer, "  I was quoting an advert to complain about it.  ")
    assert sent.status_code == 201
    body = sent.get_json()
    assert (body["status"], body["appeal"]["status"], body["reason"]) == \
        ("pending", "pending", "blocked_term")
    with Session(app.extensions["store"].engine) as session:
        comment = session.get(Comment, answer["id"])
        stored = session.scalar(select(Appeal))
    assert (comment.status, comment.returned_for) == ("pending", "appeal")
    assert (stored.note, stored.rejected_for, stored.outcome) == \
        ("I was quoting an advert to complain about it.", "blocked_term", None)
    assert audit(app, answer["id"])[-1] == ("(commenter)", "appeal", "blocked_term")
    queue = app.extensions["moderation"].queue(QueueQuery(mark="appeal"))
    assert [c.id for c in queue.comments] == [answer["id"]]
    # Once: a second appeal is refused, and so is one after the outcome.
    again = appeal(client, answer)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_appealed"
    decide(app, answer["id"], "reject", "spam")
    assert appeal(client, answer).get_json()["error"]["code"] == "already_appealed"


@pytest.mark.parametrize("settings", [HOLD_ALL, PUBLISH_ALL], ids=["pending", "published"])
def test_only_a_rejected_comment_can_be_appealed(make_app, db_url, settings):
    client = make_app(MODERATION_DATABASE_URL=db_url, **settings).test_client()
    answer = post(client, "A fair point.")
    refused = appeal(client, answer)
    assert refused.status_code == 409 and refused.get_json()["error"] == {
        "code": "not_rejected", "field": None,
        "message": "Only a comment that is not shown on the site can be appealed."}


def test_an_appeal_needs_a_note_in_json_and_in_the_form(app):
    client = app.test_client()
    answer = post(client, "Play casino games here")
    missing = appeal(client, answer, "   ")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == {"code": "note_required", "field": "note",
                                           "message": "Please tell us why the decision should "
                                                      "change."}
    form = client.post(path(answer["status_url"]) + "/appeal", data={"note": ""})
    assert form.status_code == 400
    assert "Please tell us why the decision should change." in form.get_data(as_text=True)
    sent = client.post(path(answer["status_url"]) + "/appeal", data={"note": "Please look."})
    assert sent.status_code == 303 and sent.headers["Location"] == path(answer["status_url"])
    assert "You appealed this decision on" in client.get(sent.headers["Location"]).get_data(
        as_text=True)


def test_the_outcome_of_the_appeal_is_shown_on_the_same_link(app):
    client = app.test_client()
    granted, refused = post(client, "Play casino games here"), post(client, "casino night!")
    for answer in (granted, refused):
        appeal(client, answer)
    decide(app, granted["id"], "approve")
    decide(app, refused["id"], "reject", "spam", who="bob")
    said = status(client, granted)
    assert (said["status"], said["appeal"]["status"]) == ("published", "granted")
    assert said["message"] == "Your appeal was accepted: your comment is published."
    said = status(client, refused)
    assert (said["status"], said["appeal"]["status"], said["reason"], said["can_appeal"]) == \
        ("rejected", "refused", "spam", False)
    assert said["message"].startswith("A moderator reviewed your appeal, and the decision "
                                      "stands")
    feed = client.get("/api/articles/demo/comments").get_json()["comments"]
    assert [c["id"] for c in feed] == [granted["id"]]


def test_undoing_the_answer_to_an_appeal_opens_it_again(app):
    client = app.test_client()
    answer = post(client, "Play casino games here")
    appeal(client, answer)
    decide(app, answer["id"], "approve")
    app.extensions["moderation"].undo_last("ann")
    said = status(client, answer)
    assert (said["status"], said["appeal"]["status"]) == ("pending", "pending")
    with Session(app.extensions["store"].engine) as session:
        assert session.get(Comment, answer["id"]).returned_for == "appeal"


def test_a_rejection_appealed_since_is_not_undone(app):
    client = app.test_client()
    answer = post(client, "Will the council publish it?")
    decide(app, answer["id"], "reject", "other")
    appeal(client, answer)
    result = app.extensions["moderation"].undo_last("ann")
    assert "was appealed by its commenter since" in result.refused[answer["id"]].message
    assert status(client, answer)["appeal"]["status"] == "pending"
