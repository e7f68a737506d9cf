"""Readers' reports in real headless Chromium: two readers report a comment from the demo page,
it goes back to the queue, and a moderator sees their reasons and upholds or dismisses them.

The service sits behind one proxy hop here (MODERATION_PROXY_HOPS=1), as in production, and each
reader's browser reaches it with its own X-Forwarded-For: two readers, two addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from review_helpers import add_comment, log_in_browser, reload
from serving import serving
from service.storage.tables import Moderator as ModeratorRow, utcnow

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADVERT = "Cheap watches at watches.example, best prices in town"


def _site(make_app, password_hash, **config):
    app = make_app(MODERATION_PROXY_HOPS="1", **config)
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(insert(ModeratorRow).values(
            name="ann", password_hash=password_hash, active=True, created_at=utcnow(),
            must_change_password=False))
    return app


def _report(page, base: str, comment_id: int, reason: str, note: str = "") -> str:
    """Report from the demo article, as a reader does; returns what the page then says."""
    page.goto(base + "/")
    page.locator(f"#comment-{comment_id} a.report").click()
    page.wait_for_url(f"**/comments/{comment_id}/report")
    assert ADVERT in page.locator("#reported-comment").inner_text()
    page.get_by_label(reason).check()
    if note:
        page.fill("#note", note)
    page.click("#send-report")
    return page.locator("#report-sent").inner_text()


def _article_now(page, base: str) -> None:
    """The demo article as it is now: a browser may reuse its copy for the feed's max-age (5 s)
    on a plain visit; a reload asks again."""
    page.goto(base + "/")
    page.reload()


def test_readers_report_a_comment_and_a_moderator_upholds_the_reports(make_app, password_hash,
                                                                      person):
    app = _site(make_app, password_hash)
    calm = add_comment(app, "The ramps are steep for wheelchairs.", status="published")
    advert = add_comment(app, ADVERT, status="published", minutes=1)
    with serving(app) as base:
        first = person("203.0.113.1")
        first.goto(base + "/")
        # Every published comment has its own Report link.
        assert first.locator("ol.comments a.report").count() == 2
        said = _report(first, base, advert.id, "Spam or advertising", "An advert for watches")
        assert said == "Thank you. A moderator will look at this comment."
        first.click("#back-to-article")
        first.wait_for_url(f"**/#comment-{advert.id}")
        # The same reader again: thanked, and nothing changes.
        assert _report(first, base, advert.id, "Off-topic") == \
            "You have already reported this comment. Thank you."
        assert reload(app, advert.id).returned_for is None  # one reader of the two needed

        second = person("203.0.113.2")
        _report(second, base, advert.id, "Spam or advertising")
        assert reload(app, advert.id).returned_for == "reported"
        _article_now(second, base)
        assert second.locator(f"#comment-{advert.id}").is_visible()  # still up meanwhile

        moderator = person("198.51.100.1")
        log_in_browser(moderator, base)
        item = moderator.locator(f"#c{advert.id}")
        assert item.locator("[data-mark=reported]").inner_text() == "reported by 2 readers"
        assert [r.get_attribute("data-reason") for r in item.locator("li.report").all()] == \
            ["spam", "spam"]
        assert item.locator(".report-note").inner_text() == "An advert for watches"
        assert item.locator("select[name=reason]").input_value() == "spam"  # both said spam
        assert not moderator.locator(f"#c{calm.id}").count()  # not reported, not in the queue
        ARTIFACTS.mkdir(exist_ok=True)
        moderator.screenshot(path=str(ARTIFACTS / "review-reported.png"), full_page=True)
        item.locator("button.reject", has_text="Uphold: reject").click()
        moderator.wait_for_selector(f"#c{advert.id}[data-status=rejected]")

        _article_now(first, base)
        assert first.locator(f"#comment-{advert.id}").count() == 0
        assert first.locator(f"#comment-{calm.id}").is_visible()
        after = reload(app, advert.id)
        assert (after.status, after.decision_reason, after.decided_by) == \
            ("rejected", "spam", "ann")
        assert first.errors == second.errors == moderator.errors == []


def test_a_hidden_reported_comment_comes_back_when_the_reports_are_dismissed(
        make_app, password_hash, person):
    app = _site(make_app, password_hash, MODERATION_REPORTS_TO_QUEUE="1",
                MODERATION_HIDE_REPORTED="true")
    advert = add_comment(app, ADVERT, status="published")
    with serving(app) as base:
        reader = person("203.0.113.1")
        _report(reader, base, advert.id, "Abusive, hateful or harassing")
        _article_now(reader, base)
        assert reader.locator(f"#comment-{advert.id}").count() == 0  # hidden meanwhile

        moderator = person("198.51.100.1")
        log_in_browser(moderator, base)
        item = moderator.locator(f"#c{advert.id}")
        assert "Hidden from readers until you decide." in item.inner_text()
        item.locator("button.approve", has_text="Dismiss reports").click()
        moderator.wait_for_selector(f"#c{advert.id}[data-status=published]")

        _article_now(reader, base)
        assert reader.locator(f"#comment-{advert.id}").is_visible()
        assert reader.errors == moderator.errors == []
