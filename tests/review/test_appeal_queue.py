"""Appealed comments on both stores, from the moderators' side: they wait in the pending tab
marked "appeal" with the commenter's note and the decision appealed; granting publishes the
comment, refusing keeps it off the site with the moderator's reason, and either is a label for
retraining like any decision."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.decisions import load_decisions
from review_helpers import add_comment, reload
from service.readers import notices
from service.storage.tables import Report


def appeal(app, comment, note="I was quoting the advert to complain about it."):
    """The commenter appeals through their status link."""
    token = notices.status_token(app.config["SECRET_KEY"], comment.id)
    answer = app.test_client().post(f"/api/comments/status/{token}/appeal", json={"note": note})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def item_html(moderator, comment) -> str:
    html = moderator.get("/review/").get_data(as_text=True)
    return re.search(rf'<article[^>]*id="c{comment.id}".*?</article>', html, re.S).group(0)


def test_an_appealed_comment_waits_with_the_note_and_the_decision_appealed(review_app, ann, bob):
    comment = add_comment(review_app, "The casino plan will ruin the riverside", status="pending")
    bob.decide(comment, "reject", "spam")
    appeal(review_app, reload(review_app, comment.id), "<b>Not spam</b>: I live next door.")
    item = item_html(ann, comment)
    assert 'data-mark="appeal"' in item
    assert "&lt;b&gt;Not spam&lt;/b&gt;: I live next door." in item
    assert "they were told the reason was <q>spam</q>" in item
    assert "appealed by its commenter; was rejected (spam) by bob" in item
    assert "Grant appeal: publish" in item and "Refuse appeal: reject" in item
    assert '<option value="spam" selected>' in item  # the decision appealed, to keep or change


def test_granting_an_appeal_publishes_the_comment_and_labels_it(review_app, db_url, ann):
    comment = add_comment(review_app, "Fair criticism of the council", status="rejected",
                          reasons=["abuse_score>=0.9"])
    appeal(review_app, comment)
    assert ann.decide(reload(review_app, comment.id), "approve").status_code == 302
    after = reload(review_app, comment.id)
    assert (after.status, after.returned_for, after.decided_by) == ("published", None, "ann")
    assert {e.comment_id: (e.spam, e.abuse) for e in load_decisions(db_url)} == \
        {comment.id: (0, 0)}
    assert f'id="c{comment.id}"' not in ann.get("/review/").get_data(as_text=True)


def test_refusing_an_appeal_keeps_it_off_the_site_with_the_moderators_reason(review_app, ann):
    comment = add_comment(review_app, "Buy watches here", status="rejected",
                          reasons=["spam_score>=0.97"])
    answer = appeal(review_app, comment)
    ann.decide(reload(review_app, comment.id), "reject", "off-topic")
    after = reload(review_app, comment.id)
    assert (after.status, after.decision_reason, after.returned_for) == \
        ("rejected", "off-topic", None)
    said = review_app.test_client().get(
        urlsplit(answer["status_url"]).path.replace("/comments/", "/api/comments/", 1)).get_json()
    assert (said["appeal"]["status"], said["reason"]) == ("refused", "off-topic")


def test_a_ban_that_rejects_their_comments_settles_reports_and_appeals(review_app, ann):
    """A ban's rejections are decisions too (service/commenters): the readers' reports of a
    rejected comment are upheld, its commenter's appeal refused, and the status link says so."""
    reported = add_comment(review_app, "Cheap watches", status="published", email_hash="rita")
    for n in (1, 2):
        review_app.test_client().post(f"/api/comments/{reported.id}/reports",
                                      json={"reason": "spam"},
                                      environ_overrides={"REMOTE_ADDR": f"203.0.113.{n}"})
    appealed = add_comment(review_app, "More watches", status="rejected", email_hash="rita",
                           reasons=["spam_score>=0.97"], minutes=1)
    answer = appeal(review_app, appealed)
    assert {reload(review_app, c.id).returned_for for c in (reported, appealed)} == \
        {"reported", "appeal"}
    banned = ann.post("/review/commenters/rita/actions",
                      {"action": "ban", "ban_reason": "spam", "reject_existing": "1"},
                      headers={"Accept": "application/json"})
    assert sorted(banned.get_json()["rejected"]) == [reported.id, appealed.id]
    for comment in (reported, appealed):
        after = reload(review_app, comment.id)
        assert (after.status, after.returned_for, after.decision_reason) == \
            ("rejected", None, "spam")
    said = review_app.test_client().get(
        urlsplit(answer["status_url"]).path.replace("/comments/", "/api/comments/", 1)).get_json()
    assert said["appeal"]["status"] == "refused"
    assert f'id="c{reported.id}"' not in ann.get("/review/").get_data(as_text=True)
    with Session(review_app.extensions["store"].engine) as session:
        assert list(session.scalars(select(Report.resolution))) == ["upheld", "upheld"]
