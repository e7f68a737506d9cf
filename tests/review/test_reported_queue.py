"""Comments readers reported, on both stores: they wait in the pending tab marked "reported" with
the readers' reasons and notes; upholding the reports (rejecting) is a label for retraining,
dismissing them (approving) clears them, and an undo puts everything back."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from model.decisions import load_decisions
from review_helpers import add_comment, reload
from service.review.queue import QueueQuery
from service.storage.tables import AuditEntry, Report


def report(app, comment, reason="spam", ip="203.0.113.1", note=""):
    answer = app.test_client().post(f"/api/comments/{comment.id}/reports",
                                    json={"reason": reason, "note": note},
                                    environ_overrides={"REMOTE_ADDR": ip})
    assert answer.status_code in (200, 201), answer.get_json()
    return answer


def reported(app, text="Buy watches at watches.example", reasons=("spam", "spam"), **fields):
    """A comment the policy published, then reported by one reader per reason."""
    comment = add_comment(app, text, status="published", **fields)
    for n, reason in enumerate(reasons):
        report(app, comment, reason, ip=f"203.0.113.{n + 1}", note=f"note {n + 1}")
    return comment


def reports_of(app, comment) -> list[Report]:
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(Report).where(Report.comment_id == comment.id)
                                    .order_by(Report.id)))


def item_html(moderator, comment, path="/review/") -> str:
    html = moderator.get(path).get_data(as_text=True)
    return re.search(rf'<article[^>]*id="c{comment.id}".*?</article>', html, re.S).group(0)


def test_a_reported_comment_waits_in_the_queue_with_the_readers_reasons(review_app, ann):
    comment = reported(review_app, reasons=("spam", "abuse"))
    report(review_app, comment, "other", ip="203.0.113.9", note="<script>alert(1)</script>")
    item = item_html(ann, comment)
    assert 'data-mark="reported"' in item and "reported by 3 readers" in item
    assert re.findall(r'data-reason="([^"]+)"', item) == ["spam", "abuse", "other"]
    assert "note 2" in item and "&lt;script&gt;alert(1)&lt;/script&gt;" in item
    assert "Readers see this comment now." in item
    assert "Dismiss reports" in item and "Uphold: reject" in item
    assert "reported by readers, still published" in item
    # The readers disagree: the moderator chooses the reason.
    assert '<option value="" selected>choose…</option>' in item


def test_the_readers_reason_is_suggested_when_they_agree(review_app, ann):
    comment = reported(review_app, reasons=("abuse", "abuse"))
    assert '<option value="abuse" selected>' in item_html(ann, comment)


def test_the_queue_filters_comments_back_for_reports(review_app, moderation):
    held = add_comment(review_app, "Held for a link", minutes=1)
    comment = reported(review_app)
    assert {c.id for c in moderation.queue(QueueQuery()).comments} == {held.id, comment.id}
    assert [c.id for c in moderation.queue(QueueQuery(mark="reported")).comments] == \
        [comment.id]
    assert moderation.counts() == {"pending": 2, "auto-rejected": 0, "approved": 1,
                                   "rejected": 0}
    with pytest.raises(ValueError):
        QueueQuery(mark="boring")


def test_upholding_the_reports_rejects_the_comment_and_labels_it(review_app, db_url, ann):
    comment = reported(review_app)
    answer = ann.decide(reload(review_app, comment.id), "reject", "spam")
    assert answer.status_code == 302
    after = reload(review_app, comment.id)
    assert (after.status, after.decision_reason, after.decided_by, after.returned_for) == \
        ("rejected", "spam", "ann", None)
    with Session(review_app.extensions["store"].engine) as session:
        decision = session.scalars(select(AuditEntry).where(AuditEntry.action == "decide")).one()
    assert [(r.resolution, r.decision_id) for r in reports_of(review_app, comment)] == \
        [("upheld", decision.id)] * 2
    # The retraining script reads it as any rejection: a spam label.
    assert {e.comment_id: (e.spam, e.abuse) for e in load_decisions(db_url)} == \
        {comment.id: (1, 0)}
    # Off the site, and out of the queue.
    feed = review_app.test_client().get("/api/articles/demo/comments").get_json()
    assert feed["comments"] == []
    assert review_app.extensions["moderation"].counts()["pending"] == 0


def test_dismissing_the_reports_keeps_it_published_and_clears_them(review_app, ann):
    comment = reported(review_app)
    ann.decide(reload(review_app, comment.id), "approve")
    after = reload(review_app, comment.id)
    assert (after.status, after.decided_by, after.returned_for) == ("published", "ann", None)
    assert [r.resolution for r in reports_of(review_app, comment)] == ["dismissed"] * 2
    assert "reported by" not in item_html(ann, comment, "/review/?status=approved")
    # The readers who reported it count once: reporting again changes nothing. New readers'
    # reports start a new count.
    assert report(review_app, comment, ip="203.0.113.1").get_json()["counted"] is False
    assert reload(review_app, comment.id).returned_for is None
    report(review_app, comment, ip="198.51.100.1")
    report(review_app, comment, ip="198.51.100.2")
    again = reload(review_app, comment.id)
    assert again.returned_for == "reported" and again.decided_by == "ann"
    assert "reported by readers, still published; approved by ann" in item_html(ann, comment)


def test_undo_puts_the_comment_and_its_reports_back(review_app, ann):
    comment = reported(review_app)
    ann.decide(reload(review_app, comment.id), "reject", "abuse")
    assert ann.post("/review/undo").status_code == 302
    after = reload(review_app, comment.id)
    assert (after.status, after.returned_for, after.decided_by, after.decision_reason) == \
        ("published", "reported", None, None)
    assert [(r.resolution, r.decision_id) for r in reports_of(review_app, comment)] == \
        [(None, None)] * 2
    assert "reported by 2 readers" in item_html(ann, comment)


def test_a_decision_readers_reported_since_is_not_undone(review_app, ann):
    comment = add_comment(review_app, "Fine words", status="pending")
    ann.decide(comment, "approve")
    report(review_app, comment, ip="203.0.113.1")
    report(review_app, comment, ip="203.0.113.2")
    answer = ann.post("/review/undo", headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert "was reported by readers since" in answer.get_json()["refused"][0]
    assert reload(review_app, comment.id).returned_for == "reported"


def test_a_hidden_reported_comment_is_published_again_when_dismissed(make_app, db_url,
                                                                   password_hash):
    from review_helpers import Moderator
    from sqlalchemy import insert

    from service.storage.tables import Moderator as ModeratorRow, utcnow

    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_HIDE_REPORTED="true")
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow).values(
            name="ann", password_hash=password_hash, active=True, created_at=utcnow(),
            must_change_password=False))
    ann = Moderator(app, "ann")
    ann.login()
    comment = reported(app)
    assert reload(app, comment.id).status == "pending"
    item = item_html(ann, comment)
    assert "Hidden from readers until you decide." in item
    assert "reported by readers, hidden until a moderator decides" in item
    ann.decide(reload(app, comment.id), "approve")
    assert reload(app, comment.id).status == "published"
    feed = app.test_client().get("/api/articles/demo/comments").get_json()
    assert [c["id"] for c in feed["comments"]] == [comment.id]


def test_opening_a_reported_comment_reserves_it(review_app, ann, bob):
    comment = reported(review_app)
    assert ann.get(f"/review/comments/{comment.id}").status_code == 200
    assert reload(review_app, comment.id).lease_owner == "ann"
    # Bob's queue leaves it out; its own page says who has it.
    assert f'id="c{comment.id}"' not in bob.get("/review/").get_data(as_text=True)
    assert "ann is reviewing this" in item_html(bob, comment, f"/review/comments/{comment.id}")
