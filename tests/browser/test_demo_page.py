"""The demo article in real headless Chromium: a reader submits the form and sees the result."""

from __future__ import annotations

from pathlib import Path

import pytest

from comment_helpers import PUBLISH_ALL

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _fill(page, text: str) -> None:
    page.fill("#comment", text)
    page.fill("#author", "Ann Reader")
    page.fill("#email", "ann@example.org")
    page.fill("#url", "https://ann.example")


def test_reader_posts_and_sees_the_comment_published(serve, page):
    base = serve(MODERATION_MIN_SUBMIT_SECONDS="0.5", **PUBLISH_ALL)
    page.goto(base + "/")
    assert page.locator("h2", has_text="Leave a reply").is_visible()
    # The honeypot is off-screen for people (bots that parse the HTML still see it).
    box = page.locator("#email_confirm").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0
    _fill(page, "The new lighting on the ramps is a real improvement.")
    page.wait_for_timeout(600)  # a person takes longer than the form's minimum
    page.click("#submit")
    page.wait_for_url("**/#comment-*")
    comment = page.locator("ol.comments li.comment").first
    assert "The new lighting on the ramps is a real improvement." in comment.inner_text()
    assert comment.locator("a[rel='nofollow ugc']").get_attribute("href") == "https://ann.example"
    assert page.locator("#comments h2").inner_text() == "1 comment"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-published.png"), full_page=True)


def test_reader_sees_held_comment_awaiting_moderation(serve, page):
    base = serve(MODERATION_WATCHED_TERMS="council")
    page.goto(base + "/")
    _fill(page, "Will the council publish the inspection report?")
    page.click("#submit")
    page.wait_for_url("**moderation=awaiting**")
    notice = page.locator("#awaiting-moderation").inner_text()
    assert "Your comment is awaiting moderation" in notice
    assert "inspection report" not in page.locator("#comments").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-held.png"), full_page=True)


@pytest.mark.parametrize("email, message, not_message", [
    ("not-an-address@nowhere", "You have entered an incorrect email address!", "Please enter"),
    ("", "Please enter your email address here", "incorrect email address"),
])
def test_invalid_form_keeps_what_the_reader_typed(serve, page, email, message, not_message):
    base = serve()
    page.goto(base + "/")
    page.fill("#comment", "My careful, long reply that must not be lost.")
    page.fill("#author", "Ann Reader")
    page.fill("#email", email)
    # Skip the browser's own checks, as an old browser or the site's form would.
    page.eval_on_selector("#commentform", "form => form.noValidate = true")
    page.click("#submit")
    errors = page.locator(".errors").inner_text()
    assert message in errors and not_message not in errors
    assert page.input_value("#comment") == "My careful, long reply that must not be lost."
    assert page.input_value("#author") == "Ann Reader"
