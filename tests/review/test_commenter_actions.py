"""Commenter actions on the review page, on SQLite and PostgreSQL: a moderator bans a commenter
from one of their comments (optionally rejecting what they have on the site and in the queue),
holds all their comments or trusts them; sets e-mail-domain rules; and every action shows on
the commenter's page and in the audit log with who took it and when."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from review_helpers import add_comment, reload
from service.privacy.keys import email_hash
from service.storage.tables import AuditEntry, CommenterAction, CommenterStanding, EmailDomainRule

RITA = email_hash("test-email-key", "rita@example.org")
BANNED = "Sorry, our moderators no longer accept comments from this email address."


def post(app, text: str, email: str = "rita@example.org", author: str = "Rita Reader"):
    """A reader's comment through intake (the fake scorer: "casino" holds, two abuse words
    reject, anything else is published)."""
    return app.test_client().post("/api/comments", json={
        "comment": text, "author": author, "email": email, "comment_post_ID": "demo"})


def act(moderator, email_hash_: str, action: str, *, json: bool = True, **fields):
    headers = {"Accept": "application/json"} if json else {}
    return moderator.post(f"/review/commenters/{email_hash_}/actions",
                          {"action": action, **fields}, headers=headers)


def rows(app, table, **where):
    with Session(app.extensions["store"].engine) as session:
        return list(session.scalars(select(table).filter_by(**where)))


def test_banning_from_a_comment_refuses_the_commenters_next_comment(review_app, ann):
    first = post(review_app, "The bridge opening was well run.").get_json()
    assert first["status"] == "published"
    answer = act(ann, RITA, "ban", ban_reason="abuse", comment=str(first["id"]))
    assert answer.status_code == 200
    assert answer.get_json() == {
        "ok": True, "action": "ban", "rejected": [],
        "message": "Banned this commenter (abuse): their next comments are refused."}
    refused = post(review_app, "Why was I banned?")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == BANNED
    assert reload(review_app, first["id"]).status == "published"  # left as it was
    # Another reader is not affected.
    assert post(review_app, "Good work.", email="sam@example.org", author="Sam").status_code == 201
    [standing] = rows(review_app, CommenterStanding)
    assert (standing.email_hash, standing.standing, standing.reason, standing.moderator) == \
        (RITA, "banned", "abuse", "ann")
    [action] = rows(review_app, CommenterAction)
    assert (action.email_hash, action.action, action.reason, action.moderator,
            action.comment_id, action.rejected) == (RITA, "ban", "abuse", "ann", first["id"], 0)


def test_a_ban_can_reject_what_they_have_on_the_site_and_in_the_queue(review_app, ann):
    published = add_comment(review_app, "Fine words.", status="published", email_hash=RITA)
    waiting = add_comment(review_app, "casino tonight", email_hash=RITA, minutes=1)
    auto = add_comment(review_app, "idiot moron", status="rejected", email_hash=RITA, minutes=2)
    other = add_comment(review_app, "Someone else.", status="published", email_hash="sam",
                        minutes=3)
    answer = act(ann, RITA, "ban", ban_reason="spam", reject_existing="1",
                 comment=str(waiting.id))
    assert answer.get_json()["rejected"] == [published.id, waiting.id]
    assert "Rejected 2 of their comments." in answer.get_json()["message"]
    for comment in (published, waiting):
        row = reload(review_app, comment.id)
        # A human rejection like any other: a training label with the ban's reason.
        assert (row.status, row.decided_by, row.decision_reason) == ("rejected", "ann", "spam")
    assert reload(review_app, auto.id).decided_by is None  # the policy's rejection stays its own
    assert reload(review_app, other.id).status == "published"
    audit = rows(review_app, AuditEntry)
    assert sorted((a.comment_id, a.action, a.old_status, a.new_status, a.reason) for a in audit) \
        == [(published.id, "ban", "published", "rejected", "spam"),
            (waiting.id, "ban", "pending", "rejected", "spam")]
    assert len({a.batch for a in audit}) == 1 and audit[0].batch
    assert rows(review_app, CommenterAction)[0].rejected == 2
    # The queue's undo undoes decisions, not bans: the comments stay rejected.
    assert ann.post("/review/undo", headers={"Accept": "application/json"}).status_code == 409
    assert reload(review_app, published.id).status == "rejected"


def test_a_ban_needs_a_reason_and_nothing_is_saved_without_one(review_app, ann):
    add_comment(review_app, email_hash=RITA)
    answer = act(ann, RITA, "ban", reject_existing="1")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_reason"
    assert rows(review_app, CommenterStanding) == rows(review_app, CommenterAction) == []


@pytest.mark.parametrize("email_hash_, fields, code, status", [
    ("nobody", {}, "not_found", 404),  # no comment of theirs is stored
    (RITA, {"comment": "999999"}, "not_found", 404),  # not their comment
    (RITA, {"action": "shadowban"}, "bad_action", 400),
])
def test_what_cannot_be_done_is_refused_clearly(review_app, ann, email_hash_, fields, code,
                                                 status):
    add_comment(review_app, email_hash=RITA)
    answer = ann.post(f"/review/commenters/{email_hash_}/actions", {"action": "hold", **fields},
                      headers={"Accept": "application/json"})
    assert answer.status_code == status
    assert answer.get_json()["error"]["code"] == code
    assert rows(review_app, CommenterAction) == []


def test_hold_trust_and_back_to_normal_each_take_effect_at_the_next_comment(review_app, ann, bob):
    review_app.config.update(MODERATION_SPAM_HOLD=0.5)  # "casino bonus" (0.6) holds a newcomer
    post(review_app, "First.")
    assert act(ann, RITA, "hold").status_code == 200
    held = post(review_app, "Second.").get_json()
    assert (held["status"], held["reasons"]) == ("pending", ["commenter:hold"])
    assert act(bob, RITA, "trust").status_code == 200
    trusted = post(review_app, "Third, casino bonus.").get_json()  # a newcomer's is held
    assert (trusted["status"], trusted["reasons"]) == ("published", ["trusted:moderator"])
    assert act(ann, RITA, "clear").status_code == 200
    assert rows(review_app, CommenterStanding) == []
    assert post(review_app, "Fourth, casino bonus.").get_json()["status"] == "pending"
    nothing = act(ann, RITA, "clear")
    assert nothing.status_code == 400 and nothing.get_json()["error"]["code"] == \
        "nothing_to_clear"
    assert [(a.action, a.moderator) for a in rows(review_app, CommenterAction)] == \
        [("hold", "ann"), ("trust", "bob"), ("clear", "ann")]


def test_the_plain_form_redirects_back_with_a_message(review_app, ann):
    comment = add_comment(review_app, "casino", email_hash=RITA)
    answer = act(ann, RITA, "hold", json=False, comment=str(comment.id), back="/review/?q=casino")
    assert answer.status_code == 302 and answer.headers["Location"] == "/review/?q=casino"
    page = ann.get("/review/?q=casino").get_data(as_text=True)
    assert "Every comment of this commenter is now held for review." in page
    # Never an open redirect.
    away = act(ann, RITA, "trust", json=False, back="https://evil.example/")
    assert away.headers["Location"] == f"/review/commenters/{RITA}"


def test_each_queue_item_links_its_commenter_and_offers_the_actions(review_app, ann):
    comment = add_comment(review_app, "casino", email_hash=RITA)
    act(ann, RITA, "hold", comment=str(comment.id))
    html = ann.get("/review/").get_data(as_text=True)
    item = html[html.index(f'id="c{comment.id}"'):]
    assert f'href="/review/commenters/{RITA}"' in item
    assert re.search(r'<span class="standing standing-hold" title="always held by ann at '
                     r'[0-9: -]+ UTC">always held</span>', item)
    form = item[item.index('class="commenter-form"') - 200:]
    assert f'action="/review/commenters/{RITA}/actions"' in form
    assert f'name="comment" value="{comment.id}"' in form
    assert 'value="ban"' in form and 'value="clear"' in form


def test_the_commenters_page_shows_their_history_and_the_actions_with_who_and_when(review_app,
                                                                                   ann, bob):
    add_comment(review_app, "Fine words.", status="published", email_hash=RITA, author="Rita")
    later = add_comment(review_app, "casino", email_hash=RITA, author="R. Reader", minutes=5)
    add_comment(review_app, "Not hers.", email_hash="sam", author="Sam")
    act(ann, RITA, "hold", comment=str(later.id))
    act(bob, RITA, "ban", ban_reason="spam", reject_existing="1")
    page = ann.get(f"/review/commenters/{RITA}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Commenter R. Reader</h1>" in html and "Also signed as Rita." in html
    assert "0 published, 0 waiting, 2 rejected" in html
    assert re.search(r"Now: banned \(spam\) by bob at [0-9: -]+ UTC", html)
    actions = re.findall(r'<tr class="commenter-action" data-action="(\w+)">\s*<td>([^<]+)</td>'
                         r'\s*<td>(\w+)</td>', html)
    assert [(action, who) for action, _, who in actions] == [("ban", "bob"), ("hold", "ann")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", when) for _, when, _ in actions)
    assert f'href="/review/comments/{later.id}">#{later.id}</a>' in html  # where it was taken
    assert html.count('class="commenter-comment') == 2 and "Not hers." not in html
    assert "rejected (spam) by bob" in html
    assert "Email domain example.org: no rule" in html
    assert ann.get("/review/commenters/nobody").status_code == 404


def test_email_domain_rules_are_set_replaced_and_removed(review_app, ann, bob):
    assert ann.post("/review/domains", {"domain": "@Spam.Example", "rule": "hold"}
                    ).status_code == 302
    page = ann.get("/review/domains").get_data(as_text=True)
    assert "Every comment from addresses at spam.example is now held for review." in page
    assert '<tr class="domain-rule" data-domain="spam.example" data-rule="hold">' in page
    assert post(review_app, "Hi.", email="x@spam.example").get_json()["reasons"] == \
        ["domain:hold"]
    bob.post("/review/domains", {"domain": "spam.example", "rule": "reject"})
    [rule] = rows(review_app, EmailDomainRule)
    assert (rule.domain, rule.rule, rule.moderator) == ("spam.example", "reject", "bob")
    assert post(review_app, "Hi again.", email="y@spam.example").status_code == 403
    answer = ann.post("/review/domains", {"domain": "spam.example", "rule": "clear"},
                      headers={"Accept": "application/json"})
    assert answer.get_json() == {"ok": True, "domain": "spam.example", "action": "clear",
                                 "message": "The rule for spam.example is removed."}
    assert rows(review_app, EmailDomainRule) == []
    assert post(review_app, "Back.", email="z@spam.example").status_code == 201
    assert [(a.domain, a.action, a.moderator, a.email_hash) for a in
            rows(review_app, CommenterAction)] == [
        ("spam.example", "hold", "ann", None), ("spam.example", "reject", "bob", None),
        ("spam.example", "clear", "ann", None)]


@pytest.mark.parametrize("domain, rule, code", [
    ("ann@example.org", "hold", "bad_domain"), ("not a domain", "reject", "bad_domain"),
    ("example.org", "ban", "bad_rule"), ("example.org", "clear", "not_found")])
def test_bad_domain_rules_are_refused_and_nothing_changes(review_app, ann, domain, rule, code):
    answer = ann.post("/review/domains", {"domain": domain, "rule": rule},
                      headers={"Accept": "application/json"})
    assert answer.status_code in (400, 404) and answer.get_json()["error"]["code"] == code
    assert rows(review_app, EmailDomainRule) == rows(review_app, CommenterAction) == []


def test_the_commenters_page_links_their_domain_rule(review_app, ann):
    add_comment(review_app, email_hash=RITA)  # e-mail rita...@example.org in the helper
    ann.post("/review/domains", {"domain": "example.org", "rule": "hold"})
    html = ann.get(f"/review/commenters/{RITA}").get_data(as_text=True)
    assert "Email domain example.org: every comment held (set by ann" in html
    assert 'href="/review/domains?domain=example.org"' in html


def test_the_audit_log_lists_commenter_and_domain_actions_by_moderator(review_app, ann, bob):
    add_comment(review_app, email_hash=RITA)
    act(ann, RITA, "ban", ban_reason="abuse")
    bob.post("/review/domains", {"domain": "spam.example", "rule": "reject"})
    html = ann.get("/review/audit").get_data(as_text=True)
    section = html[html.index('id="commenter-actions"'):]
    assert re.findall(r'data-action="(\w+)"', section) == ["reject", "ban"]
    assert "email domain spam.example" in section and f"/review/commenters/{RITA}" in section
    only_bob = ann.get("/review/audit?moderator=bob").get_data(as_text=True)
    assert re.findall(r'data-action="(\w+)"', only_bob) == ["reject"]


def test_older_commenter_actions_page_on(review_app, ann):
    add_comment(review_app, email_hash=RITA)
    for _ in range(26):
        act(ann, RITA, "hold")
        act(ann, RITA, "trust")
    html = ann.get("/review/audit").get_data(as_text=True)
    assert html.count('class="commenter-action"') == 50
    older = re.search(r'href="(/review/audit\?actions_before=\d+)#commenter-actions"', html)
    rest = ann.get(older.group(1)).get_data(as_text=True)
    assert rest.count('class="commenter-action"') == 2


def test_only_logged_in_moderators_act_and_only_with_the_pages_token(review_app, ann):
    add_comment(review_app, email_hash=RITA)
    anonymous = review_app.test_client()
    for path in (f"/review/commenters/{RITA}/actions", "/review/domains"):
        assert anonymous.post(path, data={"action": "hold", "rule": "hold",
                                          "domain": "example.org"}).status_code == 302
        assert anonymous.post(path, headers={"Accept": "application/json"}).status_code == 401
    assert anonymous.get(f"/review/commenters/{RITA}").status_code == 302
    stale = ann.client.post(f"/review/commenters/{RITA}/actions",
                            data={"action": "hold", "csrf_token": "stale"})
    assert stale.status_code == 400
    with Session(review_app.extensions["store"].engine) as session:
        assert session.scalar(select(func.count()).select_from(CommenterAction)) == 0
