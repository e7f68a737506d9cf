"""The moderation service: comment intake, decision policy, review queue and published feed.

`create_app()` is the only entry point (gunicorn: `'service:create_app()'`); nothing happens at
import time, so tests build as many apps as they like.
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from model.decisions import instance_folder, store_url
from service import cli, config, openapi, readers
from service.review import accounts
from service.articles import views as article_admin
from service.articles import api as article_api
from service.review import auth
from service.feed import embed
from service.web import errors
from service.feed import views as feed
from service.ops import health
from service.web import input_guard
from service.intake import views as intake
from service.intake import limits
from service.ops import logs
from service.ops import metrics
from service.privacy import retention
from service.review import views as review
from service.classifier import scoring
from service.articles import section_views as section_admin
from service.web import security_headers
from service.classifier import site_layers
from service import commenters, integrations
from service.feed import early as feed_early
from service.classifier import views as model_admin
from service.articles.records import Articles
from service.storage.db import make_engine
from service.privacy.keys import persisted_secret
from service.storage.store import Store

MAX_BODY_BYTES = 64 * 1024

# Settings whose empty value means "generate once and keep in instance/<file>".
_PERSISTED_KEYS = {"MODERATION_SECRET_KEY": "secret_key",
                   "MODERATION_IP_HASH_KEY": "ip_hash_key",
                   "MODERATION_EMAIL_HASH_KEY": "email_hash_key",
                   "MODERATION_API_KEY_HASH_KEY": "api_key_hash_key"}


def create_app(test_config: Mapping[str, Any] | None = None,
               instance_path: str | None = None) -> Flask:
    """Build the app. Settings come from the environment (see `service.config`), overridden by
    `test_config` (same names, raw strings or parsed values). `test_config["SCORER"]` may hold an
    already loaded `model.Scorer`, so a test session loads the artifact once."""
    settings = {**config.from_env(), **config.normalise(test_config or {})}
    # The instance folder and store URL come from model.decisions, which `model.train` also uses
    # to find this store without importing Flask.
    instance = instance_folder(instance_path or settings["MODERATION_INSTANCE_PATH"])
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(settings)
    _resolve_keys(app)
    app.config["SECRET_KEY"] = app.config["MODERATION_SECRET_KEY"]
    # Werkzeug answers 413 for larger bodies before any view reads them.
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_BODY_BYTES

    # Inside ProxyFix: the feed's early answers name the host Flask would see.
    feed_early.init_app(app)
    if app.config["MODERATION_PROXY_HOPS"]:
        hops = app.config["MODERATION_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    if app.config["MODERATION_DATABASE_URL"] is None:
        instance.mkdir(parents=True, exist_ok=True)
    url = store_url(app.config["MODERATION_DATABASE_URL"], app.instance_path)
    # hide_parameters: a database error logged with its statement must not carry e-mails.
    app.extensions["store"] = Store(make_engine(
        url, wait_seconds=app.config["MODERATION_DB_WAIT_SECONDS"],
        checkpoint_seconds=app.config["MODERATION_SQLITE_CHECKPOINT_SECONDS"],
        hide_parameters=True))
    app.extensions["articles"] = Articles(app.extensions["store"].engine)

    preloaded = app.config.get("SCORER")
    scoring.init_app(app, scoring.ScorerHolder(preloaded) if preloaded is not None else None)
    site_layers.init_app(app)

    # First, so every request has its id and timer before any other hook can answer early.
    logs.init_app(app)
    metrics.init_app(app)
    intake.init_app(app)
    feed.init_app(app)
    app.register_blueprint(embed.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.bp)
    # CSRF tokens on every state-changing request, except the public intake: the news site's
    # own comment form posts there cross-origin and has no token to send.
    csrf = CSRFProtect(app)
    csrf.exempt(intake.bp)
    # Akismet clients and Coral post from servers, authenticated by key or signature, not cookie.
    integrations.init_app(app, csrf)
    article_api.init_app(app, csrf)
    readers.init_app(app, csrf)
    auth.init_app(app)
    limits.init_app(app)
    review.init_app(app)
    commenters.init_app(app)
    article_admin.init_app(app)
    section_admin.init_app(app)
    model_admin.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    accounts.init_app(app)
    retention.init_app(app)
    input_guard.init_app(app)
    security_headers.init_app(app)
    return app


def _resolve_keys(app: Flask) -> None:
    for name, filename in _PERSISTED_KEYS.items():
        if not app.config[name]:
            app.config[name] = persisted_secret(app.instance_path, filename)
