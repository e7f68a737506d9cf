"""Per-article commenting in real headless Chromium: a moderator closes the demo article on the
review page and a reader sees "Comments are closed."; a pre-moderated article holds a reader's
comment until a moderator approves it; the queue filters by article title."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_helpers import PASSWORD, add_comment, add_moderators
from serving import serving
from service.articles.records import Actor

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_TITLE = "Old Mill footbridge reopens after six months of repairs"


@pytest.fixture
def site(make_app, password_hash):
    app = make_app()
    add_moderators(app, password_hash, "ann")
    with serving(app) as base:
        yield app, base


@pytest.fixture
def tabs(browser):
    """A moderator's tab and a reader's, in browsers of their own (separate cookies)."""
    contexts = [browser.new_context(), browser.new_context()]
    pages = [context.new_page() for context in contexts]
    errors = []
    for page in pages:
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
    yield pages[0], pages[1], errors
    for context in contexts:
        context.close()


def _login(page, base):
    page.goto(base + "/review/")
    page.fill("#name", "ann")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/review/")


def _reload(reader, url: str) -> None:
    """Open `url` and press reload, as a reader does who expects a change: the browser may keep
    the article page for its max-age (docs/service.md, "Readers' pages under news traffic"), and a
    reload asks the service whether it changed."""
    reader.goto(url)
    reader.reload()


def _post(reader, text: str) -> None:
    reader.fill("#comment", text)
    reader.fill("#author", "Rita Reader")
    reader.fill("#email", "rita@example.org")
    reader.click("#submit")


def test_a_moderator_closes_the_article_and_the_reader_sees_comments_are_closed(site, tabs):
    app, base = site
    moderator, reader, errors = tabs
    reader.goto(base + "/")
    _post(reader, "Glad the lights are in at last.")
    reader.wait_for_url("**/#comment-*")
    # Another reader's form is open while the moderator closes the article.
    reader.fill("#comment", "My second thought, written before the close.")
    reader.fill("#author", "Rita Reader")
    reader.fill("#email", "rita@example.org")

    _login(moderator, base)
    moderator.click("text=Articles")
    moderator.click(f"text={DEMO_TITLE}")  # the demo page's form told the service its title
    assert moderator.locator("h1.article-title").inner_text() == DEMO_TITLE
    moderator.click("button.close-comments")
    moderator.wait_for_selector("[data-commenting=closed]")
    assert "Comments are closed on \u201c" + DEMO_TITLE in moderator.locator(".flash").inner_text()
    assert "ann" in moderator.locator("tr.article-change").first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    moderator.screenshot(path=str(ARTIFACTS / "review-article.png"), full_page=True)

    reader.click("#submit")  # the form that was open: refused in the site's words, text kept
    assert "Comments are closed." in reader.locator(".errors").inner_text()
    assert "My second thought" in reader.locator("#not-posted").inner_text()
    _reload(reader, base + "/")
    assert reader.locator("#comments-closed").inner_text() == "Comments are closed."
    assert reader.locator("#commentform").count() == 0
    assert "Glad the lights are in at last." in reader.locator("#comments").inner_text()
    assert reader.locator("#comments a", has_text="Reply").count() == 0
    reader.screenshot(path=str(ARTIFACTS / "demo-closed.png"), full_page=True)

    moderator.click("button.open-comments")
    moderator.wait_for_selector("[data-commenting=open]")
    _reload(reader, base + "/")
    assert reader.locator("#commentform").is_visible()
    assert errors == []


def test_a_premoderated_article_holds_the_readers_comment_until_approved(site, tabs):
    app, base = site
    moderator, reader, errors = tabs
    _login(moderator, base)
    moderator.goto(base + "/review/articles/demo")
    moderator.click("button.premoderate")
    moderator.wait_for_selector("[data-premoderated]")

    reader.goto(base + "/")
    _post(reader, "A perfectly calm remark about the bridge.")
    reader.wait_for_url("**moderation=awaiting**")
    assert "awaiting moderation" in reader.locator("#awaiting-moderation").inner_text()

    moderator.goto(base + "/review/")
    item = moderator.locator(".item", has_text="A perfectly calm remark")
    assert "The article is pre-moderated" in item.locator(".rules").inner_text()
    assert item.locator(".article-title").inner_text() == DEMO_TITLE
    item.locator("button.approve").click()
    moderator.wait_for_selector(".item[data-status=published]")
    _reload(reader, base + "/")
    assert "A perfectly calm remark" in reader.locator("#comments").inner_text()
    assert errors == []


def test_the_queue_filters_by_article_title(site, tabs):
    app, base = site
    moderator, _, errors = tabs
    store = app.extensions["articles"]
    store.change("bridge", Actor(api_key="site"), {"title": "Footbridge reopens"})
    store.change("budget", Actor(api_key="site"), {"title": "Council budget vote"})
    add_comment(app, "On the bridge", post_id="bridge")
    add_comment(app, "On the budget", post_id="budget", minutes=1)
    _login(moderator, base)
    assert moderator.locator(".item").count() == 2
    moderator.fill("input[name=title]", "budget")
    moderator.click(".filters button[type=submit]")
    moderator.wait_for_url("**title=budget**")
    assert moderator.locator(".item").count() == 1
    assert moderator.locator(".item .article-title").inner_text() == "Council budget vote"
    assert errors == []


def test_the_queue_filters_by_section_and_puts_a_moderators_sections_first(site, tabs):
    app, base = site
    moderator, _, errors = tabs
    store = app.extensions["articles"]
    store.change("bridge", Actor(api_key="site"), {"title": "Footbridge reopens",
                                                   "section": "Local"})
    store.change("budget", Actor(api_key="site"), {"title": "Council budget vote",
                                                   "section": "Politics"})
    add_comment(app, "On the bridge", post_id="bridge", spam=0.5)
    add_comment(app, "On the budget", post_id="budget", minutes=1, spam=0.9)
    _login(moderator, base)
    strip = moderator.locator("#queue-sections")
    assert "Local: 1" in strip.inner_text() and "Politics: 1" in strip.inner_text()
    strip.locator("a[data-section=Politics]").click()
    moderator.wait_for_url("**section=Politics**")
    assert moderator.locator(".item .article-title").all_inner_texts() == ["Council budget vote"]

    moderator.click("text=Sections")
    moderator.locator("form[data-moderator=ann] input[value=Local]").check()
    moderator.locator("form[data-moderator=ann] button[type=submit]").click()
    assert "ann looks after Local first." in moderator.locator(".flash").inner_text()
    moderator.click("text=Queue")
    # Riskiest first would put the budget on top; ann's own section comes before it.
    assert moderator.locator(".item .article-title").all_inner_texts() == \
        ["Footbridge reopens", "Council budget vote"]
    assert moderator.locator("#other-sections").is_visible()
    assert "Your sections come first: Local" in strip.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    moderator.screenshot(path=str(ARTIFACTS / "review-sections.png"), full_page=True)
    assert errors == []
