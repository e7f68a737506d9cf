"""Structured logs: one JSON line per request (a comment's arrival carries the policy's decision:
comment id, outcome, model version) and one per moderator decision, and a request id on every
answer so a reader's complaint ("it said error, reference 3f2a...") can be found in the logs.

Lines never carry the client's IP address, an e-mail address, the query string or the comment's
text: the route pattern (`/api/articles/<post_id>/comments`), not the path, is logged. The id comes
from a trusted proxy's `X-Request-ID` when it looks like one (so the proxy's access log and ours
share it), else it is made here; it is sent back in `X-Request-ID`, in JSON error bodies and on
error pages.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import datetime, timezone
from typing import Any, Iterable

from flask import Flask, Response, current_app, g, got_request_exception, has_request_context, \
    request

requests_log = logging.getLogger("moderation.requests")
decisions_log = logging.getLogger("moderation.decisions")
errors_log = logging.getLogger("moderation.errors")

_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn and pytest both swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure(enabled: bool) -> None:
    for logger in (requests_log, decisions_log, errors_log):
        if enabled and not any(isinstance(h, _Stderr) for h in logger.handlers):
            logger.addHandler(_Stderr())
        # INFO lines are the product here; WARNING and up stay on even when request logs are off.
        logger.setLevel(logging.INFO if enabled or logger is errors_log else logging.WARNING)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def emit(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({"time": _now(), "event": event, **fields},
                                     separators=(",", ":"), default=str))


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def comment_outcome(comment_id: int, outcome: str, model_version: str | None) -> None:
    """The policy's decision on a comment that just arrived: logged on the request's own line
    (one line per comment received, not two: intake is the hot path)."""
    g.log_fields = {"comment_id": comment_id, "outcome": outcome,
                    "model_version": model_version, "by": "policy"}


def decisions(comments: Iterable, action: str, moderator: str) -> None:
    """One line per comment a moderator decided (a bulk action decides many in one request)."""
    for comment in comments:
        emit(decisions_log, "decision", comment_id=comment.id, outcome=comment.status,
             model_version=comment.model_version, by=moderator, action=action,
             reason=comment.decision_reason, request_id=request_id())


# -- per request ----------------------------------------------------------------------------------

def new_request_id(given: str) -> str:
    """The id of a request whose client sent `given` as X-Request-ID (empty: none)."""
    return given if _GIVEN_ID.match(given) else secrets.token_hex(8)


def request_line(request_id: str, method: str, route: str | None, status: int,
                 started: float, **fields: Any) -> None:
    """The request's log line (when request logs are on); `started`: its perf_counter()."""
    if requests_log.isEnabledFor(logging.INFO):
        emit(requests_log, "request", request_id=request_id, method=method, route=route,
             status=status, latency_ms=round((time.perf_counter() - started) * 1000, 2),
             **fields)


def _begin() -> None:
    g.request_id = new_request_id(request.headers.get("X-Request-ID", ""))
    g.log_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.request_id
    if response.status_code >= 400 and response.is_json and not response.is_streamed:
        _add_id_to_json_error(response)
    request_line(g.request_id, request.method,
                 request.url_rule.rule if request.url_rule else None, response.status_code,
                 g.log_started, **g.get("log_fields", {}))
    return response


def _add_id_to_json_error(response: Response) -> None:
    # Every JSON error (intake's, the error handler's, the review page's) names its request, so a
    # client can quote it; only error bodies are rewritten, never a success.
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "request_id" not in body:
        body["request_id"] = g.request_id
        response.set_data(current_app.json.dumps(body))


def _log_exception(sender, exception: BaseException, **extra) -> None:
    emit(errors_log, "error", logging.ERROR, request_id=request_id(),
         route=request.url_rule.rule if request.url_rule else None,
         error=type(exception).__name__)


def init_app(app: Flask) -> None:
    _configure(app.config["MODERATION_REQUEST_LOG"])
    app.before_request(_begin)
    app.after_request(_finish)
    got_request_exception.connect(_log_exception, app)
