"""Blueprint: the site's article API. `PUT /api/articles/<id>` tells the service an article's
title, address, section and publication time (and, if the site wishes, its commenting rules);
`GET /api/articles/<id>` reads them back with whether comments are open. For the site's
servers: an API key from `flask apikeys add` as `Authorization: Bearer KEY`, no cookie, no
CSRF token. The decisions are `service.articles.records`'s; this module parses and answers.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFProtect

from service.articles import records as articles
from service.articles.records import Actor, ArticleError
from service.integrations import apikeys
from service.storage.tables import Article, utcnow

bp = Blueprint("article_api", __name__)

# The ids intake takes (service.intake.submission.POST_ID_PATTERN, without the spaces it trims).
POST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _error(status: int, code: str, message: str, field: str | None = None,
           headers: dict | None = None) -> Response:
    detail = {"code": code, "message": message, "field": field}
    response = jsonify({"error": detail, "errors": [detail]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _caller() -> str | None:
    """The name of the API key the request carries, or None."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not apikeys.KEY.search(key.strip()):
        return None
    found = apikeys.active_key(current_app.extensions["store"].engine,
                               current_app.config["MODERATION_API_KEY_HASH_KEY"], key.strip())
    return found.name if found else None


def article_json(post_id: str, article: Article | None) -> dict:
    rule, now = articles.site_rule(current_app.config), utcnow()
    closing = articles.closes_at(article, rule)

    def time(value):
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "post_id": post_id,
        "title": article.title if article else None,
        "permalink": article.permalink if article else None,
        "section": article.section if article else None,
        "published_at": time(article.published_at if article else None),
        "first_comment_at": time(article.first_comment_at if article else None),
        "commenting": article.commenting if article else "auto",
        "close_after_days": article.close_after_days if article else None,
        "close_from": article.close_from if article else None,
        "premoderated": bool(article and article.premoderated),
        "closed": articles.is_closed(article, rule, now),
        "closes_at": time(closing) if closing and closing > now else None,
    }


def _guarded(view):
    """The id and the key checked before the view runs (an id no article can have is not
    found, whoever asks)."""
    def wrapped(post_id: str) -> Response:
        if not POST_ID.fullmatch(post_id):
            return _error(404, "not_found", "No article has such an id: 1 to 64 letters, "
                                            "digits, '.', '_' or '-'.")
        caller = _caller()
        if caller is None:
            return _error(401, "unauthorized", "Send an API key from `flask apikeys add` as "
                          "Authorization: Bearer KEY.",
                          headers={"WWW-Authenticate": 'Bearer realm="articles"'})
        return view(post_id, caller)
    wrapped.__name__ = view.__name__
    return wrapped


@bp.get("/api/articles/<post_id>")
@_guarded
def read(post_id: str, caller: str) -> Response:
    article = current_app.extensions["articles"].get(post_id)
    if article is None:
        return _error(404, "not_found", "The service has not heard of this article: no comment "
                                        "and no details from the site yet.")
    return jsonify(article_json(post_id, article))


@bp.put("/api/articles/<post_id>")
@_guarded
def write(post_id: str, caller: str) -> Response:
    """Fields left out keep their value; null clears one (back to the site's setting, for the
    commenting rules)."""
    if not request.is_json:
        return _error(415, "unsupported_media_type", "Send the article as a JSON object.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON decoder goes: no article anyway
        body = None
    if not isinstance(body, dict):
        return _error(400, "bad_request", "The body must be a JSON object of article fields.")
    try:
        values = articles.clean_details(body)
    except ArticleError as error:
        detail = error.as_json()
        return _error(400, detail["code"], detail["message"], detail["field"])
    changed = current_app.extensions["articles"].change(post_id, Actor(api_key=caller), values)
    return jsonify(article_json(post_id, changed))


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    app.register_blueprint(bp)
    csrf.exempt(bp)
