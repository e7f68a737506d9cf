"""HTTP errors as JSON for API clients and as a short page for readers."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from service.storage.availability import TRANSIENT, retry_after_for

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 415: "unsupported_media_type"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best_match(
        ["text/html", "application/json"]) == "application/json"


def handle_http_error(exc: HTTPException) -> Response:
    code = CODES.get(exc.code or 500, "error")
    if exc.code == 413:
        # Each route's own limit: the comment form's 64 KiB, or an integration's larger one.
        limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
        message = (f"Your comment could not be sent: the form data is over {limit // 1024} KiB."
                   if request.blueprint == "intake" else
                   f"The request body is over {limit // 1024} KiB.")
    else:
        message = exc.description or exc.name
    if _wants_json():
        response = jsonify({"error": {"code": code, "message": message, "field": None}})
    else:
        response = Response(render_template("error.html", title=exc.name, message=message),
                            mimetype="text/html")
    response.status_code = exc.code or 500
    for key, value in exc.get_headers():
        if key.lower() not in {"content-type", "content-length"}:
            response.headers[key] = value
    return response


def handle_database_down(exc: Exception) -> Response:
    """A page or feed read while the database is unreachable or locked: 503, not a 500."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path,
                type(exc).__name__)
    message = "The comment system is briefly unavailable; please try again in a minute."
    if _wants_json():
        response = jsonify({"error": {"code": "unavailable", "message": message, "field": None}})
    else:
        response = Response(render_template("error.html", title="Service Unavailable",
                                            message=message), mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(retry_after_for(
        current_app.config["MODERATION_DB_WAIT_SECONDS"]))
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    for transient in TRANSIENT:
        app.register_error_handler(transient, handle_database_down)
