"""embed.js in real headless Chromium, on a news page served from a second loopback origin
(127.0.0.2) with a strict Content-Security-Policy: a reader reads the thread, posts, replies,
loads more, and is told in the site's own words what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from comment_helpers import HOLD_ALL, PUBLISH_ALL, good_form
from service.articles.records import Actor

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
POST = "bridge-2026"


def news_site(service: str, per_page: int = 50):
    """The news site's article page: the fallback link, then the script, and a CSP that allows
    the service's origin and nothing inline."""
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Footbridge reopens | The Riverside Courier</title></head><body>
<article><h1>Old Mill footbridge reopens</h1><p>The footbridge reopened on Monday.</p></article>
<div id="moderation-comments"><a href="{service}/articles/{POST}">Read the comments and leave a
reply</a></div>
<script src="{service}/embed.js" data-post-id="{POST}" data-per-page="{per_page}"
 data-title="Old Mill footbridge reopens" data-section="Local" async></script>
</body></html>""".encode()
    policy = (f"default-src 'none'; script-src {service}; style-src {service}; "
              f"connect-src {service}; img-src 'none'")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Security-Policy", policy)])
        return [html]
    return app


@pytest.fixture
def site(make_app, serve_wsgi, page):
    """Start the service (settings given) and the news site; open the article in the tab.
    Returns the service's app, for seeding comments. CSP violations fail the test."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    def start(per_page: int = 50, seed: tuple = (), article: dict | None = None, **config):
        app = make_app(**{**PUBLISH_ALL, **config})
        service = serve_wsgi(app)
        news = serve_wsgi(news_site(service, per_page), host="127.0.0.2")
        app.config["MODERATION_CORS_ORIGINS"] = (news,)
        client = make_app(MODERATION_DATABASE_URL=app.config["MODERATION_DATABASE_URL"],
                          **PUBLISH_ALL).test_client()
        ids = []
        for text, parent in seed:
            response = client.post("/api/comments", json=good_form(
                comment=text, comment_post_ID=POST, author=f"Reader {len(ids) + 1}",
                email=f"r{len(ids)}@example.org",
                comment_parent=str(ids[parent]) if parent is not None else "0"))
            ids.append(response.get_json()["id"])
        if article:  # what the site's article API said before the reader came
            app.extensions["articles"].change(POST, Actor(api_key="site"), article)
        page.goto(news + "/news/bridge")
        return app

    yield start
    assert violations == []


def fill(page, comment="", author="", email=""):
    page.get_by_label("Comment", exact=True).fill(comment)
    page.get_by_label("Name *").fill(author)
    page.get_by_label("Email *").fill(email)


def test_reader_sees_the_thread_and_posts_a_comment(site, page):
    app = site(seed=(("The lighting is a real improvement.", None),
                     ("Agreed, & about time.", 0), ("Cyclists should dismount.", None)))
    page.get_by_text("Cyclists should dismount.").wait_for()
    assert page.get_by_role("heading", name="2 comments").is_visible()
    first = page.locator(".mc-comments > li").first
    assert "The lighting is a real improvement." in first.inner_text()
    assert first.locator(":scope > .mc-children").inner_text().count("Agreed, & about time.") == 1

    fill(page, "Glad the bridge is open again.\n\nThe ramps are better too.", "Ann Reader",
         "ann@example.org")
    page.get_by_role("button", name="Post Comment").click()
    assert page.get_by_role("status").inner_text() == "Your comment is published."
    mine = page.locator(".mc-comments > li").last
    assert mine.locator(".mc-text p").all_inner_texts() == ["Glad the bridge is open again.",
                                                           "The ramps are better too."]
    assert page.get_by_role("heading", name="3 comments").is_visible()
    # The script's data-title and data-section told the service of its article.
    known = app.extensions["articles"].get(POST)
    assert (known.title, known.section) == ("Old Mill footbridge reopens", "Local")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-published.png"), full_page=True)
    # It is in the feed, and the reader's own browser does not show its older copy of it
    # (kept for max-age) when the page is loaded again.
    page.reload()
    page.locator(".mc-comments").get_by_text("Glad the bridge is open again.").wait_for()
    assert page.get_by_role("heading", name="3 comments").is_visible()


def test_reader_is_told_what_is_missing_and_keeps_what_was_typed(site, page):
    site()
    fill(page, "", "Ann Reader", "ann@example.org")
    page.get_by_role("button", name="Post Comment").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "Please enter your comment!"
    assert page.get_by_label("Comment", exact=True).get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.className") == "mc-errors"

    fill(page, "My careful reply that must not be lost.", "", "ann@example.org")
    page.get_by_role("button", name="Post Comment").click()
    # A locator, not wait_for_function: the page's CSP forbids evaluating a string.
    page.locator(".mc-errors", has_text="name").wait_for()
    assert alert.inner_text() == "Please enter your name here"
    assert page.get_by_label("Name *").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Comment", exact=True).get_attribute("aria-invalid") is None
    assert page.get_by_label("Comment", exact=True).input_value() == \
        "My careful reply that must not be lost."
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embed-errors.png"), full_page=True)


def test_a_held_comment_is_announced_as_awaiting_moderation(site, page):
    site(**HOLD_ALL)
    fill(page, "Will the council publish the report?", "Ann Reader", "ann@example.org")
    page.get_by_role("button", name="Post Comment").click()
    assert "Your comment is awaiting moderation" in page.get_by_role("status").inner_text()
    assert "publish the report" not in page.locator(".mc-comments").inner_text()
    # The commenter's private status link, on the service.
    page.get_by_role("link", name="Follow your comment").click()
    page.wait_for_url("**/comments/status/*")
    assert page.locator("#comment-status").inner_text().startswith(
        "Your comment is awaiting moderation.")


def test_a_reader_reports_a_comment_through_its_report_link(site, page):
    app = site(seed=(("Cheap watches at watches.example", None), ("Fair point.", None)))
    page.get_by_text("Fair point.").wait_for()
    assert page.locator("a.mc-report").count() == 2  # every published comment has one
    page.get_by_role("link", name="Report the comment by Reader 1").click()
    page.wait_for_url("**/comments/*/report")
    assert "Cheap watches" in page.locator("#reported-comment").inner_text()
    page.get_by_label("Spam or advertising").check()
    page.click("#send-report")
    assert page.locator("#report-sent").inner_text() == \
        "Thank you. A moderator will look at this comment."
    reports = app.extensions["reports"].open_for(range(1, 3))
    assert [[r.reason for r in found] for found in reports.values()] == [["spam"]]


def test_on_a_closed_article_the_thread_stays_and_the_form_gives_way(site, page):
    site(seed=(("Before the close.", None),), article={"commenting": "closed"})
    page.get_by_text("Before the close.").wait_for()
    assert page.locator(".mc-closed").inner_text() == "Comments are closed."
    assert page.locator(".mc-form").count() == 0
    assert not page.get_by_role("button", name="Reply to Reader 1").is_visible()


def test_a_keyboard_reader_replies_to_a_comment(site, page):
    site(seed=(("First comment.", None), ("Second comment.", None)))
    page.get_by_text("Second comment.").wait_for()
    reply = page.get_by_role("button", name="Reply to Reader 1")
    reply.focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="Reply to Reader 1").is_visible()
    assert page.evaluate("document.activeElement.name") == "comment"
    page.keyboard.type("A reply, typed.")
    page.get_by_label("Name *").fill("Bo")
    page.get_by_label("Email *").fill("bo@example.org")
    page.get_by_label("Email *").press("Enter")  # submits the form
    children = page.locator(".mc-comments > li").first.locator(":scope > .mc-children")
    children.get_by_text("A reply, typed.").wait_for()
    # The form went back below the thread, and focus back to the Reply button.
    assert page.get_by_role("heading", name="Leave a reply").is_visible()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
        "Reply to Reader 1"


def test_a_long_thread_loads_more(site, page):
    site(per_page=2, seed=tuple((f"Comment number {n}.", None) for n in range(1, 6)))
    page.get_by_text("Comment number 2.").wait_for()
    assert page.locator(".mc-comments > li").count() == 2
    more = page.get_by_role("button", name="Load more comments")
    more.click()
    page.get_by_text("Comment number 4.").wait_for()
    more.click()
    page.get_by_text("Comment number 5.").wait_for()
    assert page.locator(".mc-comments > li").count() == 5
    assert more.is_hidden()


def test_without_scripts_the_link_leads_to_the_thread_and_form(make_app, serve_wsgi, browser):
    app = make_app(**PUBLISH_ALL)
    service = serve_wsgi(app)
    app.test_client().post("/api/comments", json=good_form(comment="Seen without scripts.",
                                                           comment_post_ID=POST))
    news = serve_wsgi(news_site(service), host="127.0.0.2")
    context = browser.new_context(java_script_enabled=False)
    tab = context.new_page()
    try:
        tab.goto(news + "/news/bridge")
        tab.get_by_role("link", name="Read the comments and leave a reply").click()
        assert "Seen without scripts." in tab.locator("#comments").inner_text()
        assert tab.get_by_role("heading", name="Leave a reply").is_visible()
    finally:
        context.close()
