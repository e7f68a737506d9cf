"""Bot traps that need no CAPTCHA: a honeypot field and a signed "form rendered at" timestamp.

Both only apply to forms that carry them (the demo form does); the news site's existing form
sends neither and is still accepted. A person caught by a trap gets the form back with their text
and an explanation, so a false positive costs one more click, never the comment.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

from itsdangerous import BadSignature, URLSafeSerializer

HONEYPOT_FIELD = "email_confirm"  # hidden from people by CSS; bots fill every field they see
TIMESTAMP_FIELD = "rendered_at"
# The form of a `form_timestamp` value (itsdangerous: payload, then signature, in base64url; a
# compressed payload starts with a dot), or empty. service/openapi.json states it.
TIMESTAMP_PATTERN = "^(?:\\.?[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)?$"
_TIMESTAMP = re.compile(TIMESTAMP_PATTERN)

MESSAGES = {
    "honeypot": "Your comment could not be accepted because the field marked "
                "\u201cleave this empty\u201d was filled in. Please empty it and send again.",
    "too_quick": "That was quick! Please read your comment over once more, then send it again.",
    "bad_timestamp": "This form has expired or was changed; please send your comment again.",
}


@dataclass(frozen=True)
class Trap:
    code: str

    @property
    def message(self) -> str:
        return MESSAGES[self.code]


@lru_cache(maxsize=8)  # made once per key: building one costs as much as signing with it
def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="comment-form-rendered-at")


def form_timestamp(secret_key: str, post_id: str, now: float | None = None) -> str:
    """The value for the demo form's hidden TIMESTAMP_FIELD: the article and the time (in
    milliseconds; itsdangerous's own timestamps are whole seconds, too coarse for a 1-3 s trap),
    signed so a bot cannot simply send an old time."""
    at = time.time() if now is None else now
    return _serializer(secret_key).dumps({"post": post_id, "at": round(at, 3)})


def check(fields: Mapping[str, str], secret_key: str, min_seconds: float,
          now: float | None = None) -> Trap | None:
    """The trap a submission falls into, if any."""
    if fields.get(HONEYPOT_FIELD, "").strip():
        return Trap("honeypot")
    token = fields.get(TIMESTAMP_FIELD, "")
    if not token:
        return None
    if not _TIMESTAMP.fullmatch(token):
        return Trap("bad_timestamp")
    try:
        payload = _serializer(secret_key).loads(token)
        post_id, rendered_at = payload["post"], float(payload["at"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return Trap("bad_timestamp")
    if post_id != fields.get("comment_post_ID", "").strip():
        return Trap("bad_timestamp")
    elapsed = (time.time() if now is None else now) - rendered_at
    return Trap("too_quick") if elapsed < min_seconds else None
