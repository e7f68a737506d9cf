"""Security headers on every response the app sends: pages, JSON, errors and static files.

No template has inline script or style (the public site's stylesheet is `static/site.css`, the
review page's script `static/review/queue.js`), so the Content-Security-Policy allows only this
origin's own files: an injected <script>, event-handler attribute or style is dead even if
escaping ever failed. The news site's origins (`MODERATION_CORS_ORIGINS`) are allowed as form
targets because intake redirects a reader's corrected form back to the article on that site.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

BASE_POLICY = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
               "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
               # Nobody frames these pages: no clickjacking of the form or the review buttons.
               "frame-ancestors 'none'")


def content_security_policy(site_origins: tuple[str, ...]) -> str:
    """The CSP for an app whose comment form may send readers back to `site_origins`."""
    form_targets = " ".join(["'self'", *(o for o in site_origins if o != "*")])
    return "; ".join([*BASE_POLICY, f"form-action {form_targets}"])


def headers_for(site_origins: tuple[str, ...]) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(site_origins),
        "X-Content-Type-Options": "nosniff",
        # Old browsers that ignore frame-ancestors.
        "X-Frame-Options": "DENY",
        # Links in comments lead off-site; readers' and moderators' URLs stay here.
        "Referrer-Policy": "same-origin",
    }


def add_security_headers(response: Response) -> Response:
    response.headers.update(current_app.extensions["security_headers"])
    return response


def no_store(response: Response) -> Response:
    """Moderators' pages: comments and names must not linger in shared caches or history."""
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.extensions["security_headers"] = headers_for(app.config["MODERATION_CORS_ORIGINS"])
    app.after_request(add_security_headers)
