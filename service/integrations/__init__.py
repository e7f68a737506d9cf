"""Drop-in endpoints for the tools newsrooms already run: an Akismet-compatible API (WordPress and
other CMSs' Akismet clients), a Coral Talk external moderation phase, and Perspective's
AnalyzeComment (Coral's toxic comment filter and other Perspective clients).

- `akismet`, `coral`, `perspective`: one blueprint per protocol.
- `apikeys`: the Akismet API's keys, created from the command line and stored as keyed hashes.

All score with the service's own classifier and decide with its own policy (`assessment`); what
each keeps is in `records` and in docs/integrations.md, "Integrations". May import `storage`,
`classifier`, `decisions`, `intake` (the rules intake decides with), `privacy` and `web`.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from service.web.input_guard import allow_larger_bodies
from service.integrations import akismet, apikeys, coral, perspective


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the endpoints the settings turn on, without CSRF tokens: their callers are
    servers that authenticate with an API key or a signature, never a browser session."""
    if app.config["MODERATION_AKISMET_API"]:
        app.register_blueprint(akismet.bp)
        csrf.exempt(akismet.bp)
        allow_larger_bodies(app, akismet.bp.name, akismet.MAX_BODY_BYTES)
    if app.config["MODERATION_PERSPECTIVE_API"]:
        app.register_blueprint(perspective.bp)
        csrf.exempt(perspective.bp)
    if app.config["MODERATION_CORAL_SECRETS"]:
        app.register_blueprint(coral.bp)
        csrf.exempt(coral.bp)
        allow_larger_bodies(app, coral.bp.name, coral.MAX_BODY_BYTES)
    apikeys.init_app(app)
