"""What a request body may be: no longer than its route allows, however it is framed, and free of
NUL characters in query strings and form fields.

Body size: the app's limit (64 KiB, the public comment form) or a blueprint's own
(`allow_larger_bodies`, for the integrations), decided by the request class itself so that no
hook can read the body under the wrong limit first. A chunked body (no Content-Length) is
refused with 413 as soon as it passes the limit; Werkzeug alone stops reading there and
reports the end of the body, so a longer one arrived cut short and looked complete.

JSON: only numbers RFC 8259 has. Python's reader also takes `NaN`, `Infinity` and `1e999`
(infinite), which no field can mean; they are a 400 like any other malformed body.

NUL characters: PostgreSQL text cannot hold a NUL, so one in a search box or a login name would
otherwise surface as a database error (500) instead of a clear 400. The comment intake decodes
its own body strictly (and refuses NULs itself), so its form is not parsed here: parsing it
first would consume the body the intake reads.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

from flask import Flask, Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

_LIMITS = "body_limits"


class NulCharacter(BadRequest):
    description = "Text cannot contain NUL characters; please remove them and try again."


def allow_larger_bodies(app: Flask, blueprint: str, limit: int) -> None:
    """Let the routes of `blueprint` take bodies (and parsed forms) of up to `limit` bytes."""
    app.extensions.setdefault(_LIMITS, {})[blueprint] = limit


class _RefusedPastLimit(LimitedStream):
    """A body of unknown length that may be `limit` bytes long: reads one byte further, so a
    longer body raises 413 instead of ending quietly at the limit."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, b) -> int | None:  # type: ignore[override]
        size = super().readinto(b)
        if self.tell() >= self.limit:
            raise RequestEntityTooLarge()
        return size


class BoundedRequest(Request):
    """Flask's request with the route's body limit, enforced on chunked bodies too."""

    def _route_limit(self) -> int | None:
        return current_app.extensions.get(_LIMITS, {}).get(self.blueprint) if current_app \
            else None

    @property
    def max_content_length(self) -> int | None:
        return self._route_limit() or super().max_content_length

    @property
    def max_form_memory_size(self) -> int | None:
        return self._route_limit() or super().max_form_memory_size

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        # Only a server that ends the stream itself (gunicorn: `wsgi.input_terminated`) passes
        # on a body without Content-Length; Werkzeug reads none from any other.
        if self.content_length is None and limit is not None \
                and "wsgi.input_terminated" in self.environ:
            return _RefusedPastLimit(self.environ["wsgi.input"], limit)
        return super().stream


def _not_a_number(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def loads_json(text: str | bytes) -> Any:
    """`json.loads`, refusing NaN and infinite numbers with ValueError."""
    return json.loads(text, parse_constant=_not_a_number, parse_float=_finite)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with `loads_json` reading request bodies (`request.get_json`)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_json(s)


def refuse_nul_characters() -> None:
    values = list(request.args.values())
    if request.blueprint != "intake" and request.mimetype in {
            "application/x-www-form-urlencoded", "multipart/form-data"}:
        values += list(request.form.values())
    if any("\x00" in value for value in values):
        raise NulCharacter()


def init_app(app: Flask) -> None:
    app.request_class = BoundedRequest
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_nul_characters)
