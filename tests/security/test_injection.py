"""SQL injection and XSS attempts (tests/security/injection_payloads.json, over 100 of them)
against every input: the intake's form and JSON fields, the feed, the demo page, the review
page's search and the login form. Each is stored and shown as plain text, or refused with a
clear 4xx; nothing runs, nothing in the database changes but the new comment."""

from __future__ import annotations

import json
import re
from html import escape as feed_escape
from pathlib import Path

import pytest
from markupsafe import escape as html_escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comment_helpers import PUBLISH_ALL
from security_helpers import PASSWORD, add_moderator, csrf_token, login
from service.review.auth import hash_password
from service.intake.submission import clean_text
from service.storage.tables import AuditEntry, Comment, Moderator

CORPUS = json.loads((Path(__file__).with_name("injection_payloads.json")).read_text())
PAYLOADS = CORPUS["xss"] + CORPUS["sql"] + CORPUS["other"]
# Characters that would open markup or leave an attribute; "&" alone is left out, as the raw
# form of "&lt;b&gt;" is also the escaped form of "<b>".
SPECIAL = set("<>\"'")


def assert_shown_as_text(page: str, value: str) -> None:
    """`value` is on the page escaped, and nowhere raw where escaping would change it."""
    assert str(html_escape(value)) in page, value
    if SPECIAL & set(value):
        assert value not in page, value


def test_the_corpus_is_big_enough():
    assert len(CORPUS["xss"]) >= 50 and len(CORPUS["sql"]) >= 30 and len(PAYLOADS) >= 100
    assert len(set(PAYLOADS)) == len(PAYLOADS)


def _comment_id(response) -> int | None:
    """The stored comment's id from a 201 (JSON) or a 303 (form), else None (refused)."""
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    assert response.status_code in {201, 303, 400}, response.status_code
    if response.status_code == 201:
        return response.get_json()["id"]
    if response.status_code == 303:
        location = response.headers["Location"]
        assert not location.lower().startswith(("javascript:", "data:")), location
        found = re.search(r"(?:#comment-|unapproved=)(\d+)", location)
        return int(found.group(1))
    return None


def _submissions(n: int, payload: str) -> list[tuple[str, dict, dict]]:
    """(how, fields, what must be stored) for the payload in each input of the comment form."""
    url = payload.strip() if "://" in payload else f"http://{payload.strip()}"
    return [
        ("form", {"comment": payload, "author": f"Reader {n}", "email": f"r{n}@example.org",
                  "comment_post_ID": "demo"}, {"text": clean_text(payload)}),
        ("json", {"comment": f"Name {n}", "author": payload, "email": f"a{n}@example.org",
                  "comment_post_ID": "names"}, {"author": payload.strip()}),
        ("json", {"comment": f"Link {n}", "author": "Link", "email": f"l{n}@example.org",
                  "url": payload, "comment_post_ID": "links"}, {"url": url}),
        ("form", {"comment": f"Mail {n}", "author": "Mail", "email": payload,
                  "comment_post_ID": "mail"}, {"email": payload.strip()}),
        ("json", {"comment": f"Mail2 {n}", "author": "Mail", "email": f"{payload}@example.org",
                  "comment_post_ID": "mail"}, {"email": f"{payload}@example.org".strip()}),
        ("form", {"comment": f"Where {n}", "author": "Where", "email": f"w{n}@example.org",
                  "comment_post_ID": payload, "comment_parent": payload, "permalink": payload},
         {"post_id": payload.strip()}),
    ]


@pytest.fixture
def attacked(make_app, db_url):
    """An app on each store after every payload went into every intake field; yields the app,
    the logged-in moderator's client and {comment id: what must be stored}."""
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_QUEUE_PAGE_SIZE="1000",
                   MODERATION_LOGIN_FREE_FAILURES="100000", **PUBLISH_ALL)
    add_moderator(app, "ann", hash_password(PASSWORD))
    client = app.test_client()
    expected: dict[int, dict] = {}
    for n, payload in enumerate(PAYLOADS):
        for how, fields, stored in _submissions(n, payload):
            fields = {"url": "", "comment_parent": "0", **fields}
            response = (client.post("/api/comments", json=fields) if how == "json"
                        else client.post("/comments", data=fields))
            comment_id = _comment_id(response)
            if comment_id is not None:
                expected[comment_id] = stored
            elif how == "form":
                # Refused: the form comes back with what was typed, escaped, never as markup.
                page = response.get_data(as_text=True)
                if "\x00" not in payload:
                    assert_shown_as_text(page, clean_text(fields["comment"]))
                    assert_shown_as_text(page, fields["email"].strip())
    moderator = app.test_client()
    assert login(moderator, "ann").status_code == 302
    return app, moderator, expected


def check_stored_exactly_as_typed(attacked):
    app, _, expected = attacked
    # Each payload went into the comment text and the name at least.
    assert len(expected) >= 2 * len(PAYLOADS)
    with Session(app.extensions["store"].engine) as session:
        stored = {c.id: c for c in session.scalars(select(Comment))}
        # Nothing dropped, updated or added behind intake's back.
        assert session.scalar(select(func.count()).select_from(Moderator)) == 1
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    assert set(stored) == set(expected)
    for comment_id, fields in expected.items():
        for name, value in fields.items():
            assert getattr(stored[comment_id], name) == value, (name, value)
        assert stored[comment_id].status == "published"


def check_feed_escapes_them(attacked):
    app, _, expected = attacked
    client = app.test_client()
    seen = {}
    for post_id in ("demo", "names", "links"):
        body = client.get(f"/api/articles/{post_id}/comments?per_page=200").get_json()
        assert body["pages"] == 1
        seen.update({c["id"]: c for c in body["comments"]})
    for comment_id, fields in expected.items():
        if "text" in fields:
            assert seen[comment_id]["text"] == feed_escape(fields["text"])
        if "author" in fields:
            assert seen[comment_id]["author"] == feed_escape(fields["author"])
        if "url" in fields:
            assert seen[comment_id]["url"] == feed_escape(fields["url"])


@pytest.mark.parametrize("payload", PAYLOADS[:40] + CORPUS["sql"][:10])
def test_payloads_in_the_feed_url_are_plain_values(client, payload):
    response = client.get("/api/articles/x/comments", query_string={"page": payload})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_page"
    response = client.get(f"/api/articles/{payload.replace('/', '%2F')}/comments")
    assert response.status_code in {200, 404}
    if response.status_code == 200:
        assert response.get_json()["comments"] == []


def check_demo_page_shows_them_as_text(attacked):
    app, _, expected = attacked
    page = app.test_client().get("/").get_data(as_text=True)
    assert "<script" not in page  # the demo page has no script of its own
    texts = [fields["text"] for fields in expected.values() if "text" in fields]
    assert len(texts) >= len(PAYLOADS) - 1  # only the one with a NUL is refused
    for text in texts:
        assert_shown_as_text(page, text)


def check_review_search_takes_them_literally(attacked):
    app, moderator, expected = attacked
    for payload in PAYLOADS:
        query = payload.strip()[:200]
        response = moderator.get("/review/", query_string={"status": "approved", "q": query})
        if "\x00" in payload:
            assert response.status_code in {200, 400}
            continue
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count("<script") == 1  # the page's own queue.js, nothing injected
        assert_shown_as_text(page, query)  # in the search box
        found = {int(i) for i in re.findall(r'id="c(\d+)"', page)}
        with Session(app.extensions["store"].engine) as session:
            rows = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(found)))}
        # Every hit holds the words literally (SQL wildcards % and _ match only themselves)...
        for row in rows.values():
            assert query.casefold() in (row.text + " " + row.author).casefold() or \
                query.casefold() in row.author.casefold(), (query, row.text, row.author)
        # ...and the comments that hold them are found.
        holders = [cid for cid, fields in expected.items()
                   if query and query in fields.get("text", "") + fields.get("author", "")]
        if query.isascii():
            assert set(holders) <= found, query


def check_login_form_shows_them_as_text(attacked):
    app, _, _ = attacked
    client = app.test_client()
    for payload in PAYLOADS:
        response = client.post("/auth/login", data={"name": payload, "password": payload,
                                                    "csrf_token": csrf_token(client)})
        assert response.status_code in {401, 400}, (payload, response.status_code)
        page = response.get_data(as_text=True)
        assert page.count("<script") == 0, payload
        if response.status_code == 401:
            assert f'value="{html_escape(payload.strip())}"' in page
            assert_shown_as_text(page, payload.strip())
    with Session(app.extensions["store"].engine) as session:
        assert [m.name for m in session.scalars(select(Moderator))] == ["ann"]


def test_every_payload_in_every_input_is_stored_and_shown_as_plain_text(attacked):
    """One attack per store, then every place the payloads can show up (building the attacked
    database costs more than all the checks together)."""
    check_stored_exactly_as_typed(attacked)
    check_feed_escapes_them(attacked)
    check_demo_page_shows_them_as_text(attacked)
    check_review_search_takes_them_literally(attacked)
    check_login_form_shows_them_as_text(attacked)


def test_nul_characters_in_a_search_or_a_login_are_a_clear_400(make_app, db_url):
    # PostgreSQL text cannot hold a NUL; before the guard this was a database error (500).
    app = make_app(MODERATION_DATABASE_URL=db_url)
    add_moderator(app, "ann", hash_password(PASSWORD))
    moderator = app.test_client()
    assert login(moderator, "ann").status_code == 302
    search = moderator.get("/review/", query_string={"q": "bridge\x00"})
    assert search.status_code == 400 and b"NUL characters" in search.data
    visitor = app.test_client()
    refused = visitor.post("/auth/login", data={"name": "ann\x00", "password": "x",
                                                "csrf_token": csrf_token(visitor)})
    assert refused.status_code == 400 and b"NUL characters" in refused.data
