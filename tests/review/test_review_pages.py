"""The review pages through HTTP: what an item shows, plain-form actions, JSON answers for the
page script, conflicts, the audit page and the security headers."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

from sqlalchemy import update

from review_helpers import add_comment, reload
from service.review.queue import state_token
from service.storage.db import IMMEDIATE
from service.storage.tables import Comment, utcnow
from service.review.views import highlight


def test_highlight_marks_exactly_the_character_ranges_the_explanation_gives():
    text = "Get FREE stuff at http://x.example, idiot!"
    explanation = {"spam": [{"term": "free", "weight": 2.0, "spans": [[4, 8]]},
                            {"term": "a link", "weight": 1.0, "spans": [[18, 34]]},
                            {"term": "exclamation marks", "weight": 0.3, "spans": []}],
                   "abuse": [{"term": "idiot", "weight": 0.5, "spans": [[36, 41]]}]}
    segments = highlight(text, explanation)
    assert [(piece, label) for piece, label in segments if label] == \
        [("FREE", "spam"), ("http://x.example", "spam"), ("idiot", "abuse")]
    assert "".join(piece for piece, _ in segments) == text


def test_where_evidence_overlaps_the_heavier_label_marks_the_shared_characters():
    explanation = {"spam": [{"term": "casino idiot", "weight": 0.4, "spans": [[0, 12]]}],
                   "abuse": [{"term": "idiot", "weight": 3.0, "spans": [[7, 12]]}]}
    assert highlight("casino idiot", explanation) == [("casino ", "spam"), ("idiot", "abuse")]


def test_queue_item_shows_scores_highlights_rules_history_and_article(review_app, ann):
    add_comment(review_app, "earlier", status="published", email_hash="h")
    add_comment(review_app, "earlier too", status="rejected", email_hash="h")
    comment = add_comment(review_app, "Win at the casino, you idiot", email_hash="h",
                          reasons=["spam_score>=0.5", "links>2"], post_id="bridge-news",
                          permalink="https://news.example/bridge#comment-9")
    page = ann.get("/review/").get_data(as_text=True)
    assert f'id="c{comment.id}"' in page
    assert '<mark class="spam" title="raised the spam score">casino</mark>' in page
    assert '<mark class="abuse" title="raised the abuse score">idiot</mark>' in page
    assert re.search(r'<meter id="spam-\d+"[^>]*value="0.300"', page)
    # Rule chips read as sentences; the code stays in the title for whoever needs it.
    assert '<li title="spam_score&gt;=0.5">Spam 30%, holds at 50%</li>' in page
    assert '<li title="links&gt;2">More than 2 links</li>' in page
    assert "earlier: 1 approved, 1 rejected" in page
    assert 'href="https://news.example/bridge#comment-9"' in page
    assert re.search(r'pending\s*<span class="count">1</span>', page)


def _reason_menu(page: str, comment) -> str:
    item = page.split(f'id="c{comment.id}"', 1)[1].split("</article>", 1)[0]
    return re.search(r'<select name="reason">(.*?)</select>', item).group(1)


def test_the_reject_reason_is_the_label_that_held_the_comment_or_none(review_app, ann):
    rude = add_comment(review_app, "you idiot", reasons=["abuse_score>=0.5"])
    spam = add_comment(review_app, "casino", reasons=["spam_score>=0.5"])
    rule = add_comment(review_app, "the council again", reasons=["watched_term:council"])
    page = ann.get("/review/").get_data(as_text=True)
    assert '<option value="abuse" selected>' in _reason_menu(page, rude)
    assert '<option value="spam" selected>' in _reason_menu(page, spam)
    menu = _reason_menu(page, rule)
    assert menu.startswith('<option value="" selected>choose') and menu.count("selected") == 1
    bulk = page.split('id="bulk"', 1)[1].split("</form>", 1)[0]
    assert '<option value="" selected>choose a reason' in bulk  # a bulk reject names its reason


def test_a_reject_without_a_reason_is_refused_with_a_message(review_app, ann):
    comment = add_comment(review_app, "the council again", reasons=["watched_term:council"])
    ann.get("/review/")
    form = {"action": "reject", "reason": "", "seen": state_token(comment)}  # as the page sends
    answer = ann.post(f"/review/comments/{comment.id}/decide", form,
                      headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert answer.json["refused"] == [
        "Choose a reason to reject (spam, abuse, off-topic, other); nothing was saved."]
    plain = ann.post(f"/review/comments/{comment.id}/decide", form)
    assert "Choose a reason to reject" in ann.get(plain.headers["Location"]).get_data(as_text=True)
    assert reload(review_app, comment.id).status == "pending"
    assert ann.decide(reload(review_app, comment.id), "approve").status_code == 302  # no reason
    assert reload(review_app, comment.id).status == "published"


def test_approve_with_a_plain_form_redirects_back_with_a_message(review_app, ann):
    comment = add_comment(review_app)
    ann.get("/review/")
    response = ann.decide(comment, "approve")
    assert response.status_code == 302 and response.headers["Location"] == "/review/"
    assert reload(review_app, comment.id).status == "published"
    assert "Approved 1 comment." in ann.get("/review/").get_data(as_text=True)


def test_json_answer_carries_the_re_rendered_item(review_app, ann):
    comment = add_comment(review_app)
    ann.get("/review/")
    response = ann.decide(comment, "reject", "off-topic", json=True)
    assert response.status_code == 200
    body = response.json
    assert body["ok"] and body["message"].startswith("Rejected (off-topic) 1 comment")
    assert 'data-status="rejected"' in body["items"][str(comment.id)]


def test_a_just_decided_item_comes_back_with_its_controls_off_and_an_undone_one_with_them_on(
        review_app, ann):
    comment = add_comment(review_app)
    ann.get("/review/")
    decided = ann.decide(comment, "approve", json=True).json["items"][str(comment.id)]
    assert " done" in decided.split(">", 1)[0]
    assert decided.count(" disabled") == 5  # box, seen-token, approve, reason, reject
    undone = ann.post("/review/undo", {"back": "/review/"},
                      headers={"Accept": "application/json"}).json["items"][str(comment.id)]
    assert " disabled" not in undone and " done" not in undone.split(">", 1)[0]
    ann.decide(reload(review_app, comment.id), "approve")
    # Decided comments listed on the approved and rejected tabs can still be reversed there.
    approved = ann.get("/review/?status=approved").get_data(as_text=True)
    assert f'id="c{comment.id}"' in approved and " disabled" not in approved


def test_json_answer_carries_the_new_counts_of_the_page_it_came_from(review_app, ann):
    comment = add_comment(review_app, "on a1", post_id="a1")
    add_comment(review_app, "also on a1", post_id="a1")
    add_comment(review_app, "elsewhere", post_id="a2")
    ann.get("/review/?post=a1")
    from service.review.queue import state_token

    response = ann.post(f"/review/comments/{comment.id}/decide",
                        {"action": "approve", "seen": state_token(comment),
                         "back": "/review/?post=a1&order=oldest"},
                        headers={"Accept": "application/json"})
    assert response.json["counts"] == {"pending": 1, "auto-rejected": 0, "approved": 1,
                                       "rejected": 0}
    everywhere = ann.post("/review/undo", {"back": "/review/"},
                          headers={"Accept": "application/json"})
    assert everywhere.json["counts"]["pending"] == 3


def test_second_moderator_is_told_who_decided_first(review_app, ann, bob):
    comment = add_comment(review_app)
    assert ann.decide(comment, "approve").status_code == 302
    refused = bob.decide(comment, "reject", "spam", json=True)
    assert refused.status_code == 409
    assert "already decided: approved by ann" in refused.json["refused"][0]
    plain = bob.decide(comment, "reject", "spam")
    assert "approved by ann" in bob.get(plain.headers["Location"]).get_data(as_text=True)
    assert reload(review_app, comment.id).decided_by == "ann"


def test_leased_comments_are_left_out_of_the_other_moderators_queue(review_app, ann, bob):
    comment = add_comment(review_app)
    assert f'id="c{comment.id}"' in ann.get("/review/").get_data(as_text=True)
    assert f'id="c{comment.id}"' not in bob.get("/review/").get_data(as_text=True)
    refused = bob.decide(comment, "approve", json=True)
    assert refused.status_code == 409 and "ann is reviewing" in refused.json["refused"][0]


def test_a_lease_committed_while_the_page_is_drawn_is_shown(review_app, ann):
    # Two moderators opening one comment at the same moment: bob's lease is written but not yet
    # committed when ann's page claims the comment. Her claim must wait for it, not skip it,
    # or the page is drawn without "bob is reviewing this".
    comment = add_comment(review_app)
    engine = review_app.extensions["store"].engine.execution_options(**IMMEDIATE)
    written, page = threading.Event(), {}

    def bobs_claim() -> None:
        with engine.begin() as connection:
            connection.execute(update(Comment).where(Comment.id == comment.id).values(
                lease_owner="bob", lease_until=utcnow() + timedelta(minutes=5)))
            written.set()
            time.sleep(1)

    claim = threading.Thread(target=bobs_claim)
    claim.start()
    assert written.wait(10)
    page["html"] = ann.get(f"/review/comments/{comment.id}").get_data(as_text=True)
    claim.join()
    assert "bob is reviewing this" in page["html"]
    assert reload(review_app, comment.id).lease_owner == "bob"


def test_bulk_reject_then_undo_through_the_forms(review_app, ann):
    comments = [add_comment(review_app, f"spam {n}") for n in range(3)]
    ann.get("/review/")
    from service.review.queue import state_token

    data = {"action": "reject", "reason": "spam", "ids": [str(c.id) for c in comments],
            **{f"seen-{c.id}": state_token(c) for c in comments}}
    assert ann.post("/review/bulk", data).status_code == 302
    assert {reload(review_app, c.id).status for c in comments} == {"rejected"}
    undone = ann.post("/review/undo", headers={"Accept": "application/json"})
    assert undone.json["message"] == "Undone: 3 comments restored."
    assert {reload(review_app, c.id).status for c in comments} == {"pending"}


def test_audit_page_and_comment_history(review_app, ann):
    comment = add_comment(review_app, "About the budget", post_id="budget")
    ann.decide(comment, "reject", "abuse")
    audit = ann.get("/review/audit?moderator=ann&post=budget").get_data(as_text=True)
    assert f"#{comment.id}</a> on budget" in audit and "<td>abuse</td>" in audit
    assert "No decisions yet." in ann.get("/review/audit?moderator=bob").get_data(as_text=True)
    history = ann.get(f"/review/comments/{comment.id}").get_data(as_text=True)
    assert "<td>pending</td><td>rejected</td>" in history.replace("\n    ", "")


def test_comment_text_author_and_url_render_as_text(review_app, ann):
    add_comment(review_app, '<script>alert(1)</script><img src=x onerror=alert(2)>',
                author='<b onmouseover="alert(3)">Eve</b>', url="javascript:alert(4)",
                permalink="javascript:alert(5)")
    page = ann.get("/review/").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouse" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def test_review_pages_send_a_csp_without_inline_scripts(review_app, ann):
    response = ann.get("/review/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in review_app.test_client().get("/auth/login").headers


def test_bad_filters_are_a_400_not_a_crash(review_app, ann):
    assert ann.get("/review/?status=everything").status_code == 400
    assert ann.get("/review/?after=garbage").status_code == 400


def test_each_item_shows_its_language_and_the_queue_filters_by_it(review_app, ann):
    add_comment(review_app, "Banjir lagi di Kampung Melayu, pompa airnya rusak.", language="id",
                scored=False, reasons=["language_unscored:id", "watched_term:banjir"])
    add_comment(review_app, "The council ignored the flooding report again.", language="en",
                minutes=1)
    add_comment(review_app, "Sip", language="unknown", minutes=2)
    page = ann.get("/review/").get_data(as_text=True)
    assert "Indonesian (id)" in page and "English (en)" in page and "not identified" in page
    assert "No model for Indonesian (id) yet: only the rules decide" in page
    assert '<option value="id">Indonesian (id)</option>' in page

    only_indonesian = ann.get("/review/?language=id").get_data(as_text=True)
    assert "Banjir lagi" in only_indonesian
    assert "The council ignored" not in only_indonesian and ">Sip<" not in only_indonesian
    assert '<option value="id" selected>' in only_indonesian
    only_unknown = ann.get("/review/?language=unknown").get_data(as_text=True)
    assert ">Sip<" in only_unknown and "Banjir lagi" not in only_unknown


def test_an_unscored_language_gets_no_english_highlights(review_app, ann):
    # The fake English model would mark "idiot"; on an Indonesian comment that means nothing.
    add_comment(review_app, "Pejabat idiot itu lagi-lagi bikin kebijakan aneh.", language="id",
                scored=False)
    page = ann.get("/review/").get_data(as_text=True)
    assert '<mark class="abuse"' not in page


def test_a_language_filter_that_is_not_a_language_code_is_a_400(review_app, ann):
    response = ann.get("/review/?language=%27%3B--")
    assert response.status_code == 400
    assert "a code such as id, or unknown" in response.get_data(as_text=True)


def test_a_held_copy_of_a_pasted_text_links_to_the_published_copies(review_app, ann):
    client = review_app.test_client()
    campaign = ("The residents association says the bridge repairs must come first this year, "
                "write to the council before Friday")
    for i in range(3):
        client.post("/api/comments", json={
            "comment": campaign, "author": f"Reader {i}", "email": f"r{i}@example.org",
            "comment_post_ID": f"article-{i}"}, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})
    client.post("/api/comments", json={
        "comment": "An unrelated comment about the ferry timetable, published as usual.",
        "author": "Someone", "email": "someone@example.org", "comment_post_ID": "article-9"})
    held = ann.get("/review/?status=pending").get_data(as_text=True)
    assert "The same text came in 3 times or more recently" in held
    link = re.search(r'<a class="copies" href="([^"]+)"', held).group(1).replace("&amp;", "&")
    copies = ann.get(link).get_data(as_text=True)
    assert "Only copies of the text of comment" in copies
    assert copies.count(campaign) == 2 and "ferry timetable" not in copies
    everything = ann.get("/review/?status=approved").get_data(as_text=True)
    assert "ferry timetable" in everything
    # Held by a rule, not a score: the "rule" label finds it.
    assert campaign in ann.get("/review/?status=pending&label=rule").get_data(as_text=True)


def test_comments_held_for_a_phone_number_or_styled_letters_read_as_sentences_under_rule(
        review_app, ann):
    client = review_app.test_client()
    promotions = ["Pinjaman cair lima menit tanpa jaminan, hubungi WA 0812-3456-7890 sekarang.",
                  "Sambil baca berita, main di 𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗 dulu, lumayan hoki hari ini."]
    for i, text in enumerate(promotions):
        client.post("/api/comments", json={
            "comment": text, "author": f"Promo {i}", "email": f"p{i}@example.id",
            "comment_post_ID": "article-1"}, environ_base={"REMOTE_ADDR": f"10.0.1.{i}"})
    held = ann.get("/review/?status=pending&label=rule").get_data(as_text=True)
    assert "Gives a phone number" in held and "0812-3456-7890" in held
    assert "Written partly in styled letters" in held and "𝐏𝐒𝐓𝐎𝐓𝐎𝟗𝟗" in held
