"""CORS for the news site's origin(s): the published feed and the JSON intake are called from the
article pages' own JavaScript, which runs on another origin than this service."""

from __future__ import annotations

from flask import Response, current_app, request


def allow_site_origin(response: Response) -> Response:
    """after_request hook: echo a configured Origin back (or `*` when so configured) and answer
    preflights. Other origins get no CORS headers, so browsers keep them out."""
    allowed = current_app.config["MODERATION_CORS_ORIGINS"]
    if not allowed:  # CORS not configured: nothing to say, and nothing varies by Origin
        return response
    response.vary.add("Origin")
    allow = allowed_origin(allowed, request.headers.get("Origin"))
    if allow is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = allow
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ", ".join(
            sorted(set(response.allow) - {"HEAD"}) or ["GET"])
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def allowed_origin(allowed: tuple[str, ...], origin: str | None) -> str | None:
    """Access-Control-Allow-Origin for a request from `origin` when `allowed` (the configured
    origins, not empty) are; None: no CORS headers, so browsers keep the answer from the page."""
    origin = (origin or "").rstrip("/")
    if origin and origin in allowed:
        return origin
    return "*" if "*" in allowed else None
