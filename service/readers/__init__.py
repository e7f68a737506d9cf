"""What readers do about comments besides writing them: report a published one (`reports`,
the verbs and their rules; `views`, the form and the JSON endpoint), and, as commenters, follow
their own comment through a private status link, learn why it was rejected and appeal once
(`notices`, `appeals`; `status`, the pages and the JSON endpoints).

`problems` is why a reader's request was not taken, in the site's own words.

`reports`, `appeals` and `notices` are plain storage and rules (no Flask); service/review/queue.py
calls the first two when a moderator's decision settles a comment's reports or appeal.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the readers' endpoints, without CSRF tokens: readers have no session; the report
    form carries a token of its own, the JSON endpoints take JSON only (see `views`), and the
    status pages' token is in their address (see `status`)."""
    # Imported here, not above: service/review/queue.py imports `reports` from this package, and
    # the views import the web layer, which must not be loaded on the way.
    from service.readers import status, views

    for blueprint in (views, status):
        blueprint.init_app(app)
        csrf.exempt(blueprint.bp)
