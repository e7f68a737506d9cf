"""Per-article commenting through the service, on SQLite and PostgreSQL: the site's article API,
a closed article at intake ("Comments are closed.", nothing kept) and on the readers' pages,
closing automatically, pre-moderation, and what a comment form tells of its article."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL, all_comments, good_form
from service.integrations import apikeys
from service.storage.tables import Article, Comment, utcnow


@pytest.fixture
def site(make_app, db_url):
    """The app on each backend; yields (app, client, the site's API headers)."""
    def build(**settings):
        app = make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL, **settings)
        _, key = apikeys.add_key(app.extensions["store"].engine,
                                 app.config["MODERATION_API_KEY_HASH_KEY"], "Daily Planet CMS")
        return app, app.test_client(), {"Authorization": f"Bearer {key}"}
    return build


def _count(app) -> int:
    with Session(app.extensions["store"].engine) as session:
        return session.scalar(select(func.count()).select_from(Comment))


def test_the_site_tells_the_service_of_an_article_and_reads_it_back(site):
    app, client, key = site()
    put = client.put("/api/articles/bridge-2026", headers=key, json={
        "title": "Old Mill footbridge reopens", "permalink": "https://news.example/bridge",
        "section": "Local", "published_at": "2026-12-01T09:30:00+01:00"})
    assert put.status_code == 200
    body = client.get("/api/articles/bridge-2026", headers=key).get_json()
    assert body == {**put.get_json(), "post_id": "bridge-2026"}
    assert (body["title"], body["section"], body["published_at"]) == \
        ("Old Mill footbridge reopens", "Local", "2026-12-01T08:30:00Z")
    assert (body["commenting"], body["closed"], body["premoderated"]) == ("auto", False, False)
    history = app.extensions["articles"].history("bridge-2026")
    assert {(c.field, c.api_key, c.moderator) for c in history} == {
        (field, "Daily Planet CMS", None)
        for field in ("title", "permalink", "section", "published_at")}
    # Fields left out keep their value; null clears one.
    client.put("/api/articles/bridge-2026", headers=key, json={"section": None})
    after = client.get("/api/articles/bridge-2026", headers=key).get_json()
    assert (after["title"], after["section"]) == ("Old Mill footbridge reopens", None)


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Basic YWxhZGRpbjpvcGVu"}, {"Authorization": "Bearer not-a-key"},
    {"Authorization": "Bearer 0123456789ab"},  # well-formed, but no such key
])
def test_the_article_api_needs_an_active_key(site, headers):
    _, client, _ = site()
    for response in (client.get("/api/articles/p1", headers=headers),
                     client.put("/api/articles/p1", headers=headers, json={"title": "x"})):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_key_stops_working(site):
    app, client, key = site()
    assert client.put("/api/articles/p1", headers=key, json={"title": "x"}).status_code == 200
    apikeys.revoke(app.extensions["store"].engine, "Daily Planet CMS")
    assert client.get("/api/articles/p1", headers=key).status_code == 401


def test_bad_article_details_are_refused_and_change_nothing(site):
    app, client, key = site()
    bad = client.put("/api/articles/p1", headers=key,
                     json={"title": "Fine", "permalink": "javascript:alert(1)"})
    assert bad.status_code == 400
    assert bad.get_json()["error"] == {
        "code": "bad_permalink", "field": "permalink",
        "message": "permalink must be an http:// or https:// address without spaces."}
    assert client.put("/api/articles/p1", headers=key, json=["title"]).status_code == 400
    assert client.put("/api/articles/p1", headers=key, data="title=x").status_code == 415
    assert client.put("/api/articles/p1", headers=key, json={"headline": "x"}).status_code == 400
    assert client.put("/api/articles/a%20b", headers=key, json={}).status_code == 404
    assert client.get("/api/articles/p1", headers=key).status_code == 404  # nothing was made
    assert app.extensions["articles"].get("p1") is None


def test_a_closed_article_refuses_comments_in_the_sites_words_and_keeps_nothing(site):
    app, client, key = site()
    assert client.post("/api/comments", json=good_form(comment_post_ID="p1")).status_code == 201
    client.put("/api/articles/p1", headers=key, json={"commenting": "closed"})

    refused = client.post("/api/comments", json=good_form(comment_post_ID="p1",
                                                          comment="Too late?"))
    assert refused.status_code == 403
    assert refused.get_json()["error"] == {"code": "comments_closed", "field": None,
                                           "message": "Comments are closed."}
    page = client.post("/comments", data=good_form(comment_post_ID="p1",
                                                   comment="My long reply, not lost."))
    html = page.get_data(as_text=True)
    assert page.status_code == 403 and "Comments are closed." in html
    assert "My long reply, not lost." in html  # what they wrote, to copy
    assert 'id="commentform"' not in html  # and no form that cannot work
    assert _count(app) == 1
    # Other articles are not affected; reopening lets comments in again.
    assert client.post("/api/comments", json=good_form(comment_post_ID="p2")).status_code == 201
    client.put("/api/articles/p1", headers=key, json={"commenting": "open"})
    assert client.post("/api/comments", json=good_form(comment_post_ID="p1",
                                                       comment="Now it works")).status_code == 201


def test_readers_pages_say_comments_are_closed_and_caches_follow(site):
    app, client, key = site()
    client.post("/api/comments", json=good_form(comment_post_ID="p1"))
    feed = client.get("/api/articles/p1/comments")
    page = client.get("/articles/p1")
    assert feed.get_json()["closed"] is False and 'id="commentform"' in page.get_data(as_text=True)

    client.put("/api/articles/p1", headers=key, json={"commenting": "closed"})
    again = client.get("/api/articles/p1/comments", headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 200 and again.get_json()["closed"] is True
    assert again.get_json()["comments"][0]["text"] == "Glad the bridge is open again."
    closed = client.get("/articles/p1", headers={"If-None-Match": page.headers["ETag"]})
    html = closed.get_data(as_text=True)
    assert closed.status_code == 200
    assert '<p class="closed" id="comments-closed">Comments are closed.</p>' in html
    assert 'id="commentform"' not in html and "replytocom" not in html
    assert "Glad the bridge is open again." in html  # the thread stays
    # And it is cacheable as before: its own validator answers 304.
    assert client.get("/articles/p1", headers={"If-None-Match": closed.headers["ETag"]}
                      ).status_code == 304


def _age(app, post_id: str, **columns) -> None:
    """Move an article's times into the past, as days passing would."""
    with Session(app.extensions["store"].engine) as session, session.begin():
        stored = session.get(Article, post_id)
        for name, value in columns.items():
            setattr(stored, name, value)


def test_an_article_closes_by_itself_days_after_publication(site):
    app, client, key = site(MODERATION_AUTO_CLOSE_DAYS="14")
    long_ago = (utcnow() - timedelta(days=15)).isoformat()
    client.put("/api/articles/old", headers=key, json={"published_at": long_ago})
    client.put("/api/articles/new", headers=key,
               json={"published_at": (utcnow() - timedelta(days=13)).isoformat()})
    assert client.post("/api/comments", json=good_form(comment_post_ID="old")).status_code == 403
    assert client.post("/api/comments", json=good_form(comment_post_ID="new")).status_code == 201
    assert client.get("/api/articles/old", headers=key).get_json()["closed"] is True
    closes = client.get("/api/articles/new", headers=key).get_json()["closes_at"]
    assert closes.startswith((utcnow() + timedelta(days=1)).strftime("%Y-%m-%d"))
    # The article's own rule overrides the site's: 30 days, or kept open by hand.
    client.put("/api/articles/old", headers=key, json={"close_after_days": 30})
    assert client.post("/api/comments", json=good_form(comment_post_ID="old")).status_code == 201
    client.put("/api/articles/old", headers=key, json={"close_after_days": None,
                                                       "commenting": "open"})
    assert client.post("/api/comments", json=good_form(comment_post_ID="old",
                                                       comment="still open")).status_code == 201


def test_an_article_closes_by_itself_days_after_its_first_comment(site):
    app, client, _ = site(MODERATION_AUTO_CLOSE_DAYS="2", MODERATION_AUTO_CLOSE_FROM="first_comment")
    assert client.post("/api/comments", json=good_form(comment_post_ID="p1")).status_code == 201
    first = app.extensions["articles"].get("p1").first_comment_at
    assert utcnow() - first < timedelta(minutes=1)
    feed = client.get("/api/articles/p1/comments")
    assert feed.get_json()["closed"] is False
    _age(app, "p1", first_comment_at=first - timedelta(days=2))
    assert client.post("/api/comments", json=good_form(comment_post_ID="p1",
                                                       comment="Two days on")).status_code == 403
    # The clock closed it, not a change in the database: the validators still move.
    later = client.get("/api/articles/p1/comments", headers={"If-None-Match": feed.headers["ETag"]})
    assert later.status_code == 200 and later.get_json()["closed"] is True


def test_a_premoderated_article_holds_every_comment(site):
    app, client, key = site()
    client.put("/api/articles/troubled", headers=key, json={"premoderated": True})
    held = client.post("/api/comments", json=good_form(comment_post_ID="troubled"))
    assert held.status_code == 201
    assert held.get_json()["status"] == "pending"
    assert "article_premoderated" in held.get_json()["reasons"]
    calm = client.post("/api/comments", json=good_form(comment_post_ID="calm"))
    assert calm.get_json()["status"] == "published"
    client.put("/api/articles/troubled", headers=key, json={"premoderated": False})
    after = client.post("/api/comments", json=good_form(comment_post_ID="troubled",
                                                        comment="Calmer now"))
    assert after.get_json()["status"] == "published"


def test_a_comment_form_tells_the_service_its_articles_title_once(site):
    app, client, key = site()
    client.post("/comments", data=good_form(
        comment_post_ID="p1", permalink="http://localhost/news/bridge#respond",
        article_title="  Footbridge   reopens ", article_section="Local"))
    known = app.extensions["articles"].get("p1")
    assert (known.title, known.section, known.permalink) == \
        ("Footbridge reopens", "Local", "http://localhost/news/bridge")
    # A later form does not rename it; the site's API does.
    client.post("/comments", data=good_form(comment_post_ID="p1", comment="Second",
                                            article_title="Hacked title"))
    assert app.extensions["articles"].get("p1").title == "Footbridge reopens"
    client.put("/api/articles/p1", headers=key, json={"title": "Footbridge reopens at last"})
    assert app.extensions["articles"].get("p1").title == "Footbridge reopens at last"
    # An address on another site is not taken from a reader's form.
    client.post("/comments", data=good_form(comment_post_ID="p2",
                                            permalink="https://evil.example/p2"))
    assert app.extensions["articles"].get("p2").permalink is None
    assert len(all_comments(app)) == 3
