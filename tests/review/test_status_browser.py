"""A commenter's status link and appeal in real headless Chromium: the "awaiting moderation"
notice on the demo page links the private status page; a moderator rejects the comment, the page
says why; the commenter appeals; the moderator grants it from the queue; the same link says so,
and the audit log holds the notice and the appeal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from review_helpers import log_in_browser, reload
from serving import serving
from service.storage.tables import Moderator as ModeratorRow, utcnow

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TEXT = "Will the council publish the inspection report before the vote?"
OFF_TOPIC = "Please keep to the footbridge and what the article says."


@pytest.fixture
def site(make_app, password_hash):
    app = make_app(MODERATION_WATCHED_TERMS="council", MODERATION_REASON_OFF_TOPIC=OFF_TOPIC)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow).values(
            name="ann", password_hash=password_hash, active=True, created_at=utcnow(),
            must_change_password=False))
    with serving(app) as base:
        yield app, base


def _status(page) -> str:
    page.reload()
    return page.locator("#comment-status").inner_text()


def test_the_commenter_follows_their_comment_appeals_and_sees_the_outcome(site, person):
    app, base = site
    commenter = person()
    commenter.goto(base + "/")
    commenter.fill("#comment", TEXT)
    commenter.fill("#author", "Ann Reader")
    commenter.fill("#email", "ann@example.org")
    commenter.click("#submit")
    commenter.wait_for_url("**moderation=awaiting**")
    commenter.click("#status-link")
    commenter.wait_for_url("**/comments/status/*")
    status_url = commenter.url
    assert TEXT in commenter.locator("#your-comment").inner_text()
    assert commenter.locator("#comment-status").inner_text().startswith(
        "Your comment is awaiting moderation.")
    assert commenter.locator("#appealform").count() == 0
    comment_id = app.extensions["store"].pending()[0].id

    moderator = person()
    log_in_browser(moderator, base)
    item = moderator.locator(f"#c{comment_id}")
    item.locator("select[name=reason]").select_option("off-topic")
    item.locator("button.reject").click()
    moderator.wait_for_selector(f"#c{comment_id}[data-status=rejected]")

    said = _status(commenter)
    assert "Your comment is not shown on the site." in said
    assert f"Why: {OFF_TOPIC}" in said and "A moderator decided this." in said
    commenter.fill("#note", "It is about the bridge: the vote decides the ramp lighting.")
    commenter.click("#send-appeal")
    commenter.wait_for_selector("#comment-status[data-appeal=pending]")
    assert "You appealed this decision on" in commenter.locator("#comment-status").inner_text()
    assert commenter.locator("#appealform").count() == 0  # once
    ARTIFACTS.mkdir(exist_ok=True)
    commenter.screenshot(path=str(ARTIFACTS / "status-appealed.png"), full_page=True)

    moderator.goto(base + "/review/?mark=appeal")
    item = moderator.locator(f"#c{comment_id}")
    assert item.locator("[data-mark=appeal]").is_visible()
    assert "the vote decides the ramp lighting" in item.locator(".appeal-note").inner_text()
    item.locator("button.approve", has_text="Grant appeal: publish").click()
    moderator.wait_for_selector(f"#c{comment_id}[data-status=published]")

    assert _status(commenter) == "Your appeal was accepted: your comment is published."
    commenter.click("#see-comment")
    commenter.reload()  # the demo page a browser kept from before is up to 5 s old
    assert TEXT in commenter.locator(f"#comment-{comment_id}").inner_text()
    assert commenter.url.startswith(base) and status_url != commenter.url

    moderator.click("text=Audit log")
    rows = moderator.locator(f"tr.audit-row[data-comment='{comment_id}']").all()
    # Newest first: the rejection, the status page showing it, the appeal, the grant.
    assert [tuple(row.locator("td").all_inner_texts()[i] for i in (1, 3)) for row in rows] == [
        ("ann", "decide"), ("(commenter)", "appeal"), ("(status page)", "notice"),
        ("ann", "decide")]
    assert reload(app, comment_id).status == "published"
    assert commenter.errors == moderator.errors == []
