"""The Akismet-compatible API, driven by the `akismet` package from PyPI over real HTTP."""

from __future__ import annotations

import akismet
import httpx
import pytest

from integration_helpers import (BLOG, HAM_TEXT, NEVER_REJECT, RUDE_TEXT, SPAM_TEXT, TOXIC_TEXT,
                                 checks, comments, new_api_key)
from model.decisions import load_decisions
from service.privacy import keys as privacy
from service.integrations.apikeys import revoke

READER_IP = "203.0.113.7"
COMMENT = dict(user_agent="Mozilla/5.0 (X11; Linux x86_64)", referrer="https://news.example/",
               permalink="https://news.example/2026/11/council-budget/", comment_type="comment",
               comment_author="Lois", comment_author_email="lois@example.org",
               comment_date_gmt="2026-11-24T19:00:00Z", blog_lang="en")


def test_verify_key_accepts_our_key_and_refuses_others(akismet_client, http_client):
    assert akismet_client.verify_key() is True
    assert akismet_client.verify_key("0123456789ab", BLOG) is False
    with pytest.raises(akismet.APIKeyError):
        akismet.SyncClient.validated_client(config=akismet.Config(key="0123456789ab", url=BLOG),
                                            http_client=http_client)


def test_keys_are_twelve_hex_digits_as_the_wordpress_plugin_requires(api_key):
    assert len(api_key) == 12 and int(api_key, 16) >= 0


def test_an_unknown_key_is_answered_invalid_with_debug_help(live_url):
    response = httpx.post(f"{live_url}/1.1/comment-check", data={
        "api_key": "0123456789ab", "blog": BLOG, "user_ip": READER_IP,
        "comment_content": HAM_TEXT})
    assert response.status_code == 200
    assert response.text == "invalid"
    assert "revoked" in response.headers["X-akismet-debug-help"]


def test_a_client_with_an_unknown_key_gets_the_librarys_key_error(http_client):
    client = akismet.SyncClient(config=akismet.Config(key="0123456789ab", url=BLOG),
                                http_client=http_client)
    with pytest.raises(akismet.APIKeyError):
        client.comment_check(READER_IP, comment_content=HAM_TEXT)


def test_a_revoked_key_stops_working(integration_app, akismet_client, api_key):
    assert revoke(integration_app.extensions["store"].engine, "Daily Planet WordPress")
    assert akismet_client.verify_key() is False
    with pytest.raises(akismet.APIKeyError):
        akismet_client.comment_check(READER_IP, comment_content=HAM_TEXT)


def test_comment_check_answers_ham_spam_and_discard(akismet_client):
    assert akismet_client.comment_check(READER_IP, comment_content=HAM_TEXT, **COMMENT) \
        == akismet.CheckResponse.HAM
    assert akismet_client.comment_check(READER_IP, comment_content=SPAM_TEXT, **COMMENT) \
        == akismet.CheckResponse.DISCARD
    # Abuse is held for a person, never discarded unseen.
    assert akismet_client.comment_check(READER_IP, comment_content=TOXIC_TEXT, **COMMENT) \
        == akismet.CheckResponse.SPAM
    assert akismet_client.comment_check(READER_IP, comment_content=RUDE_TEXT, **COMMENT) \
        == akismet.CheckResponse.SPAM


def test_spam_below_the_reject_threshold_is_spam_without_discard(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, **NEVER_REJECT)
    key = new_api_key(app)
    response = app.test_client().post("/1.1/comment-check", data={
        "api_key": key, "blog": BLOG, "user_ip": READER_IP, "comment_content": SPAM_TEXT})
    assert response.get_data(as_text=True) == "true"
    assert "X-akismet-pro-tip" not in response.headers


def test_akismets_test_author_is_always_spam(akismet_client):
    assert akismet_client.comment_check(
        READER_IP, comment_content=HAM_TEXT, is_test=True,
        **{**COMMENT, "comment_author": "viagra-test-123"}) == akismet.CheckResponse.SPAM


def test_missing_user_ip_is_a_protocol_error_with_the_reason(akismet_client):
    with pytest.raises(akismet.ProtocolError, match='Empty "user_ip" value'):
        akismet_client.comment_check("", comment_content=HAM_TEXT)


def test_comment_check_records_scores_and_a_hashed_ip_but_not_the_comment(
        integration_app, akismet_client):
    akismet_client.comment_check(READER_IP, comment_content=SPAM_TEXT, **COMMENT)
    [check] = checks(integration_app)
    assert check.source == "akismet" and check.answer == "discard"
    assert check.status == "rejected" and check.spam_score > 0.9
    assert check.model_version
    assert check.ip_hash == privacy.ip_hash("test-ip-key", READER_IP)
    assert check.article == COMMENT["permalink"]
    stored = " ".join(str(value) for value in vars(check).values())
    assert READER_IP not in stored and "Subscribe" not in stored and "Lois" not in stored
    assert comments(integration_app) == []  # the CMS keeps the comment, not us


def test_submit_spam_stores_a_label_retraining_reads(integration_app, akismet_client, db_url):
    akismet_client.comment_check(READER_IP, comment_content=RUDE_TEXT, **COMMENT)
    assert akismet_client.submit_spam(READER_IP, comment_content=RUDE_TEXT, **COMMENT) is True

    [comment] = comments(integration_app)
    assert (comment.status, comment.decision_reason) == ("rejected", "spam")
    assert comment.decided_by == "akismet:Daily Planet WordPress"
    assert comment.text == RUDE_TEXT and comment.author == "Lois"
    assert comment.ip_hash == privacy.ip_hash("test-ip-key", READER_IP)
    [check] = checks(integration_app)
    assert (check.label, check.comment_id) == ("spam", comment.id)
    [example] = load_decisions(db_url)
    assert (example.text, example.spam, example.abuse) == (RUDE_TEXT, 1, 0)


def test_submit_ham_after_spam_relabels_the_same_comment(integration_app, akismet_client,
                                                         db_url):
    akismet_client.submit_spam(READER_IP, comment_content=HAM_TEXT, **COMMENT)
    assert akismet_client.submit_ham(READER_IP, comment_content=HAM_TEXT, **COMMENT) is True

    [comment] = comments(integration_app)
    assert comment.status == "published" and comment.decided_by.startswith("akismet:")
    [example] = load_decisions(db_url)
    assert (example.text, example.spam, example.abuse) == (HAM_TEXT, 0, 0)


def test_labels_stay_out_of_every_real_articles_feed(integration_app, akismet_client):
    akismet_client.submit_ham(READER_IP, comment_content=HAM_TEXT, **COMMENT)
    [comment] = comments(integration_app)
    assert comment.post_id.startswith("akismet:")


def test_test_submissions_are_not_training_data(integration_app, akismet_client, db_url):
    assert akismet_client.submit_spam(READER_IP, comment_content=SPAM_TEXT, is_test=True,
                                      **COMMENT) is True
    assert comments(integration_app) == [] and load_decisions(db_url) == []


def test_the_api_can_be_turned_off(make_app):
    client = make_app(MODERATION_AKISMET_API="false").test_client()
    assert client.post("/1.1/verify-key", data={"key": "0123456789ab", "blog": BLOG}) \
        .status_code == 404


def test_api_needs_no_csrf_token(make_app):
    # CSRF protection is on in these apps (a moderator's POST without a token is refused);
    # Akismet clients have no token to send.
    app = make_app()
    client = app.test_client()
    assert client.post("/auth/login", data={"name": "x", "password": "y"}).status_code == 400
    response = client.post("/1.1/verify-key", data={"key": new_api_key(app), "blog": BLOG})
    assert response.get_data(as_text=True) == "valid"
