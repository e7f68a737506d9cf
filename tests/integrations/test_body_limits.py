"""The integrations' 512 KiB body limit (Perspective keeps the intake's 64 KiB), however the body
is framed: with Content-Length, or chunked (no length; gunicorn ends the stream). A body over
the limit is refused with 413, never read cut short. The store does not matter here: SQLite."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from comment_helpers import post_chunked
from integration_helpers import BLOG, HAM_TEXT, checks, new_api_key
from test_coral import SECRET, coral_request, sign

KIB = 1024
FRAMINGS = ["content-length", "chunked"]


def _post(client, framing: str, path: str, body: bytes, content_type: str, **kwargs):
    if framing == "chunked":
        return post_chunked(client, path, body, content_type, **kwargs)
    return client.post(path, data=body, content_type=content_type, **kwargs)


def _akismet_form(key: str, size: int) -> bytes:
    # WordPress's plugin sends every server variable along; the comment comes last, so a body
    # cut short would still parse.
    return urlencode({"api_key": key, "blog": BLOG, "user_ip": "203.0.113.7",
                      "HTTP_X_PADDING": "p" * size, "comment_content": HAM_TEXT}).encode()


@pytest.mark.parametrize("framing", FRAMINGS)
def test_akismet_takes_a_body_over_64_kib_and_refuses_one_over_512(make_app, framing):
    app = make_app()
    key, client = new_api_key(app), app.test_client()
    form = "application/x-www-form-urlencoded"
    accepted = _post(client, framing, "/1.1/comment-check", _akismet_form(key, 100 * KIB), form)
    assert accepted.status_code == 200 and accepted.get_data(as_text=True) == "false"
    refused = _post(client, framing, "/1.1/comment-check", _akismet_form(key, 513 * KIB), form)
    assert refused.status_code == 413
    assert len(checks(app)) == 1  # the refused one was not scored or recorded


@pytest.mark.parametrize("framing", FRAMINGS)
def test_coral_refuses_a_body_over_512_kib_however_it_is_framed(make_app, framing):
    app = make_app(MODERATION_CORAL_SECRETS=SECRET)
    client = app.test_client()
    for size, expected in ((100 * KIB, {200, 204}), (513 * KIB, {413})):
        payload = coral_request(HAM_TEXT)
        payload["padding"] = "p" * size
        body = json.dumps(payload).encode()
        response = _post(client, framing, "/coral/moderation", body, "application/json",
                         headers={"X-Coral-Signature": sign(body, SECRET),
                                  "Accept": "application/json"})
        assert response.status_code in expected, (size, response.get_data(as_text=True))
    assert len(checks(app)) == 1


@pytest.mark.parametrize("framing", FRAMINGS)
def test_perspective_refuses_a_body_over_64_kib_in_googles_format(make_app, framing):
    app = make_app()
    key = new_api_key(app)
    body = json.dumps({"comment": {"text": HAM_TEXT}, "requestedAttributes": {"TOXICITY": {}},
                       "clientToken": "t" * (65 * KIB)}).encode()
    response = _post(app.test_client(), framing, f"/v1alpha1/comments:analyze?key={key}", body,
                     "application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == 413
