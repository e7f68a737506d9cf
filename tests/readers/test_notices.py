"""What a commenter is told, as plain functions: the status link's token, the reason in plain
words (from the moderator's choice, or from the rule or score that decided), the statement and
its sentences, and the e-mail."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from service.config import from_env
from service.readers import appeals, notices, reports
from service.readers.notices import Statement
from service.intake.submission import VISIBLE_PATTERN
from service.storage.tables import DECISION_REASONS, Appeal, Comment

SECRET = "a secret"
TEXTS = notices.reason_texts(from_env({}))
DAY = datetime(2026, 12, 7, 9, 30, tzinfo=timezone.utc)


def comment(status="rejected", **fields) -> Comment:
    return Comment(id=7, status=status, reasons=fields.pop("reasons", []), **fields)


def test_a_status_token_names_one_comment_and_cannot_be_forged():
    token = notices.status_token(SECRET, 7)
    assert notices.comment_for(SECRET, token) == 7
    assert notices.status_token(SECRET, 8) != token
    assert notices.comment_for("another secret", token) is None
    for bad in ("", None, "7", token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x"):
        assert notices.comment_for(SECRET, bad) is None
    # Signed values that are no comment id (another use of the same secret, say) are refused.
    from itsdangerous import URLSafeSerializer
    for value in (True, -1, 0, 2**31, "7", [7]):
        signed = URLSafeSerializer(SECRET, salt="comment-status").dumps(value)
        assert notices.comment_for(SECRET, signed) is None


@pytest.mark.parametrize("codes, reason", [
    (["blocked_term:casino", "spam_score>=0.97"], "blocked_term"),
    (["spam_score>=0.97", "abuse_score>=0.5"], "spam"),  # rejected for spam, held for abuse
    (["spam_score>=0.5", "abuse_score>=0.9"], "abuse"),
    (["trusted:approved>=3", "abuse_score>=0.9"], "abuse"),
    (["links>2"], "other"),
    ([], "other"),
])
def test_an_automatic_rejection_is_explained_by_the_rule_or_score_that_decided(codes, reason):
    assert notices.rule_reason(codes) == reason


def test_a_moderators_rejection_is_explained_by_the_reason_they_chose():
    by_ann = comment(decided_by="ann", decision_reason="off-topic",
                     reasons=["spam_score>=0.97"])
    assert notices.reason_for(by_ann) == "off-topic"
    assert notices.reason_for(comment(reasons=["spam_score>=0.97"])) == "spam"


def test_the_reason_texts_are_the_sites_settings():
    assert TEXTS["spam"].startswith("It looks like spam")
    custom = notices.reason_texts(from_env({"MODERATION_REASON_OFF_TOPIC": "Stay on the bridge."}))
    assert custom["off-topic"] == "Stay on the bridge." and custom["abuse"] == TEXTS["abuse"]
    with pytest.raises(ValueError, match="MODERATION_REASON_OTHER"):
        from_env({"MODERATION_REASON_OTHER": "  "})


def test_what_the_commenter_is_told_in_each_case():
    auto = notices.statement(comment(reasons=["blocked_term:casino"]), None, TEXTS)
    assert auto == Statement(7, "rejected", "blocked_term", TEXTS["blocked_term"],
                             by_person=False)
    assert auto.can_appeal
    assert notices.sentences(auto) == [
        "Your comment is not shown on the site.", f"Why: {TEXTS['blocked_term']}",
        "The site's automatic filters decided this; no person has looked at it yet.",
        "If you think this is wrong, you can ask a moderator to look at it again, once."]

    by_ann = notices.statement(comment(decided_by="ann", decision_reason="abuse"), None, TEXTS)
    assert by_ann.by_person and by_ann.explanation == TEXTS["abuse"]
    assert "A moderator decided this." in notices.sentences(by_ann)

    held = notices.statement(comment("pending"), None, TEXTS)
    assert notices.sentences(held) == ["Your comment is awaiting moderation. It will appear on "
                                       "the article once a moderator has checked it."]
    assert held.reason is None and not held.can_appeal
    hidden = notices.statement(comment("pending", returned_for="reported"), None, TEXTS)
    assert notices.sentences(hidden) == ["Readers reported your comment, so it is hidden until "
                                         "a moderator has looked at it."]
    assert notices.sentences(notices.statement(comment("published"), None, TEXTS)) == \
        ["Your comment is published."]


def test_what_the_commenter_is_told_about_their_appeal():
    open_ = Appeal(outcome=None, created_at=DAY, rejected_for="spam")
    waiting = notices.statement(comment("pending", returned_for="appeal", decided_by="ann",
                                        decision_reason="spam"), open_, TEXTS)
    assert (waiting.status, waiting.appeal, waiting.reason, waiting.can_appeal) == \
        ("pending", "pending", "spam", False)
    assert notices.sentences(waiting)[0] == (
        "You appealed this decision on 07 December 2026. A moderator will look at your comment "
        "again; the outcome will be shown here.")

    granted = Appeal(outcome="granted", created_at=DAY, decided_at=DAY)
    said = notices.statement(comment("published", decided_by="bob"), granted, TEXTS)
    assert notices.sentences(said) == ["Your appeal was accepted: your comment is published."]

    refused = Appeal(outcome="refused", created_at=DAY, decided_at=DAY)
    said = notices.statement(comment(decided_by="bob", decision_reason="other"), refused, TEXTS)
    assert not said.can_appeal  # once
    assert notices.sentences(said)[:2] == [
        "A moderator reviewed your appeal, and the decision stands: your comment is not shown "
        "on the site.", f"Why: {TEXTS['other']}"]
    assert notices.as_json(said) == {
        "comment_id": 7, "status": "rejected", "reason": "other",
        "explanation": TEXTS["other"], "decided_by": "moderator", "hidden_for_reports": False,
        "appeal": {"status": "refused", "created_at": DAY.isoformat(),
                   "decided_at": DAY.isoformat()},
        "can_appeal": False, "message": " ".join(notices.sentences(said))}


def test_the_email_says_why_and_links_the_status_page_without_the_comment_or_an_address():
    said = notices.statement(comment(decided_by="ann", decision_reason="spam"), None, TEXTS)
    subject, text = notices.email_text(said, "https://c.example/comments/status/T",
                                       "https://news.example/bridge#comment-7")
    assert subject == "Your comment is not shown on the site"
    assert f"Why: {TEXTS['spam']}" in text and "A moderator decided this." in text
    assert text.endswith("Your private status link (keep it to yourself): "
                         "https://c.example/comments/status/T")
    granted = notices.statement(comment("published"), Appeal(outcome="granted", created_at=DAY),
                                TEXTS)
    assert notices.email_text(granted, "u", "a")[0] == "Your appeal was accepted"
    refused = notices.statement(comment(decided_by="b", decision_reason="spam"),
                                Appeal(outcome="refused", created_at=DAY), TEXTS)
    assert notices.email_text(refused, "u", "a")[0] == "Your appeal was reviewed"


@pytest.mark.parametrize("note, code", [("", "note_required"), (" \u200b ", "note_required"),
                                        ("x" * 2001, "note_too_long"), ("a\x00", "note_invalid")])
def test_an_appeal_needs_a_note(note, code):
    clean, problems = appeals.validate({"note": note})
    assert clean is None and [p.code for p in problems] == [code]
    assert problems[0].message == appeals.MESSAGES[code]


def test_an_appeals_note_is_kept_trimmed():
    assert appeals.validate({"note": "  It was a joke\r\nbetween friends.  "}) == \
        ("It was a joke\nbetween friends.", [])


def test_the_api_description_states_the_readers_rules():
    description = json.loads((Path(__file__).resolve().parents[2] / "service" /
                              "openapi.json").read_text())["components"]["schemas"]
    report = description["ReportFields"]["properties"]
    assert tuple(report["reason"]["enum"]) == DECISION_REASONS
    assert report["note"]["maxLength"] == reports.MAX_NOTE
    note = description["AppealFields"]["properties"]["note"]
    assert (note["maxLength"], note["pattern"]) == (appeals.MAX_NOTE, VISIBLE_PATTERN)
    told = description["CommentStatus"]["properties"]["reason"]["enum"]
    assert told == [*notices.REASON_SETTINGS, None]
