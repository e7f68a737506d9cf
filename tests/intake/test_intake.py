"""Comment intake over HTTP: the site's form (PRG), JSON, validation, limits and bot defences.

These use the real classifier. Where a test needs a particular outcome it sets the thresholds
rather than relying on what the model thinks of a sentence: 1.0 publishes (hold at >= 1.0),
0.0 holds or rejects everything.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import select

from service.intake import bots
from service.privacy.keys import email_hash, ip_hash
from service.readers import notices
from service.intake.submission import MESSAGES
from service.storage.tables import Comment

from comment_helpers import (HOLD_ALL, PUBLISH_ALL, REJECT_ALL, all_comments,
                             flood_with_form_posts, good_form, only_comment, post_chunked)


def test_form_post_published_redirects_to_the_comment_anchor(make_app, scorer):
    app = make_app(**PUBLISH_ALL)
    response = app.test_client().post("/comments", data=good_form(), headers={
        "User-Agent": "Mozilla/5.0 test"})
    assert response.status_code == 303
    comment = only_comment(app)
    assert response.headers["Location"] == f"/#comment-{comment.id}"
    assert comment.status == "published" and comment.reasons == []
    assert (comment.post_id, comment.author, comment.email, comment.text) == (
        "demo", "Ann Reader", "ann@example.org", "Glad the bridge is open again.")
    expected = scorer.score(comment.text)
    assert comment.spam_score == pytest.approx(expected["spam"])
    assert comment.abuse_score == pytest.approx(expected["abuse"])
    assert comment.model_version == scorer.version
    assert comment.user_agent == "Mozilla/5.0 test"


def test_client_ip_is_stored_only_as_a_keyed_hash(make_app):
    app = make_app()
    app.test_client().post("/comments", data=good_form(),
                           environ_base={"REMOTE_ADDR": "203.0.113.77"})
    comment = only_comment(app)
    assert comment.ip_hash == ip_hash("test-ip-key", "203.0.113.77")
    assert comment.email_hash == email_hash("test-email-key", "ANN@example.org ")
    row = {c.name: getattr(comment, c.name) for c in Comment.__table__.columns}
    assert not any("203.0.113.77" in str(value) for value in row.values())


def test_held_comment_redirects_with_the_awaiting_moderation_marker(make_app):
    app = make_app(**HOLD_ALL)
    client = app.test_client()
    response = client.post("/comments", data=good_form())
    comment = only_comment(app)
    assert comment.status == "pending" and comment.reasons[0].startswith("spam_score>=")
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 303 and location.path == "/"
    query = parse_qs(location.query)
    assert query == {"unapproved": [str(comment.id)], "moderation": ["awaiting"],
                     "status_token": query["status_token"]}
    # The commenter's private status link (tests/readers/test_status.py).
    assert notices.comment_for(app.config["SECRET_KEY"], query["status_token"][0]) == comment.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your comment is awaiting moderation" in page
    assert "Glad the bridge is open again." not in page


def test_blatant_spam_is_rejected_but_kept_and_told_as_awaiting(make_app):
    app = make_app(**REJECT_ALL)
    response = app.test_client().post("/comments", data=good_form())
    comment = only_comment(app)
    assert comment.status == "rejected" and comment.reasons == ["spam_score>=0"]
    assert "moderation=awaiting" in response.headers["Location"]


def test_json_api_answers_201_with_scores_and_reasons(make_app, scorer):
    app = make_app(**HOLD_ALL)
    response = app.test_client().post("/api/comments", json=good_form())
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "status", "scores", "reasons", "language", "status_url"}
    assert body["status"] == "pending" and body["reasons"] == ["spam_score>=0"]
    assert body["language"] == "en"
    expected = scorer.score("Glad the bridge is open again.")
    assert body["scores"] == pytest.approx(expected)
    assert only_comment(app).id == body["id"]


def test_form_endpoint_answers_json_when_asked(client):
    response = client.post("/comments", data=good_form(), headers={"Accept": "application/json"})
    assert response.status_code == 201
    assert response.get_json()["status"] in {"published", "pending", "rejected"}


def test_numbers_in_json_are_accepted_as_field_values(client):
    response = client.post("/api/comments", json=good_form(comment_post_ID=42,
                                                           comment_parent=0))
    assert response.status_code == 201


def test_a_whole_number_written_with_a_point_is_that_number(make_app):
    # JSON has one kind of number, and JSON Schema's integer includes 60.0 (schemathesis sends it).
    app = make_app()
    response = app.test_client().post("/api/comments", json=good_form(comment_post_ID=60.0,
                                                                      comment_parent=0.0))
    assert response.status_code == 201
    assert [c.post_id for c in all_comments(app)] == ["60"]


@pytest.mark.parametrize("field, value", [
    ("comment_post_ID", -1), ("comment_post_ID", 1.5), ("comment_parent", -3),
    ("comment_parent", 2.5),  # the description: whole numbers from 0
    ("comment_post_ID", "\u0661\u0662"), ("comment_post_ID", "caf\u00e9"),  # ASCII only
    ("comment_post_ID", "")])
def test_article_and_parent_ids_outside_the_description_are_refused(make_app, field, value):
    app = make_app()
    response = app.test_client().post("/api/comments", json=good_form(**{field: value}))
    assert response.status_code == 400
    assert all_comments(app) == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["comment", "comment_post_ID"])
def test_json_nan_and_infinity_are_refused_not_stored_as_text(make_app, number, field):
    # Python's JSON reader takes these (RFC 8259 has no such numbers) and they were stored as
    # the text "nan" or "inf".
    app = make_app()
    body = json.dumps(good_form(**{field: "__number__"})).replace('"__number__"', number)
    response = app.test_client().post("/api/comments", data=body,
                                      content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert all_comments(app) == []


def test_multipart_form_and_extra_fields_are_accepted(make_app):
    app = make_app()
    data = good_form(submit="Post Comment", **{"wp-comment-cookies-consent": "yes",
                                               "akismet_comment_nonce": "abc", "ak_js": "1"})
    response = app.test_client().post("/comments", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert only_comment(app).text == "Glad the bridge is open again."


def test_site_form_without_timestamp_or_permalink_goes_back_to_the_referer(make_app):
    app = make_app(MODERATION_CORS_ORIGINS="https://news.example", **PUBLISH_ALL)
    client = app.test_client()
    response = client.post("/comments", data=good_form(comment_post_ID="1234"),
                           headers={"Referer": "https://news.example/2026/bridge?utm=x"})
    comment = only_comment(app)
    assert response.headers["Location"] == \
        f"https://news.example/2026/bridge?utm=x#comment-{comment.id}"
    assert comment.permalink == "https://news.example/2026/bridge?utm=x"


@pytest.mark.parametrize("permalink, expected", [
    ("/articles/bridge", "/articles/bridge"),
    ("https://news.example/bridge", "https://news.example/bridge"),
    ("https://evil.example/phish", "/"),  # no open redirect
    ("//evil.example/phish", "/"),
    ("javascript:alert(1)", "/"),
    # What a browser reads as another host: backslashes are slashes, tabs and newlines vanish.
    ("/\\evil.example/phish", "/"),
    ("\\\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    (" //evil.example", "/"),
    # ...so this one stays on the site: the browser reads the host as news.example.
    ("https://news.example\\@evil.example/", "https://news.example/@evil.example/"),
])
def test_permalink_is_the_return_address_only_for_known_origins(make_app, permalink, expected):
    app = make_app(MODERATION_CORS_ORIGINS="https://news.example", **PUBLISH_ALL)
    response = app.test_client().post("/comments", data=good_form(permalink=permalink))
    assert response.headers["Location"] == f"{expected}#comment-{only_comment(app).id}"


# -- validation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, code", [
    ({"comment": "   \r\n  "}, "comment_required"),
    # Characters that show nothing: zero-width, format and bidi marks, a soft hyphen, a
    # combining grapheme joiner, a Hangul filler, a tag character, a braille blank.
    ({"comment": "\u200b\u200c\u200d\u2060\ufeff"}, "comment_required"),
    ({"comment": " \u00ad\u034f\u3164\u200e\u202e \U000e0041\u2800 "}, "comment_required"),
    ({"author": "\u200b\u3164"}, "author_required"),
    ({"author": ""}, "author_required"),
    ({"email": ""}, "email_required"),
    ({"email": "   "}, "email_required"),
    ({"email": "ann.example.org"}, "email_invalid"),
    ({"email": "ann@localhost"}, "email_invalid"),
    ({"comment": "x" * 10_001}, "comment_too_long"),
    ({"author": "A" * 246}, "author_too_long"),
    ({"email": "a" * 89 + "@example.org"}, "email_too_long"),
    ({"url": "http://example.org/" + "p" * 182}, "url_too_long"),
    ({"url": "javascript:alert(1)"}, "url_invalid"),
    ({"comment_post_ID": ""}, "post_invalid"),
    ({"comment_parent": "abc"}, "parent_invalid"),
])
def test_validation_errors_keep_what_the_reader_typed(make_app, overrides, code):
    app = make_app()
    client = app.test_client()
    fields = good_form(**overrides)
    page = client.post("/comments", data=fields)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert _unescape(MESSAGES[code]) in _unescape(html)
    assert f">{fields['comment'].strip()[:50]}" in html.replace("\r\n", "\n") \
        or code == "comment_required"
    assert f'value="{fields["author"][:30]}' in html
    as_json = client.post("/api/comments", json=fields)
    assert as_json.status_code == 400
    assert as_json.get_json()["error"]["code"] == code
    assert as_json.get_json()["error"]["message"] == MESSAGES[code]
    assert all_comments(app) == []


def test_a_reply_to_a_comment_no_longer_there_is_a_conflict_that_keeps_the_text(make_app):
    # Well-formed, so not a 400: the thread's state refuses it (409), as service/openapi.json says.
    app = make_app()
    client = app.test_client()
    fields = good_form(comment_parent="999")
    page = client.post("/comments", data=fields)
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert _unescape(MESSAGES["parent_invalid"]) in _unescape(html)
    assert f">{fields['comment'][:50]}" in html
    as_json = client.post("/api/comments", json=fields)
    assert as_json.status_code == 409
    assert as_json.get_json()["error"]["code"] == "parent_invalid"
    assert all_comments(app) == []


@pytest.mark.parametrize("text", ["\U0001f469\u200d\U0001f4bb", "\u0915\u094d\u200d",
                                  "\u200bok\u200b", "\u2764\ufe0f"])
def test_text_with_something_visible_among_invisible_characters_is_kept_as_sent(make_app,
                                                                                text):
    app = make_app(**PUBLISH_ALL)
    assert app.test_client().post("/comments", data=good_form(comment=text)).status_code == 303
    assert only_comment(app).text == text


def test_the_sites_own_messages_are_used():
    assert MESSAGES["comment_required"] == "Please enter your comment!"
    assert MESSAGES["author_required"] == "Please enter your name here"
    assert MESSAGES["email_required"] == "Please enter your email address here"
    assert MESSAGES["email_invalid"] == "You have entered an incorrect email address!"


def test_every_error_is_reported_at_once(client):
    body = client.post("/api/comments", json={"comment_post_ID": "demo"}).get_json()
    assert [e["code"] for e in body["errors"]] == [
        "comment_required", "author_required", "email_required"]


@pytest.mark.parametrize("field, value, stored", [
    ("comment", "  " + "x" * 10_000 + "\n", "x" * 10_000),  # 10,000 after trimming
    # 15,000 characters sent, but a textarea's CRLF is one line break: 9,999 kept.
    ("comment", "x\r\n" * 5000, ("x\n" * 5000).strip()),
    ("author", "A" * 245, "A" * 245),
    ("email", "a" * 88 + "@example.org", "a" * 88 + "@example.org"),
    ("url", "http://example.org/" + "p" * 181, "http://example.org/" + "p" * 181),
    ("url", "example.org", "http://example.org"),  # scheme added, as WordPress does
])
def test_limits_are_inclusive(make_app, field, value, stored):
    app = make_app()
    response = app.test_client().post("/api/comments", json=good_form(**{field: value}))
    assert response.status_code == 201, response.get_json()
    assert getattr(only_comment(app), "text" if field == "comment" else field) == stored


def test_url_without_scheme_is_stored_with_one(make_app):
    app = make_app()
    app.test_client().post("/comments", data=good_form(url="ann.example"))
    assert only_comment(app).url == "http://ann.example"


def test_body_over_64_kib_gets_413(client):
    big = good_form(comment="x" * (64 * 1024))
    assert client.post("/comments", data=big).status_code == 413
    response = client.post("/api/comments", json=big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def _over_64_kib(framing: str) -> tuple[bytes, str]:
    # The comment last, so a body cut at the limit still reads as a complete, valid form.
    fields = {**good_form(comment=""), "filler": "f" * 60_000}
    fields.pop("comment")
    fields["comment"] = "The end of this comment must not be lost. " * 200
    if framing == "form":
        return urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if framing == "json":
        return json.dumps(fields).encode(), "application/json"
    boundary = "b0undary"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n" for name, value in fields.items())
    return f"{parts}--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("framing", ["form", "json", "multipart"])
@pytest.mark.parametrize("path", ["/comments", "/api/comments"])
def test_a_chunked_body_over_64_kib_gets_413_and_nothing_is_stored(make_app, framing, path):
    # Without Content-Length, Werkzeug used to stop reading at the limit as if the body ended
    # there: the form was stored cut short and answered 303, the JSON refused as malformed.
    app = make_app(**PUBLISH_ALL)
    body, content_type = _over_64_kib(framing)
    assert len(body) > 64 * 1024
    response = post_chunked(app.test_client(), path, body, content_type,
                            headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert all_comments(app) == []


@pytest.mark.parametrize("framing", ["form", "json", "multipart"])
def test_a_chunked_body_under_the_limit_is_stored_as_sent(make_app, framing):
    app = make_app(**PUBLISH_ALL)
    body, content_type = _over_64_kib(framing)
    text = "The end of this comment must not be lost. " * 200
    body = body.replace(b"f" * 60_000, b"f")
    response = post_chunked(app.test_client(), "/api/comments", body, content_type)
    assert response.status_code == 201
    assert only_comment(app).text == text.strip()


@pytest.mark.parametrize("body, content_type", [
    (b"comment=%FF%FEcaf%E9&author=Ann&email=a%40b.org&comment_post_ID=demo",
     "application/x-www-form-urlencoded"),
    ("comment=caf\u00e9".encode("latin-1"), "application/x-www-form-urlencoded"),
    (b'{"comment": "caf\xe9", "author": "Ann"}', "application/json"),
    (b'{"comment": ', "application/json"),
    (b'["not", "an", "object"]', "application/json"),
    (b'{"comment": ["a", "list"]}', "application/json"),
    (b"comment=a%00b&author=Ann&email=a%40b.org&comment_post_ID=demo",
     "application/x-www-form-urlencoded"),
    (b'--B\r\nContent-Disposition: form-data; name="comment"\r\n\r\ncaf\xe9\r\n--B--\r\n',
     "multipart/form-data; boundary=B"),
])
def test_bad_encoding_gets_400(make_app, body, content_type):
    app = make_app()
    response = app.test_client().post("/comments", data=body, content_type=content_type,
                                      headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert all_comments(app) == []


def test_utf8_text_round_trips(make_app):
    app = make_app()
    text = "Schön, dass die Brücke wieder offen ist 👍 — «merci»"
    app.test_client().post("/comments", data=good_form(comment=text))
    assert only_comment(app).text == text


def test_other_content_types_get_415(client):
    response = client.post("/api/comments", data="hello", content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


# -- bots -----------------------------------------------------------------------------------------

def test_honeypot_refuses_and_keeps_the_text(make_app):
    app = make_app()
    client = app.test_client()
    page = client.post("/comments", data=good_form(**{bots.HONEYPOT_FIELD: "bot@spam.example"}))
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "leave this empty" in html and "Glad the bridge is open again." in html
    as_json = client.post("/api/comments", json=good_form(**{bots.HONEYPOT_FIELD: "x"}))
    assert as_json.get_json()["error"]["code"] == "honeypot"
    assert all_comments(app) == []


def _demo_timestamp(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'name="rendered_at" value="([^"]+)"', html).group(1)


def test_demo_form_sent_too_quickly_is_refused_then_accepted(make_app):
    app = make_app(MODERATION_MIN_SUBMIT_SECONDS="1")
    client = app.test_client()
    token = _demo_timestamp(client)
    page = client.post("/comments", data=good_form(rendered_at=token))
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "That was quick!" in html and "Glad the bridge is open again." in html
    assert all_comments(app) == []
    time.sleep(1.1)  # the reader reads it over and sends again
    assert client.post("/comments", data=good_form(rendered_at=token)).status_code == 303
    assert len(all_comments(app)) == 1


@pytest.mark.parametrize("tamper", ["forged", "other-article"])
def test_forged_or_moved_timestamps_are_refused(make_app, tamper):
    app = make_app()
    client = app.test_client()
    token = _demo_timestamp(client)
    fields = good_form(rendered_at=token[:-2] + "xx") if tamper == "forged" else \
        good_form(rendered_at=token, comment_post_ID="another")
    response = client.post("/api/comments", json=fields)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_timestamp"


def test_timestamp_check_uses_elapsed_time():
    token = bots.form_timestamp("k", "demo")
    fields = {"rendered_at": token, "comment_post_ID": "demo"}
    assert bots.check(fields, "k", 3).code == "too_quick"
    assert bots.check(fields, "k", 3, now=time.time() + 4) is None
    assert bots.check({"comment_post_ID": "demo"}, "k", 3) is None  # the site's own form
    assert bots.check(fields, "other-key", 3).code == "bad_timestamp"


# -- duplicates and flood -------------------------------------------------------------------------

def test_identical_comment_is_answered_with_the_first_and_stored_once(make_app):
    app = make_app(**PUBLISH_ALL)
    client = app.test_client()
    first = client.post("/comments", data=good_form())
    second = client.post("/comments", data=good_form(email="other@example.org"))
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    again = client.post("/api/comments", json=good_form())
    assert again.status_code == 409
    body = again.get_json()
    assert body["error"]["code"] == "duplicate"
    assert body["id"] == only_comment(app).id and body["status"] == "published"
    # The same words from someone else, or on another article, are new comments.
    client.post("/comments", data=good_form(author="Bob"))
    client.post("/comments", data=good_form(comment_post_ID="other"))
    assert len(all_comments(app)) == 3


def test_flood_gets_429_with_retry_after(make_app):
    app = make_app(MODERATION_RATE_LIMIT="2/minute")
    client = app.test_client()
    flood_with_form_posts(client)
    as_json = client.post("/api/comments", json=good_form(comment="Point 4"))
    assert as_json.status_code == 429 and as_json.get_json()["error"]["code"] == "flood"
    assert len(all_comments(app)) == 2


def test_flood_limit_holds_across_workers_and_matches_ip_or_email(make_app, sqlite_url):
    # Two apps on one database stand for two gunicorn workers (or two hosts).
    worker_a = make_app(MODERATION_RATE_LIMIT="2/minute").test_client()
    worker_b = make_app(MODERATION_RATE_LIMIT="2/minute").test_client()
    home = {"REMOTE_ADDR": "198.51.100.1"}
    elsewhere = {"REMOTE_ADDR": "198.51.100.2"}
    assert worker_a.post("/comments", data=good_form(comment="a"),
                         environ_base=home).status_code == 303
    assert worker_b.post("/comments", data=good_form(comment="b"),
                         environ_base=home).status_code == 303
    # Same e-mail from another address: still the same commenter.
    assert worker_a.post("/comments", data=good_form(comment="c"),
                         environ_base=elsewhere).status_code == 429
    # Same address, another e-mail: still limited by the IP.
    assert worker_b.post("/comments", data=good_form(comment="d", email="x@example.org"),
                         environ_base=home).status_code == 429
    # Someone else entirely is not affected.
    assert worker_b.post("/comments", data=good_form(comment="e", email="x@example.org"),
                         environ_base=elsewhere).status_code == 303


def test_rate_limit_off_disables_flood_control(make_app):
    app = make_app(MODERATION_RATE_LIMIT="off")
    client = app.test_client()
    statuses = {client.post("/comments", data=good_form(comment=f"n{n}")).status_code
                for n in range(8)}
    assert statuses == {303}


# -- replies and policy settings ------------------------------------------------------------------

def test_reply_joins_the_thread_of_a_published_comment(make_app):
    app = make_app(**PUBLISH_ALL)
    client = app.test_client()
    parent = client.post("/api/comments", json=good_form()).get_json()["id"]
    reply = client.post("/api/comments", json=good_form(comment="Agreed.",
                                                        comment_parent=str(parent)))
    assert reply.status_code == 201
    stored = [c for c in all_comments(app) if c.text == "Agreed."][0]
    assert (stored.parent_id, stored.root_id) == (parent, parent)


@pytest.mark.parametrize("settings, text, status, reason", [
    ({"MODERATION_BLOCKED_TERMS": "casino bonus, scam"}, "Best CASINO bonus here",
     "rejected", "blocked_term:casino bonus"),
    ({"MODERATION_WATCHED_TERMS": "lawsuit"}, "Is a lawsuit coming?", "pending",
     "watched_term:lawsuit"),
    ({"MODERATION_MAX_LINKS": "1"}, "See http://a.example and http://b.example", "pending",
     "links>1"),
])
def test_rules_from_configuration(make_app, settings, text, status, reason):
    app = make_app(**PUBLISH_ALL, **settings)
    body = app.test_client().post("/api/comments", json=good_form(comment=text)).get_json()
    assert body["status"] == status and reason in body["reasons"]


def test_log_only_mode_publishes_but_records_the_policy_decision(make_app):
    app = make_app(MODERATION_LOG_ONLY="true", **REJECT_ALL)
    body = app.test_client().post("/api/comments", json=good_form()).get_json()
    assert body["status"] == "published"
    assert body["reasons"] == ["spam_score>=0", "log_only"]
    assert only_comment(app).policy_status == "rejected"


def test_commenter_with_approved_comments_is_trusted(make_app):
    # Hold at >= 0 for strangers; trust raises that by the boost (0.15 -> 0.15 + 0, capped).
    app = make_app(MODERATION_SPAM_HOLD="0", MODERATION_SPAM_REJECT="1",
                   MODERATION_ABUSE_HOLD="1", MODERATION_ABUSE_REJECT="1",
                   MODERATION_TRUSTED_AFTER="2", MODERATION_TRUSTED_HOLD_BOOST="1")
    client = app.test_client()
    store = app.extensions["store"]
    for n in range(2):
        held = client.post("/api/comments", json=good_form(comment=f"c{n}")).get_json()
        assert held["status"] == "pending"
        store.decide(held["id"], "editor", "published")
    trusted = client.post("/api/comments", json=good_form(comment="third")).get_json()
    assert trusted["status"] == "published"
    assert trusted["reasons"] == ["trusted:approved>=2"]
    # Matched on the e-mail (any case), not the name.
    stranger = client.post("/api/comments", json=good_form(comment="fourth",
                                                           email="new@example.org")).get_json()
    assert stranger["status"] == "pending"
    same = client.post("/api/comments", json=good_form(comment="fifth", author="Ann R.",
                                                       email="ANN@EXAMPLE.ORG")).get_json()
    assert same["status"] == "published"


def test_without_a_classifier_comments_are_held_and_readyz_says_so(make_app, tmp_path):
    app = make_app(SCORER=None, MODERATION_MODEL_PATH=str(tmp_path / "missing.joblib"))
    client = app.test_client()
    body = client.post("/api/comments", json=good_form()).get_json()
    assert body["status"] == "pending" and body["reasons"] == ["scorer_unavailable"]
    assert body["scores"] == {"spam": None, "abuse": None}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["model"].startswith("not loaded")


def test_intake_on_both_stores(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_RATE_LIMIT="3/minute",
                   **PUBLISH_ALL)
    client = app.test_client()
    assert client.post("/comments", data=good_form()).status_code == 303
    assert client.post("/api/comments", json=good_form()).status_code == 409
    assert client.post("/api/comments", json=good_form(comment="2")).status_code == 201
    assert client.post("/api/comments", json=good_form(comment="3")).status_code == 201
    assert client.post("/api/comments", json=good_form(comment="4")).status_code == 429
    with app.extensions["store"].engine.connect() as connection:
        texts = connection.scalars(select(Comment.text).order_by(Comment.id)).all()
    assert texts == ["Glad the bridge is open again.", "2", "3"]


def _unescape(html: str) -> str:
    return html.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")


def test_the_413_page_speaks_of_the_comment_form(client):
    response = client.post("/api/comments", json=good_form(comment="x" * (64 * 1024)))
    assert response.get_json()["error"]["message"] == \
        "Your comment could not be sent: the form data is over 64 KiB."
