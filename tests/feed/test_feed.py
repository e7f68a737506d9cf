"""The published feed, CORS, the demo article page and the health probes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from comment_helpers import PUBLISH_ALL, good_form

from service.decisions.policy import Decision
from service.storage.store import Candidate
from service.storage.tables import utcnow


def add(app, text, status="published", post_id="demo", parent_id=None, minutes_ago=0,
        author="Ann"):
    outcome = app.extensions["store"].enqueue(
        Candidate(post_id=post_id, author=author, email="a@example.org", email_hash="h",
                  text=text, ip_hash="i", parent_id=parent_id, scores={"spam": 0, "abuse": 0}),
        lambda history: Decision(status, (), status), duplicate_window=0, rate=None,
        now=utcnow() - timedelta(minutes=minutes_ago))
    return outcome.comment.id


def test_feed_is_threaded_oldest_first_and_published_only(app, client):
    first = add(app, "first", minutes_ago=10)
    second = add(app, "second", minutes_ago=9)
    reply = add(app, "reply to first", parent_id=first, minutes_ago=8)
    add(app, "reply to reply", parent_id=reply, minutes_ago=7)
    add(app, "held reply", "pending", parent_id=first, minutes_ago=6)
    add(app, "rejected", "rejected", minutes_ago=5)
    add(app, "other article", post_id="other")
    body = client.get("/api/articles/demo/comments").get_json()
    assert body["total"] == 2 and body["pages"] == 1
    assert [c["text"] for c in body["comments"]] == ["first", "second"]
    replies = body["comments"][0]["replies"]
    assert [(c["text"], c["parent_id"]) for c in replies] == [("reply to first", first)]
    assert [c["text"] for c in replies[0]["replies"]] == ["reply to reply"]
    assert body["comments"][1]["id"] == second and body["comments"][1]["replies"] == []
    assert "email" not in body["comments"][0]  # never published


def test_feed_escapes_html(app, client):
    add(app, '<script>alert("x")</script> & <b>bold</b>', author="<i>Eve</i>")
    comment = client.get("/api/articles/demo/comments").get_json()["comments"][0]
    assert comment["text"] == \
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert comment["author"] == "&lt;i&gt;Eve&lt;/i&gt;"


def test_feed_is_paginated_by_thread(app, client):
    ids = [add(app, f"c{n}", minutes_ago=20 - n) for n in range(5)]
    add(app, "reply", parent_id=ids[2], minutes_ago=1)
    page2 = client.get("/api/articles/demo/comments?page=2&per_page=2").get_json()
    assert (page2["page"], page2["per_page"], page2["pages"], page2["total"]) == (2, 2, 3, 5)
    assert [c["text"] for c in page2["comments"]] == ["c2", "c3"]
    assert page2["comments"][0]["replies"][0]["text"] == "reply"
    page3 = client.get("/api/articles/demo/comments?page=3&per_page=2").get_json()
    assert [c["text"] for c in page3["comments"]] == ["c4"]
    beyond = client.get("/api/articles/demo/comments?page=9&per_page=2").get_json()
    assert beyond["comments"] == []


# Whole numbers in ASCII digits, as the description's integers: not Arabic-Indic digits or a
# superscript (str.isdigit() takes both), and not present but empty.
@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=201", "page=-1",
                                   "page=\u0661\u0662", "page=\u00b2", "page=", "per_page=",
                                   "page=1.0"])
def test_bad_page_parameters_get_400(client, query):
    response = client.get(f"/api/articles/demo/comments?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_page"


def test_feed_on_both_stores(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url)
    root = add(app, "root", minutes_ago=2)
    add(app, "child", parent_id=root, minutes_ago=1)
    body = app.test_client().get("/api/articles/demo/comments").get_json()
    assert body["comments"][0]["replies"][0]["text"] == "child"


def test_cors_for_the_sites_origin_only(make_app):
    client = make_app(MODERATION_CORS_ORIGINS="https://news.example").test_client()
    allowed = client.get("/api/articles/demo/comments", headers={"Origin": "https://news.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/articles/demo/comments", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/api/comments", headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    posted = client.post("/api/comments", json=good_form(),
                         headers={"Origin": "https://news.example"})
    assert posted.headers["Access-Control-Allow-Origin"] == "https://news.example"


def test_cors_wildcard(make_app):
    client = make_app(MODERATION_CORS_ORIGINS="*").test_client()
    response = client.get("/api/articles/demo/comments", headers={"Origin": "https://any.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_demo_page_has_the_sites_form_and_published_comments(app, client):
    add(app, "A published <thought>", minutes_ago=2)
    add(app, "A held one", "pending", minutes_ago=1)
    html = client.get("/").get_data(as_text=True)
    for name in ("comment", "author", "email", "url", "comment_post_ID", "comment_parent",
                 "email_confirm", "rendered_at"):
        assert f'name="{name}"' in html
    assert 'action="/comments"' in html and "Leave a reply" in html
    assert "A published &lt;thought&gt;" in html and "A held one" not in html
    assert "1 comment<" in html


def test_demo_page_reply_link_sets_the_parent(app, client):
    parent = add(app, "Parent")
    html = client.get(f"/?replytocom={parent}").get_data(as_text=True)
    assert f'name="comment_parent" value="{parent}"' in html


def test_whole_flow_form_to_feed(make_app):
    client = make_app(**PUBLISH_ALL).test_client()
    response = client.post("/comments", data=good_form(comment="Lit at last!"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lit at last!" in page
    feed = client.get("/api/articles/demo/comments").get_json()
    assert feed["comments"][0]["text"] == "Lit at last!"


# -- health ---------------------------------------------------------------------------------------

def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_model_and_database(client, scorer):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"] == {"model": "ok", "database": "ok"}
    assert body["model_version"] == scorer.version


def test_readyz_fails_without_schema_or_database(make_app, tmp_path):
    unmigrated = make_app(MODERATION_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = unmigrated.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"].startswith("unreachable")
    unreachable = make_app(MODERATION_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert unreachable.test_client().get("/readyz").status_code == 503
    # Liveness is about the process only.
    assert unreachable.test_client().get("/healthz").status_code == 200


def test_unknown_paths_get_json_under_api_and_html_elsewhere(client):
    assert client.get("/api/nothing").get_json()["error"]["code"] == "not_found"
    assert b"Not Found" in client.get("/nothing").data



def test_model_path_setting_chooses_the_artifact(make_app, scorer):
    # SCORER=None: this app loads the artifact itself, once, from the configured path.
    app = make_app(SCORER=None, MODERATION_MODEL_PATH=str(scorer.path))
    holder = app.extensions["scorer"]
    assert holder.scorer is not scorer and holder.scorer.version == scorer.version
    body = app.test_client().get("/readyz").get_json()
    assert body["model_version"] == scorer.version and body["status"] == "ready"
