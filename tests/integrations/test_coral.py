"""Coral's external moderation phase: requests signed and serialised exactly as Coral does it
(`services/fetch/fetch.ts` generateFetchOptions: `JSON.stringify(body, null, 2)`, and
`models/settings/signingSecret/helpers.ts` generateSignatures: `sha256=<hex HMAC-SHA256 of the
body>` per active secret, joined by commas)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import httpx
import pytest

from integration_helpers import (HAM_TEXT, NEVER_REJECT, RUDE_TEXT, SPAM_TEXT, TOXIC_TEXT,
                                 checks, comments)
from serving import serving

# Coral's own secret shape: a prefix, an underscore, 32 to 36 random bytes in hex.
SECRET = "empsec_" + secrets.token_hex(32)
ROTATED_OUT = "empsec_" + secrets.token_hex(33)


def coral_request(body: str, *, action: str = "NEW", parent: str | None = None) -> dict:
    """An External Moderation Request as Coral's docs show it."""
    return {
        "action": action,
        "comment": {"body": body, "parentID": parent},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6",
                  "url": "https://news.example/2026/11/council-budget/"},
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "news.example",
    }


def serialise(payload: dict) -> bytes:
    # JSON.stringify(x, null, 2): two-space indent, ", " never at line ends, ": " after keys,
    # non-ASCII left as is, UTF-8 on the wire.
    return json.dumps(payload, indent=2, ensure_ascii=False).encode()


def sign(body: bytes, *signing_secrets: str) -> str:
    return ",".join("sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                    for secret in signing_secrets)


def post(client, payload: dict, signature: str | None = None, body: bytes | None = None):
    body = serialise(payload) if body is None else body
    headers = {"Content-Type": "application/json", "User-Agent": "Coral Moderation/9.11.8",
               "X-Coral-Signature": sign(body, SECRET) if signature is None else signature}
    return client.post("/coral/moderation", data=body, headers=headers)


@pytest.fixture
def coral_app(make_app, db_url):
    return make_app(MODERATION_DATABASE_URL=db_url, MODERATION_CORAL_SECRETS=SECRET)


@pytest.fixture
def coral(coral_app):
    return coral_app.test_client()


def test_a_harmless_comment_gets_no_opinion(coral):
    response = post(coral, coral_request(HAM_TEXT))
    assert response.status_code == 204 and response.get_data() == b""


def test_a_toxic_comment_is_rejected_and_flagged_toxic(coral):
    response = post(coral, coral_request(TOXIC_TEXT))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["status"] == "REJECTED"
    assert answer["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    assert answer["moderationAction"]["status"] == "REJECTED"
    reason = answer["moderationAction"]["rejectionReason"]
    assert reason["code"] == "ABUSIVE" and "abuse_score>=" in reason["detailedExplanation"]


def test_spam_is_rejected_and_flagged_spam(coral):
    answer = post(coral, coral_request(SPAM_TEXT)).get_json()
    assert answer["status"] == "REJECTED"
    assert {"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"} in answer["actions"]
    assert answer["moderationAction"]["rejectionReason"]["code"] == "SPAM"


def test_a_doubtful_comment_is_withheld_for_coral_moderators(coral):
    answer = post(coral, coral_request(RUDE_TEXT, action="EDIT", parent="d79b787f")).get_json()
    assert answer == {"status": "SYSTEM_WITHHELD",
                      "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}


def test_spam_below_the_reject_threshold_is_withheld_and_flagged(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_CORAL_SECRETS=SECRET,
                   **NEVER_REJECT)
    answer = post(app.test_client(), coral_request(SPAM_TEXT)).get_json()
    assert answer == {"status": "SYSTEM_WITHHELD",
                      "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}]}


def test_html_bodies_are_scored_for_their_text(coral):
    # Coral sends HTML unless the phase is set to plain text.
    assert post(coral, coral_request(f"<p>{HAM_TEXT}</p>")).status_code == 204
    answer = post(coral, coral_request(f"<p><b>{TOXIC_TEXT}</b></p>")).get_json()
    assert answer["status"] == "REJECTED"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_nan_and_infinity_are_malformed_json(coral_app, coral, number):
    body = serialise({**coral_request(HAM_TEXT), "revision": "__n__"}).replace(
        b'"__n__"', number.encode())
    response = post(coral, {}, body=body)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_json"
    assert checks(coral_app) == []


def test_a_bad_signature_is_refused(coral):
    response = post(coral, coral_request(HAM_TEXT), signature="sha256=" + "0" * 64)
    assert response.status_code == 401
    assert "X-Coral-Signature" in response.get_json()["error"]["message"]


def test_a_missing_signature_is_refused(coral):
    assert post(coral, coral_request(HAM_TEXT), signature="").status_code == 401


def test_a_signature_under_another_secret_is_refused(coral):
    body = serialise(coral_request(TOXIC_TEXT))
    assert post(coral, {}, signature=sign(body, ROTATED_OUT), body=body).status_code == 401


def test_a_signed_body_changed_on_the_way_is_refused(coral):
    # Coral signs no timestamp, so an old signature is only as good as the exact body it
    # signed: replaying it on a new comment fails.
    old = serialise(coral_request(HAM_TEXT))
    new = serialise(coral_request(SPAM_TEXT))
    assert post(coral, {}, signature=sign(old, SECRET), body=new).status_code == 401
    compact = json.dumps(coral_request(HAM_TEXT)).encode()  # same JSON, other bytes
    assert post(coral, {}, signature=sign(old, SECRET), body=compact).status_code == 401


def test_while_rotating_coral_sends_both_signatures(make_app, db_url):
    # Coral signs with every active secret; the operator has the new one configured only.
    app = make_app(MODERATION_DATABASE_URL=db_url, MODERATION_CORAL_SECRETS=SECRET)
    body = serialise(coral_request(HAM_TEXT))
    response = post(app.test_client(), {}, signature=sign(body, ROTATED_OUT, SECRET), body=body)
    assert response.status_code == 204


def test_both_secrets_are_accepted_while_the_operator_rotates(make_app, db_url):
    app = make_app(MODERATION_DATABASE_URL=db_url,
                   MODERATION_CORAL_SECRETS=f"{ROTATED_OUT},{SECRET}")
    body = serialise(coral_request(HAM_TEXT))
    assert post(app.test_client(), {}, signature=sign(body, ROTATED_OUT), body=body) \
        .status_code == 204


def test_a_signed_request_that_is_not_coral_s_format_gets_a_clear_400(coral):
    payload = coral_request(HAM_TEXT)
    del payload["comment"]["body"]
    response = post(coral, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Missing field: comment.body."
    body = b"not json"
    assert post(coral, {}, signature=sign(body, SECRET), body=body).status_code == 400


def test_each_request_is_recorded_without_the_comment(coral_app, coral):
    post(coral, coral_request(TOXIC_TEXT))
    post(coral, coral_request(HAM_TEXT))
    rejected, ignored = checks(coral_app)
    assert (rejected.source, rejected.status, rejected.answer) == ("coral", "rejected",
                                                                   "REJECTED")
    assert rejected.abuse_score > 0.9 and rejected.model_version
    assert rejected.article == "https://news.example/2026/11/council-budget/"
    assert rejected.ip_hash is None  # Coral sends no IP
    assert ignored.answer == "NO_OPINION"
    stored = " ".join(str(value) for value in vars(rejected).values())
    assert "idiot" not in stored and "baf4e943" not in stored
    assert comments(coral_app) == []


def test_the_endpoint_is_off_without_a_secret(make_app):
    client = make_app().test_client()
    assert post(client, coral_request(HAM_TEXT)).status_code == 404


def test_over_real_http_as_coral_calls_it(coral_app):
    body = serialise(coral_request(f"{TOXIC_TEXT} — ça suffit !"))
    with serving(coral_app) as url:
        response = httpx.post(f"{url}/coral/moderation", content=body, timeout=30, headers={
            "Content-Type": "application/json", "User-Agent": "Coral Moderation/9.11.8",
            "X-Coral-Signature": sign(body, SECRET)})
    assert response.status_code == 200
    assert response.json()["actions"] == [{"actionType": "FLAG",
                                           "reason": "COMMENT_DETECTED_TOXIC"}]


def test_long_html_comments_are_accepted(coral_app, coral):
    # Coral sends HTML; a long comment's markup can pass the public form's 64 KiB limit.
    body = "<p>" + "</p><p>".join([HAM_TEXT] * 700) + "</p>"
    assert len(body.encode()) > 64 * 1024
    assert post(coral, coral_request(body)).status_code != 413
    assert len(checks(coral_app)) == 1  # scored and answered


def test_a_body_past_the_phases_own_limit_is_refused_naming_that_limit(coral_app):
    response = coral_app.test_client().post(
        "/coral/moderation", data=b"{" + b" " * (513 * 1024) + b"}",
        headers={"Content-Type": "application/json", "Accept": "application/json",
                 "X-Coral-Signature": "sha256=00"})
    assert response.status_code == 413
    assert response.get_json()["error"] == {
        "code": "too_large", "field": None, "message": "The request body is over 512 KiB."}
