"""Readers' cheap answers, given before Flask: a 304 to a reader whose copy is current, and a
feed or article page already in the page cache.

Both need only the article's version (one read, service/feed/views.py `validators`) and, for the
200, one page-cache lookup; what costs more than that on a news site's busiest requests is Flask's
request handling and the app's hooks, which a bare endpoint does not run. So this WSGI layer
answers those cases itself, with what the hooks would have added (the request id and its log
line, the metrics, CORS, the security headers and the validators), and passes everything else to
Flask unchanged: a miss (Flask renders and keeps the page), a bad or unusual query, an article
page with a query (a reader's own notice or reply link), any other path or method, a host check
the app is configured for, and a store that fails (Flask's error handling answers). The answer
is the same either way; tests compare the two.

It is never staler than Flask's: the validators come from the same read in the same request, and
the page cache is keyed by them (service/feed/page_cache.py).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import SecurityError
from werkzeug.http import http_date
from werkzeug.wrappers import Request

from service.web import cors
from service.feed import views as feed
from service.feed import page_cache as feed_cache
from service.feed import http_cache
from service.ops import logs
from service.ops import metrics

# The routes' patterns: Werkzeug's default converter is one or more characters other than "/";
# anything else is Flask's to answer (404, redirect).
_FEED_PATH = re.compile(r"/api/articles/([^/]+)/comments")
_THREAD_PATH = re.compile(r"/articles/([^/]{1,64})")  # longer ids: Flask's 404

StartResponse = Callable[..., object]
Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class Route:
    endpoint: str  # as Flask names it, for the metrics
    rule: str  # as the request log names it
    post_id: str
    template: str | None  # an article page's; None: the feed

    def page_cache_key(self, tag: str, links: str) -> str:
        if self.template is None:
            return feed_cache.key(self.post_id, tag, links)
        return feed.page_key(self.post_id, tag, self.template, links)


def route(path: str, query: str) -> Route | None:
    """The reader's page a request asks for, when it is one answered here."""
    if (matched := _FEED_PATH.fullmatch(path)) is not None:
        return Route("feed.article_comments", "/api/articles/<post_id>/comments",
                     matched.group(1), None)
    if query:
        return None
    if path == "/":
        return Route("feed.article", "/", feed.DEMO_POST_ID, "article.html")
    if (matched := _THREAD_PATH.fullmatch(path)) is not None:
        return Route("feed.article_thread", "/articles/<post_id>", matched.group(1),
                     "article_thread.html")
    return None


class EarlyFeed:
    """WSGI middleware around the app's own `wsgi_app` (inside ProxyFix, so that the host a
    page's absolute links name is the one Flask would see)."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app  # Flask, for everything not answered here

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        answer = self._answer(environ) \
            if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        where, status, headers, body = answer
        method = environ["REQUEST_METHOD"]
        request_id = logs.new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        headers.append(("X-Request-ID", request_id))
        start_response("200 OK" if status == 200 else "304 NOT MODIFIED", headers)
        metrics.request_answered(where.endpoint, method, status, time.perf_counter() - started)
        logs.request_line(request_id, method, where.rule, status, started)
        return [body] if method == "GET" and body else []

    def _answer(self, environ: dict) -> tuple[Route, int, Headers, bytes] | None:
        """(route, status, headers, body) when this request is answered here; None: Flask's."""
        config = self.app.config
        if config["TRUSTED_HOSTS"] is not None or config["SERVER_NAME"]:
            return None  # hosts Flask checks: its answer, not ours
        request = Request(environ)
        where = route(request.path, environ.get("QUERY_STRING", ""))
        if where is None:
            return None
        if where.template is None:
            args = request.args
            if any("\x00" in value for value in args.values()):
                return None  # refused by the NUL guard (service/web/input_guard.py)
            try:
                parts: tuple[object, ...] = feed.page_args(args, config)
            except ValueError:
                return None
        else:
            parts = ()
        store = self.app.extensions["store"]
        try:
            found = feed.validators(store, config, "feed" if where.template is None else "page",
                                    where.post_id, *parts, weak=where.template is not None)
            if http_cache.not_modified(request.if_none_match, request.if_modified_since,
                                       found.tag, found.modified):
                # Without Last-Modified, which Werkzeug removes from Flask's 304s.
                return where, 304, self._headers(request, found, modified=False), b""
            body = self.app.extensions["feed_pages"].get(
                where.page_cache_key(found.tag, feed.link_base(request)))
        except (SQLAlchemyError, sqlite3.Error, SecurityError):
            return None
        if body is None:
            return None
        if where.template is None:
            content_type = "application/json"
        else:
            content_type = "text/html; charset=utf-8"
            body = feed.stamped(body, config["SECRET_KEY"], where.post_id)
        return where, 200, [("Content-Type", content_type), ("Content-Length", str(len(body))),
                            *self._headers(request, found)], body

    def _headers(self, request: Request, found: feed.Validators,
                 modified: bool = True) -> Headers:
        """What the feed blueprint's and the app's after-request hooks add to a reader's page,
        but the request id (added last, as the app does)."""
        config = self.app.config
        headers = [("ETag", found.tag)]
        if modified and found.modified is not None:
            headers.append(("Last-Modified", http_date(found.modified)))
        headers.append(("Cache-Control", http_cache.cache_control(
            config["MODERATION_FEED_MAX_AGE"], config["MODERATION_FEED_STALE_SECONDS"])))
        allowed = config["MODERATION_CORS_ORIGINS"]
        if allowed:
            headers.append(("Vary", "Origin"))
            origin = cors.allowed_origin(allowed, request.headers.get("Origin"))
            if origin is not None:
                headers.append(("Access-Control-Allow-Origin", origin))
        headers.extend(self.app.extensions["security_headers"].items())
        return headers


def init_app(app: Flask) -> None:
    app.wsgi_app = EarlyFeed(app, app.wsgi_app)  # type: ignore[method-assign]
