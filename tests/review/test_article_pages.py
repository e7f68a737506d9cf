"""The moderators' article pages through HTTP, on SQLite and PostgreSQL: titles instead of post
ids in the queue, the title filter, closing and pre-moderating an article from the queue's
article bar, the article page's details and history, and the articles list."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from review_helpers import add_comment
from service.articles.records import Actor


def _article(app, post_id, **values):
    return app.extensions["articles"].change(post_id, Actor(api_key="site"), values)


def _item(page: str, comment) -> str:
    return page.split(f'id="c{comment.id}"', 1)[1].split("</article>", 1)[0]


def test_the_queue_names_articles_by_title_and_links_their_address(review_app, ann):
    _article(review_app, "bridge-2026", title="Old Mill footbridge reopens",
             permalink="https://news.example/bridge", section="Local")
    titled = add_comment(review_app, "Fine bridge.", post_id="bridge-2026",
                         permalink="https://news.example/bridge#respond")
    untitled = add_comment(review_app, "Who knows?", post_id="p-77", minutes=1)
    page = ann.get("/review/").get_data(as_text=True)
    item = _item(page, titled)
    assert re.search(r'<a href="https://news.example/bridge" rel="noopener noreferrer" '
                     r'class="article-title">Old Mill footbridge reopens</a>', item)
    assert re.search(r'<a class="section" [^>]*href="/review/\?section=Local&amp;status=pending">'
                     r'Local</a>', item)
    assert 'href="/review/articles/bridge-2026"' in item
    # An article the service knows nothing of is still named by its id.
    assert '<span class="article-title">p-77</span>' in _item(page, untitled)


def test_the_queue_filters_by_words_of_the_title(review_app, ann):
    _article(review_app, "a", title="Old Mill footbridge reopens")
    _article(review_app, "b", title="Council budget vote")
    bridge = add_comment(review_app, "About the bridge", post_id="a")
    budget = add_comment(review_app, "About the budget", post_id="b", minutes=1)
    page = ann.get("/review/?title=FOOTBRIDGE").get_data(as_text=True)
    assert f'id="c{bridge.id}"' in page and f'id="c{budget.id}"' not in page
    assert 'name="title" value="FOOTBRIDGE"' in page  # the filter stays filled in
    assert f'id="c{bridge.id}"' not in ann.get("/review/?title=budget").get_data(as_text=True)


def test_a_moderator_closes_an_article_from_the_queue_and_it_is_recorded(review_app, ann):
    _article(review_app, "p1", title="Troubled story")
    add_comment(review_app, "First!", post_id="p1")
    queue = ann.get("/review/?post=p1").get_data(as_text=True)
    bar = queue.split('id="article-bar"', 1)[1].split("</section>", 1)[0]
    assert "Troubled story" in bar and "Close comments now" in bar and "Pre-moderate" in bar

    back = "/review/?post=p1"
    closed = ann.post("/review/articles/p1", {"action": "close", "back": back})
    assert closed.status_code == 302 and closed.headers["Location"] == back
    page = ann.get(back).get_data(as_text=True)
    assert "Comments are closed on \u201cTroubled story\u201d." in page
    assert 'data-commenting="closed"' in page and "Reopen comments" in page
    ann.post("/review/articles/p1", {"action": "premoderate", "back": back})
    stored = review_app.extensions["articles"].get("p1")
    assert (stored.commenting, stored.premoderated) == ("closed", True)
    history = [(c.moderator, c.field, c.new) for c in
               review_app.extensions["articles"].history("p1")]
    assert history[:2] == [("ann", "premoderated", "yes"), ("ann", "commenting", "closed")]


def test_the_article_page_sets_details_and_the_auto_close_override(review_app, ann):
    saved = ann.post("/review/articles/new-story", {
        "action": "details", "title": "  New   story ", "permalink": "https://news.example/n",
        "section": "Politics", "published_at": "2026-12-01T09:30", "close_after_days": "3",
        "close_from": "first_comment"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/review/articles/new-story"
    stored = review_app.extensions["articles"].get("new-story")
    assert (stored.title, stored.section, stored.close_after_days, stored.close_from) == \
        ("New story", "Politics", 3, "first_comment")
    assert stored.published_at == datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)  # as UTC
    page = ann.get("/review/articles/new-story").get_data(as_text=True)
    assert '<h1 class="article-title">New story</h1>' in page
    assert 'value="2026-12-01T09:30"' in page and 'value="3"' in page
    assert page.count('class="article-change"') == 6 and "ann" in page
    # Empty fields go back to the site's settings.
    ann.post("/review/articles/new-story", {"action": "details", "title": "New story",
                                            "close_after_days": "", "close_from": ""})
    stored = review_app.extensions["articles"].get("new-story")
    assert (stored.close_after_days, stored.close_from) == (None, None)


def test_a_bad_detail_is_refused_with_a_message_and_changes_nothing(review_app, ann):
    _article(review_app, "p1", title="Kept")
    refused = ann.post("/review/articles/p1", {"action": "details", "title": "Changed",
                                               "permalink": "javascript:alert(1)"})
    assert refused.status_code == 302
    page = ann.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Nothing changed: permalink must be an http:// or https:// address" in page
    assert review_app.extensions["articles"].get("p1").title == "Kept"
    assert ann.post("/review/articles/p1", {"action": "explode"}).status_code == 400


def test_article_pages_need_a_logged_in_moderator_and_a_csrf_token(review_app, ann):
    anonymous = review_app.test_client()
    assert anonymous.get("/review/articles/").status_code == 302
    assert anonymous.post("/review/articles/p1", data={"action": "close"}).status_code == 302
    no_token = ann.client.post("/review/articles/p1", data={"action": "close"})
    assert no_token.status_code == 400
    assert review_app.extensions["articles"].get("p1") is None
    # A `back` that leaves the review pages is not followed.
    away = ann.post("/review/articles/p1", {"action": "close", "back": "https://evil.example/"})
    assert away.headers["Location"] == "/review/articles/p1"


def test_the_articles_list_finds_titles_and_shows_their_state(review_app, ann):
    _article(review_app, "a", title="Old Mill footbridge reopens", section="Local",
             commenting="closed")
    _article(review_app, "b", title="Council budget vote", section="Politics")
    add_comment(review_app, "waiting", post_id="b")
    page = ann.get("/review/articles/").get_data(as_text=True)
    rows = re.findall(r'<tr class="article-row" data-post-id="([^"]+)"', page)
    assert sorted(rows) == ["a", "b"]
    assert "Closed by hand" in page
    assert 'href="/review/?post=b">1</a>' in page  # one comment waiting, linked
    found = ann.get("/review/articles/?q=footbridge").get_data(as_text=True)
    assert re.findall(r'data-post-id="([^"]+)"', found) == ["a"]
