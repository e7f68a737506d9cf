"""Blueprint: a Coral Talk external moderation phase, `POST /coral/moderation`.

Coral posts each new or edited comment as JSON (pretty-printed, `JSON.stringify(body, null, 2)`)
signed like its webhooks: `X-Coral-Signature: sha256=<hex>[,sha256=<hex>...]`, the hex HMAC-SHA256
of the raw body under the phase's signing secret, one value per active secret while a secret is
being rotated. Coral signs no timestamp, so there is none to check. We answer 204 (no opinion)
or 200 with Coral's External Moderation Response (`status`, `actions` flags
`COMMENT_DETECTED_TOXIC`/`COMMENT_DETECTED_SPAM`, and `moderationAction` with the rejection
reason); see `assessment.coral_answer`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Iterable

from flask import Blueprint, Response, current_app, jsonify, request

from service.web.input_guard import loads_json
from service.integrations import records
from service.integrations.assessment import assess, coral_answer

bp = Blueprint("coral", __name__)

SIGNATURE_HEADER = "X-Coral-Signature"
ACTIONS = ("NEW", "EDIT")
# Coral sends the comment's HTML, which can outgrow the 64 KiB the public intake allows.
MAX_BODY_BYTES = 512 * 1024


def signature_valid(secrets: Iterable[str], body: bytes, header: str) -> bool:
    """Whether any `sha256=` value in the header is the HMAC of `body` under any secret."""
    offered = [value.strip() for prefix, _, value in
               (part.strip().partition("=") for part in header.split(","))
               if prefix == "sha256" and value.strip()]
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, value) for value in offered):
            return True
    return False


@dataclass(frozen=True)
class ModerationRequest:
    """The parts of Coral's External Moderation Request we use."""

    action: str
    body: str
    story_id: str
    story_url: str
    author_id: str
    tenant_id: str


class RequestError(ValueError):
    """The request is not Coral's External Moderation Request; the message says why."""


def _field(data: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(data, dict) or name not in data:
            raise RequestError(f"Missing field: {'.'.join(path)}.")
        data = data[name]
    return data


def _text_field(data: Any, *path: str) -> str:
    value = _field(data, *path)
    if not isinstance(value, str):
        raise RequestError(f"Field {'.'.join(path)} must be a string.")
    return value


def parse_request(data: Any) -> ModerationRequest:
    """Read Coral's request (see its docs, "External Moderation Request"); raises RequestError."""
    if not isinstance(data, dict):
        raise RequestError("The body must be a JSON object.")
    action = _text_field(data, "action")
    if action not in ACTIONS:
        raise RequestError(f"Field action must be one of {', '.join(ACTIONS)}.")
    return ModerationRequest(
        action=action, body=_text_field(data, "comment", "body"),
        story_id=_text_field(data, "story", "id"), story_url=_text_field(data, "story", "url"),
        author_id=_text_field(data, "author", "id"), tenant_id=_text_field(data, "tenantID"))


def _error(status: int, code: str, message: str) -> Response:
    error = {"field": None, "code": code, "message": message}
    response = jsonify({"error": error, "errors": [error]})
    response.status_code = status
    return response


@bp.post("/coral/moderation")
def moderate() -> Response:
    raw = request.get_data(cache=False)
    header = request.headers.get(SIGNATURE_HEADER, "")
    if not signature_valid(current_app.config["MODERATION_CORAL_SECRETS"], raw, header):
        return _error(401, "bad_signature",
                      f"The {SIGNATURE_HEADER} header is missing or does not match the body "
                      "under any configured signing secret.")
    try:
        data = loads_json(raw.decode("utf-8"))
    except ValueError:  # not UTF-8, not JSON, or NaN and infinite numbers
        return _error(400, "bad_json", "The body is not UTF-8 JSON.")
    try:
        incoming = parse_request(data)
    except RequestError as exc:
        return _error(400, "bad_request", str(exc))

    assessment = assess(incoming.body.strip())
    answer = coral_answer(assessment)
    records.record_check(
        current_app.extensions["store"].engine, source="coral", article=incoming.story_url,
        fingerprint=records.fingerprint(incoming.tenant_id, incoming.story_id,
                                        incoming.author_id, incoming.body),
        assessment=assessment, answer=answer["status"] if answer else "NO_OPINION")
    if answer is None:
        return Response(status=204)
    return jsonify(answer)
