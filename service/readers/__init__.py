"""What readers do about comments besides writing them: report a published one
(`reports`, the verbs and their rules; `views`, the form and the JSON endpoint).

`reports` is plain storage and rules (no Flask), which service/moderation.py calls when a
moderator's decision resolves a comment's reports.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the readers' endpoints, without CSRF tokens: readers have no session, the form
    carries a token of its own, and the JSON endpoint takes JSON only (see `views`)."""
    # Imported here, not above: service/moderation.py imports `reports` from this package, and
    # the views import the web layer, which must not be loaded on the way.
    from service.readers import views

    views.init_app(app)
    csrf.exempt(views.bp)
