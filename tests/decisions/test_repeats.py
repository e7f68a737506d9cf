"""The same text pasted by several commenters or under several articles: what counts as the same
text, and what intake does with the copies."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.decisions import reasons
from service.decisions.rules import repeat_key
from service.storage.tables import Comment

WAVE = "Earn $500 a day working from home, no experience needed: www.quick-cash.biz"


def test_copies_that_differ_in_case_links_numbers_or_look_alike_letters_share_a_key():
    key = repeat_key(WAVE)
    assert key is not None and len(key) == 64
    assert repeat_key("Earn $900 a day working from home, no experience needed: www.b.biz") \
        == key
    assert repeat_key("Earn $500 a day working from home, some experience needed") != key


def test_short_texts_and_bare_links_have_no_key():
    for text in ("Well said.", "Thanks for the article!", "Great reporting, thank you all",
                 "www.a.biz www.b.biz", "....."):
        assert repeat_key(text) is None, text
    assert repeat_key("Thanks for this article, it explains the budget well") is not None


def test_a_moderator_reads_the_reason_as_a_sentence():
    assert reasons.sentence("repeated>=3") == (
        "The same text came in 3 times or more recently, from several commenters or under "
        "several articles")


def _post(client, i, text, post_id=None):
    return client.post("/api/comments", json={
        "comment": text, "author": f"Reader {i}", "email": f"r{i}@example.org",
        "comment_post_ID": post_id or f"article-{i}"},
        environ_base={"REMOTE_ADDR": f"10.0.0.{i}"})


# A campaign pasted under every article: each copy alone reads as an ordinary comment.
CAMPAIGN = ("The residents association says the bridge repairs must come first this year, "
            "see www.save-our-bridge.org for 2 reasons")


def test_intake_holds_the_third_copy_of_a_text_from_three_commenters(make_app):
    app = make_app()
    client = app.test_client()
    answers = [_post(client, i, CAMPAIGN.replace("2 reasons", f"{i} reasons")).get_json()
               for i in range(4)]
    assert [a["status"] for a in answers] == ["published", "published", "pending", "pending"]
    assert answers[2]["reasons"] == ["repeated>=3"]
    # Short texts are said in the same words by many readers: never held for it.
    short = [_post(client, 10 + i, "Well said, thank you.").get_json() for i in range(5)]
    assert {a["status"] for a in short} == {"published"}
    with Session(app.extensions["store"].engine) as session:
        keys = list(session.scalars(select(Comment.text_key).order_by(Comment.id)))
    assert len(set(keys[:4])) == 1 and keys[0] is not None and set(keys[4:]) == {None}


def test_the_repeat_limit_can_be_turned_off(make_app):
    client = make_app(MODERATION_REPEAT_LIMIT="off").test_client()
    answers = [_post(client, i, CAMPAIGN).get_json() for i in range(4)]
    assert {a["status"] for a in answers} == {"published"}
