"""The read path under a news site's traffic: validators, 304s, the page cache, and that a
change a reader could see reaches every host at once (both databases, both page caches)."""

from __future__ import annotations

import os
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text, update
from werkzeug.datastructures import ETags
from werkzeug.test import Client

from comment_helpers import HOLD_ALL, PUBLISH_ALL, good_form
from required import unavailable
from service.intake import bots
from service.feed import page_cache as feed_cache
from service.feed import early as feed_early
from service.feed import http_cache
from service.privacy import retention
from service.review.queue import Moderation
from service.storage.store import FeedVersionRow
from service.storage.tables import Comment

REDIS_URL = os.environ.get("MODERATION_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def post_id() -> str:
    return f"article-{uuid.uuid4().hex[:10]}"


@pytest.fixture(params=["memory", "redis"])
def page_cache(request, post_id) -> str:
    """Where the hosts keep rendered pages: each its own memory, or one shared Redis."""
    if request.param == "memory":
        yield "memory://"
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis", f"Redis at {REDIS_URL} is not usable: {exc}")
    yield REDIS_URL
    pattern = feed_cache.REDIS_PREFIX + feed_cache.key(post_id, "*")
    keys = list(client.scan_iter(match=pattern))
    if keys:
        client.delete(*keys)


@pytest.fixture
def two_hosts(make_app, db_url, page_cache):
    """Two apps on one database and one page-cache setting, as two hosts behind a balancer."""
    return [make_app(MODERATION_DATABASE_URL=db_url, MODERATION_FEED_CACHE=page_cache,
                     **PUBLISH_ALL).test_client() for _ in range(2)]


def post(client, post_id: str, text: str, **fields) -> int:
    response = client.post("/api/comments", json=good_form(comment=text, comment_post_ID=post_id,
                                                           **fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def feed_texts(client, post_id: str, **headers) -> list[str]:
    response = client.get(f"/api/articles/{post_id}/comments", headers=headers)
    assert response.status_code == 200
    return [c["text"] for c in response.get_json()["comments"]]


def test_the_feed_carries_a_strong_etag_and_short_public_freshness(make_app, post_id):
    client = make_app(MODERATION_FEED_MAX_AGE="7", MODERATION_FEED_STALE_SECONDS="20",
                      **PUBLISH_ALL).test_client()
    post(client, post_id, "First!")
    response = client.get(f"/api/articles/{post_id}/comments")
    assert response.headers["Cache-Control"] == "public, max-age=7, stale-while-revalidate=20"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    # Another page of the same article is another representation.
    assert client.get(f"/api/articles/{post_id}/comments?page=2").headers["ETag"] != etag


def test_a_current_copy_gets_304_without_a_comment_being_read(two_hosts, post_id):
    a, b = two_hosts
    post(a, post_id, "The lighting is much better.")
    first = a.get(f"/api/articles/{post_id}/comments")
    store = b.application.extensions["store"]
    reads = []
    store.published_for = lambda *args: reads.append(args)  # would break the page if called
    again = b.get(f"/api/articles/{post_id}/comments",
                  headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert reads == []


def test_published_unpublished_edited_and_erased_show_on_every_host_at_once(two_hosts, post_id):
    a, b = two_hosts
    engine = a.application.extensions["store"].engine
    kept = post(a, post_id, "Kept comment.")
    removed = post(a, post_id, "Comment a moderator will remove.", author="Bo",
                   email="bo@example.org")
    assert feed_texts(b, post_id) == ["Kept comment.", "Comment a moderator will remove."]
    etag = b.get(f"/api/articles/{post_id}/comments").headers["ETag"]

    Moderation(engine).decide(removed, "ann", "reject", "abuse")
    for host in (a, b):
        assert feed_texts(host, post_id) == ["Kept comment."]
        stale = host.get(f"/api/articles/{post_id}/comments", headers={"If-None-Match": etag})
        assert stale.status_code == 200 and b"remove" not in stale.data

    with engine.begin() as connection:  # a moderator's edit
        connection.execute(update(Comment).where(Comment.id == kept)
                           .values(text="Kept comment (edited)."))
    assert feed_texts(b, post_id) == ["Kept comment (edited)."]

    retention.erase(engine, "ann@example.org", "test-email-key")
    assert feed_texts(b, post_id) == [""]
    assert "Kept comment" not in b.get("/articles/" + post_id).get_data(as_text=True)

    Moderation(engine).undo_last("ann")  # the removed comment is published again
    assert feed_texts(a, post_id) == ["", "Comment a moderator will remove."]


def test_a_held_comment_does_not_change_what_readers_see(make_app, db_url, post_id):
    publishing = make_app(MODERATION_DATABASE_URL=db_url, **PUBLISH_ALL).test_client()
    holding = make_app(MODERATION_DATABASE_URL=db_url, **HOLD_ALL).test_client()
    post(publishing, post_id, "Published.")
    etag = publishing.get(f"/api/articles/{post_id}/comments").headers["ETag"]
    response = holding.post("/api/comments", json=good_form(comment="Held.",
                                                            comment_post_ID=post_id))
    assert response.get_json()["status"] == "pending"
    assert publishing.get(f"/api/articles/{post_id}/comments",
                          headers={"If-None-Match": etag}).status_code == 304


def test_if_modified_since_is_answered_once_the_change_has_settled(make_app, post_id):
    client = make_app(**PUBLISH_ALL).test_client()
    post(client, post_id, "A comment.")
    # Just changed: no Last-Modified, since another change may follow within the same second.
    assert "Last-Modified" not in client.get(f"/api/articles/{post_id}/comments").headers
    settled = int((time.time() - 60) * 1_000_000)
    with client.application.extensions["store"].engine.begin() as connection:
        connection.execute(text("UPDATE feed_versions SET changed_us = :us WHERE post_id = :p"),
                           {"us": settled, "p": post_id})
    response = client.get(f"/api/articles/{post_id}/comments")
    modified = response.headers["Last-Modified"]
    assert client.get(f"/api/articles/{post_id}/comments",
                      headers={"If-Modified-Since": modified}).status_code == 304
    post(client, post_id, "A second comment.")
    assert client.get(f"/api/articles/{post_id}/comments",
                      headers={"If-Modified-Since": modified}).status_code == 200


def test_cors_answers_vary_by_origin_and_304s_keep_the_cors_headers(make_app, post_id):
    client = make_app(MODERATION_CORS_ORIGINS="https://news.example", **PUBLISH_ALL).test_client()
    post(client, post_id, "Hello.")
    first = client.get(f"/api/articles/{post_id}/comments",
                       headers={"Origin": "https://news.example"})
    assert "Origin" in first.headers["Vary"]
    again = client.get(f"/api/articles/{post_id}/comments",
                       headers={"Origin": "https://news.example",
                                "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Origin" in again.headers["Vary"]


def test_the_article_page_is_cacheable_and_moderators_pages_are_not(make_app, post_id):
    client = make_app(**PUBLISH_ALL).test_client()
    post(client, post_id, "Seen on the page.")
    page = client.get(f"/articles/{post_id}")
    assert "Seen on the page." in page.get_data(as_text=True)
    assert page.headers["ETag"].startswith('W/"')  # the form's signed time differs per render
    assert page.headers["Cache-Control"].startswith("public, max-age=")
    assert client.get(f"/articles/{post_id}", headers={"If-None-Match": page.headers["ETag"]}
                      ).status_code == 304
    post(client, post_id, "A second one.")
    fresh = client.get(f"/articles/{post_id}", headers={"If-None-Match": page.headers["ETag"]})
    assert fresh.status_code == 200 and "A second one." in fresh.get_data(as_text=True)
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


def test_an_unreachable_redis_costs_speed_not_answers(make_app, post_id):
    client = make_app(MODERATION_FEED_CACHE="redis://127.0.0.1:1/0", **PUBLISH_ALL).test_client()
    post(client, post_id, "Still shown.")
    assert feed_texts(client, post_id) == ["Still shown."]


# -- answered before Flask (service/feed/early.py) ------------------------------------------------

def behind_the_early_layer(app):
    """A client of the app as Flask alone answers it, without the feed's early layer."""
    layer = app.wsgi_app
    assert isinstance(layer, feed_early.EarlyFeed)
    return Client(layer.wsgi_app, app.response_class)


def answer(response) -> tuple:
    headers = sorted((name, value) for name, value in response.headers.items()
                     if name != "X-Request-ID")
    return response.status_code, headers, response.data


@pytest.mark.parametrize("origins", ["", "https://news.example"])
def test_the_feed_answered_before_flask_is_the_feed_flask_answers(make_app, post_id, origins):
    app = make_app(MODERATION_CORS_ORIGINS=origins, **PUBLISH_ALL)
    client, flask_alone = app.test_client(), behind_the_early_layer(app)
    post(client, post_id, "Seen by both.")
    settled = int((time.time() - 60) * 1_000_000)  # so that the page has a Last-Modified
    with app.extensions["store"].engine.begin() as connection:
        connection.execute(text("UPDATE feed_versions SET changed_us = :us WHERE post_id = :p"),
                           {"us": settled, "p": post_id})
    url = f"/api/articles/{post_id}/comments?per_page=20"
    first = flask_alone.get(url, headers={"Origin": "https://news.example"})  # renders, keeps
    conditions = [{}, {"If-None-Match": first.headers["ETag"]},
                  {"If-Modified-Since": first.headers["Last-Modified"]}]
    for origin in ({}, {"Origin": "https://news.example"}, {"Origin": "https://other.example"}):
        for condition in conditions:
            for method in ("GET", "HEAD"):
                headers = {**origin, **condition}
                early = client.open(url, method=method, headers=headers)
                assert answer(early) == answer(flask_alone.open(url, method=method,
                                                                headers=headers))
                assert early.headers["X-Request-ID"]
    assert client.get(url, headers=conditions[1]).status_code == 304


FORM_TIME = re.compile(rb'name="rendered_at" value="([^"]*)"')


def without_length(response) -> tuple:
    status, headers, _ = answer(response)
    return status, [header for header in headers if header[0] != "Content-Length"]


@pytest.mark.parametrize("origins", ["", "https://news.example"])
def test_article_pages_answered_before_flask_are_the_pages_flask_answers(make_app, post_id,
                                                                         origins):
    app = make_app(MODERATION_CORS_ORIGINS=origins, MODERATION_MIN_SUBMIT_SECONDS="0",
                   **PUBLISH_ALL)
    client, flask_alone = app.test_client(), behind_the_early_layer(app)
    post(client, post_id, "Seen on both pages.")
    post(client, "demo", "Seen on the demo page.")
    for url, article in ((f"/articles/{post_id}", post_id), ("/", "demo")):
        first = flask_alone.get(url)  # renders, keeps the page
        for condition in ({}, {"If-None-Match": first.headers["ETag"]}):
            for method in ("GET", "HEAD"):
                headers = {"Origin": "https://news.example", **condition}
                early = client.open(url, method=method, headers=headers)
                flask = flask_alone.open(url, method=method, headers=headers)
                # The form's signed time is the request's own (its length too); the rest is
                # the same bytes.
                assert without_length(early) == without_length(flask)
                assert FORM_TIME.sub(b"", early.data) == FORM_TIME.sub(b"", flask.data)
                if method == "GET" and early.status_code == 200:
                    assert int(early.headers["Content-Length"]) == len(early.data)
        stamped = FORM_TIME.search(client.get(url).data).group(1).decode()  # signed just now
        assert bots.check({"rendered_at": stamped, "comment_post_ID": article},
                          app.config["SECRET_KEY"], min_seconds=0, now=time.time() + 1) is None


def test_a_readers_own_notice_or_reply_link_is_not_kept_for_others(make_app):
    client = make_app(**PUBLISH_ALL).test_client()
    parent = post(client, "demo", "A comment to reply to.")
    client.get("/")  # the page as everyone sees it, kept
    reply = client.get(f"/?replytocom={parent}").get_data(as_text=True)
    assert f'name="comment_parent" value="{parent}"' in reply
    awaiting = client.get("/?moderation=awaiting").get_data(as_text=True)
    plain = client.get("/").get_data(as_text=True)
    assert 'name="comment_parent" value="0"' in plain
    assert f'value="{parent}"' not in plain
    assert FORM_TIME.sub(b"", awaiting.encode()) != FORM_TIME.sub(b"", plain.encode())


def test_the_early_answers_never_outlive_a_change(two_hosts, post_id):
    a, b = two_hosts
    kept = post(a, post_id, "Kept comment.")
    removed = post(a, post_id, "Comment a moderator will remove.", author="Bo",
                   email="bo@example.org")
    rendered = []
    view = b.application.view_functions["feed.article_comments"]
    b.application.view_functions["feed.article_comments"] = \
        lambda **kwargs: rendered.append(kwargs) or view(**kwargs)
    url = f"/api/articles/{post_id}/comments"
    etag = b.get(url).headers["ETag"]  # rendered by Flask, kept in the page cache
    assert b.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert b.get(url).status_code == 200
    assert len(rendered) == 1  # the 304 and the cached page came from the early layer

    Moderation(a.application.extensions["store"].engine).decide(removed, "ann", "reject",
                                                                 "abuse")
    stale = b.get(url, headers={"If-None-Match": etag})
    assert stale.status_code == 200 and b"remove" not in stale.data
    assert [c["id"] for c in b.get(url).get_json()["comments"]] == [kept]
    assert len(rendered) == 2  # the new version rendered once, then served early


# -- the rules, without HTTP ----------------------------------------------------------------------

VERSION = FeedVersionRow(3, 1_700_000_000_500_000)
MODIFIED = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)


def test_if_none_match_decides_alone_when_sent():
    tag = http_cache.etag("feed", VERSION, 1, 50)
    assert http_cache.not_modified(ETags([tag.strip('"')]), None, tag, MODIFIED)
    assert http_cache.not_modified(ETags(star_tag=True), None, tag, MODIFIED)
    # An old tag is not current, even with a date that would be.
    assert not http_cache.not_modified(ETags(["feed-old"]), MODIFIED, tag, MODIFIED)
    weak = http_cache.etag("page", VERSION, weak=True)
    assert http_cache.not_modified(ETags(weak_etags=[weak[3:-1]]), None, weak, None)


def test_if_modified_since_needs_a_last_modified_at_or_before_it():
    tag = http_cache.etag("feed", VERSION)
    assert http_cache.not_modified(ETags(), MODIFIED, tag, MODIFIED)
    assert not http_cache.not_modified(ETags(), MODIFIED - timedelta(seconds=1), tag, MODIFIED)
    assert not http_cache.not_modified(ETags(), MODIFIED, tag, None)


def test_last_modified_is_withheld_while_the_change_is_recent():
    assert http_cache.last_modified(VERSION, VERSION.changed_us + 500_000) is None
    assert http_cache.last_modified(VERSION, VERSION.changed_us + 5_000_000) == MODIFIED
    assert http_cache.last_modified(FeedVersionRow(0, 0), VERSION.changed_us) is None


def test_the_memory_store_keeps_the_most_recently_used_pages():
    pages = feed_cache.MemoryPages(entries=2)
    pages.put("a", b"1")
    pages.put("b", b"2")
    assert pages.get("a") == b"1"
    pages.put("c", b"3")
    assert (pages.get("a"), pages.get("b"), pages.get("c")) == (b"1", None, b"3")
