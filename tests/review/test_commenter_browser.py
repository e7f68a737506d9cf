"""Commenter actions in real headless Chromium: a reader's comment on the demo page is held, a
moderator bans its commenter from the comment in the queue, and the reader's next comment on the
demo page is refused in the site's words; the commenter's page and the audit log say who did it
and when."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from comment_helpers import all_comments
from review_helpers import PASSWORD, add_moderators
from serving import serving

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BANNED = "Sorry, our moderators no longer accept comments from this email address."


@pytest.fixture
def site(make_app, password_hash):
    """The app on SQLite with moderator ann; comments naming the council are held."""
    app = make_app(MODERATION_WATCHED_TERMS="council")
    add_moderators(app, password_hash, "ann")
    with serving(app) as base:
        yield app, base


def _tab(browser):
    """A tab of its own (a reader and a moderator do not share cookies); script errors and
    dialogs, which must never happen, are collected."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.problems = []
    tab.on("pageerror", lambda error: tab.problems.append(str(error)))
    tab.on("dialog", lambda dialog: (tab.problems.append(dialog.message), dialog.dismiss()))
    return context, tab


def _comment_on_the_demo_page(tab, base, text):
    tab.goto(base + "/")
    tab.fill("#comment", text)
    tab.fill("#author", "Rita Reader")
    tab.fill("#email", "rita@example.org")
    tab.click("#submit")


def test_a_moderator_bans_a_commenter_whose_next_comment_is_refused(site, browser):
    app, base = site
    reader_context, reader = _tab(browser)
    moderator_context, moderator = _tab(browser)
    try:
        _comment_on_the_demo_page(reader, base, "The council are all crooks, every one.")
        reader.wait_for_url("**moderation=awaiting**")
        [held] = all_comments(app)

        moderator.goto(base + "/review/")
        moderator.fill("#name", "ann")
        moderator.fill("#password", PASSWORD)
        moderator.click("button[type=submit]")
        moderator.wait_for_url(base + "/review/")
        item = moderator.locator(f"#c{held.id}")
        item.locator("details.commenter-actions summary").click()
        form = item.locator("form.commenter-form")
        form.locator("select[name=ban_reason]").select_option("abuse")
        form.locator("input[name=reject_existing]").check()
        ARTIFACTS.mkdir(exist_ok=True)
        moderator.screenshot(path=str(ARTIFACTS / "review-ban-form.png"), full_page=True)
        form.locator("button.ban").click()
        moderator.wait_for_selector(".flash.ok")
        assert moderator.locator(".flash.ok").inner_text() == (
            "Banned this commenter (abuse): their next comments are refused. "
            "Rejected 1 of their comments.")
        assert moderator.locator(f"#c{held.id}").count() == 0  # rejected: out of the queue

        _comment_on_the_demo_page(reader, base, "Why was my comment removed?")
        reader.wait_for_selector(".errors")
        assert BANNED in reader.locator(".errors").inner_text()
        # What the reader wrote is still in the form; nothing of it was stored.
        assert reader.input_value("#comment") == "Why was my comment removed?"
        assert [c.text for c in all_comments(app)] == [held.text]
        reader.screenshot(path=str(ARTIFACTS / "demo-banned.png"), full_page=True)

        moderator.goto(f"{base}/review/comments/{held.id}")
        assert "rejected (abuse) by ann" in moderator.locator(f"#c{held.id} .state").inner_text()
        moderator.click(f"#c{held.id} .commenter-link")
        assert re.fullmatch(r"Now: banned \(abuse\) by ann at [0-9: -]+ UTC",
                            moderator.locator(".standing-now").inner_text())
        row = moderator.locator("tr.commenter-action").first.inner_text()
        assert "ann" in row and "ban" in row and "abuse" in row and f"#{held.id}" in row
        moderator.screenshot(path=str(ARTIFACTS / "review-commenter.png"), full_page=True)
        moderator.click("text=Audit log")
        moderator.wait_for_url("**/review/audit")  # the click only starts the navigation
        moderator.wait_for_selector("#commenter-actions + table tr.commenter-action")
        assert moderator.locator("#commenter-actions + table tr.commenter-action").count() == 1
        assert reader.problems == moderator.problems == []
    finally:
        reader_context.close()
        moderator_context.close()


def test_email_domain_rules_are_set_from_their_page(site, browser):
    app, base = site
    context, moderator = _tab(browser)
    try:
        moderator.goto(base + "/review/domains")
        moderator.fill("#name", "ann")
        moderator.fill("#password", PASSWORD)
        moderator.click("button[type=submit]")
        moderator.wait_for_url(base + "/review/domains")
        moderator.fill("#domain", "Spam.Example")
        moderator.select_option("#rule", "reject")
        moderator.click("form.domain-form button[type=submit]")
        moderator.wait_for_selector("tr.domain-rule[data-domain='spam.example']")
        assert "refuse every comment" in moderator.locator("tr.domain-rule").inner_text()

        reader_context, reader = _tab(browser)
        reader.goto(base + "/")
        reader.fill("#comment", "Great article.")
        reader.fill("#author", "Spammer")
        reader.fill("#email", "someone@spam.example")
        reader.click("#submit")
        reader.wait_for_selector(".errors")
        assert "we do not accept comments from email addresses at this domain" in \
            reader.locator(".errors").inner_text()
        reader_context.close()

        moderator.click("tr.domain-rule button[value=clear]")
        moderator.wait_for_selector("text=The rule for spam.example is removed.")
        assert moderator.locator("tr.domain-rule").count() == 0
        assert all_comments(app) == [] and moderator.problems == []
    finally:
        context.close()
