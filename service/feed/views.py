"""Blueprint: what readers see. The published-comments feed for the news site
(`GET /api/articles/<post_id>/comments`), a demo article page (`GET /`) with the site's
"Leave a reply" form, so a newcomer can watch the whole flow in a browser, and the same thread
and form for any article (`GET /articles/<post_id>`), where the embed's link leads.

Every page a reader sees is read far more often than comments are written, so each is
cacheable: validators from the article's version (service/feed/http_cache.py), 304 without reading
a comment, and rendered pages kept per version (service/feed/page_cache.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any, Mapping

from flask import (Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template,
                   request, url_for)
from markupsafe import Markup
from werkzeug.wrappers import Request

from service.articles import records as articles
from service.intake import bots
from service.web import cors
from service.feed import page_cache as feed_cache
from service.feed import http_cache
from service.readers import notices
from service.storage.store import FeedPage, FeedVersionRow, Store
from service.storage.tables import Comment, utcnow

bp = Blueprint("feed", __name__)
bp.after_request(cors.allow_site_origin)

DEMO_POST_ID = "demo"
DEMO_TITLE = "Old Mill footbridge reopens after six months of repairs"
_DIGITS = re.compile("[0-9]+")
MAX_PER_PAGE = 200


@dataclass
class Node:
    comment: Comment
    replies: list["Node"] = field(default_factory=list)


def thread(page: FeedPage) -> list[Node]:
    """Nest a page's replies under their parents, oldest first at every level. A reply whose
    parent is not published (held or rejected after the reply was written) is left out: its
    thread cannot be shown without the missing comment."""
    nodes = {root.id: Node(root) for root in page.roots}
    for reply in page.replies:  # oldest first, so a parent always precedes its replies
        parent = nodes.get(reply.parent_id)
        if parent is not None:
            nodes[reply.id] = node = Node(reply)
            parent.replies.append(node)
    return [nodes[root.id] for root in page.roots]


def node_json(node: Node) -> dict:
    """A comment for the site's page. Text and author are HTML-escaped here, so a site that
    inserts them with innerHTML cannot be scripted through a comment; line breaks stay "\\n"."""
    c = node.comment
    return {
        "id": c.id,
        "parent_id": c.parent_id,
        "author": escape(c.author),
        "url": escape(c.url) if c.url else None,
        "text": escape(c.text),
        "created_at": c.created_at.isoformat(),
        **report_links(c.id),
        "replies": [node_json(child) for child in node.replies],
    }


def report_links(comment_id: int) -> dict[str, str]:
    """Where a reader reports a comment (service/readers): the JSON endpoint to POST to, and
    the form's page for a plain link. Absolute, for a site's own pages on another origin."""
    return {"report_url": url_for("readers.report_api", comment_id=comment_id, _external=True),
            "report_page": url_for("readers.report_page", comment_id=comment_id,
                                   _external=True)}


def _int_arg(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number in range, in ASCII digits: not "١٢" or "²", which str.isdigit() takes and
    the description's integer does not; present but empty is not a number either."""
    raw = args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ValueError(name)
    return int(raw)


def page_args(args: Mapping[str, str], config: Mapping[str, Any]) -> tuple[int, int]:
    """The feed's page and page size from the query, or ValueError naming the bad one."""
    return (_int_arg(args, "page", 1, 1, 10**6),
            _int_arg(args, "per_page", config["MODERATION_FEED_PAGE_SIZE"], 1, MAX_PER_PAGE))


# -- caching --------------------------------------------------------------------------------------

def _store() -> Store:
    return current_app.extensions["store"]


def _pages() -> feed_cache.PageStore:
    return current_app.extensions["feed_pages"]


@dataclass(frozen=True)
class Validators:
    tag: str  # the ETag of the page
    modified: datetime | None  # its Last-Modified, when it has one (http_cache.last_modified)
    closed: bool  # comments are closed on the article (service.articles.records)


@dataclass(frozen=True)
class ReaderState:
    tag: str  # the ETag of this request's page
    closed: bool  # comments are closed on the article (service.articles.records)
    unchanged: Response | None  # the 304 to send when the reader's copy is current


def _version_and_closed(store: Store, config: Mapping[str, Any],
                        post_id: str) -> tuple[FeedVersionRow, bool]:
    """The article's feed version and whether its comments are closed. A person closing or
    opening an article moves the version; the automatic rule closes it when the clock passes a
    time, which moves nothing in the database, so the version's time is taken as that one."""
    version, article = store.reader_state(post_id)
    rule, now = articles.site_rule(config), utcnow()
    since = articles.closed_since(article, rule, now)
    if since is not None:
        version = FeedVersionRow(version.number,
                                 max(version.changed_us, int(since.timestamp() * 1_000_000)))
    return version, articles.is_closed(article, rule, now)


def validators(store: Store, config: Mapping[str, Any], kind: str, post_id: str,
               *parts: object, weak: bool = False) -> Validators:
    """The validators of one reader's page of an article (`kind`, `parts`: http_cache.etag).
    Reads the article's version and commenting rules, never its comments."""
    version, closed = _version_and_closed(store, config, post_id)
    return Validators(
        http_cache.etag(kind, version, "closed" if closed else "open", *parts, weak=weak),
        http_cache.last_modified(version, time.time_ns() // 1000), closed)


def _conditional(kind: str, post_id: str, *parts: object, weak: bool = False) -> ReaderState:
    """This request's validators, and the 304 to send when the reader's copy is current."""
    found = validators(_store(), current_app.config, kind, post_id, *parts, weak=weak)
    g.feed_validators = (found.tag, found.modified)
    if http_cache.not_modified(request.if_none_match, request.if_modified_since, found.tag,
                               found.modified):
        return ReaderState(found.tag, found.closed, Response(status=304))
    return ReaderState(found.tag, found.closed, None)


@bp.after_request
def _cache_headers(response: Response) -> Response:
    """Validators and freshness on every reader's page that has them, 200 and 304 alike."""
    validators = g.pop("feed_validators", None)
    if validators is not None and response.status_code in (200, 304):
        tag, modified = validators
        response.headers["ETag"] = tag
        if modified is not None:
            response.last_modified = modified
        config = current_app.config
        response.headers["Cache-Control"] = http_cache.cache_control(
            config["MODERATION_FEED_MAX_AGE"], config["MODERATION_FEED_STALE_SECONDS"])
    return response


# -- the feed -------------------------------------------------------------------------------------

@bp.get("/api/articles/<post_id>/comments")
def article_comments(post_id: str) -> Response:
    """Published comments of one article, threaded, `per_page` top-level comments a page."""
    try:
        page, per_page = page_args(request.args, current_app.config)
    except ValueError as exc:
        response = jsonify({"error": {"code": "bad_page", "field": str(exc),
                                      "message": f"{exc} must be a whole number in range"}})
        response.status_code = 400
        return response
    state = _conditional("feed", post_id, page, per_page)
    if state.unchanged is not None:
        return state.unchanged
    # Keyed by host too: the report links are absolute URLs on the host asked.
    body = feed_cache.cached(_pages(), feed_cache.key(post_id, state.tag, link_base(request)),
                             lambda: _feed_json(post_id, page, per_page, state.closed))
    return Response(body, mimetype="application/json")


def _feed_json(post_id: str, page: int, per_page: int, closed: bool) -> bytes:
    result = _store().published_for(post_id, page, per_page)
    return jsonify({
        "post_id": post_id, "page": result.page, "per_page": result.per_page,
        "pages": result.pages, "total": result.total_roots, "closed": closed,
        "comments": [node_json(node) for node in thread(result)],
    }).get_data()


# -- pages ----------------------------------------------------------------------------------------

# Where the form's signed time goes in a page kept whole: a tag, which no reader's text can spell
# (comments, names and titles are all escaped), so only the form's own field is stamped.
FORM_TIME = Markup("<rendered-at>")
_FORM_TIME = FORM_TIME.encode()


def link_base(request: Request) -> str:
    """What a page's absolute links start with (scheme, host, script root), for its page-cache
    key: Werkzeug's `host_url` without the IRI decoding, which cost a sixth of an early answer
    (service/feed/early.py)."""
    return f"{request.scheme}://{request.host}{request.root_path}"


def page_key(post_id: str, tag: str, template: str, links: str) -> str:
    """The page-cache key of a whole article page (`template`) as a reader without a notice of
    their own sees it, with its links starting with `links` (link_base)."""
    return feed_cache.key(post_id, f"{tag}:{template}", links)


def stamped(page: bytes, secret_key: str, post_id: str) -> bytes:
    """A kept page with this request's signed form time (service/intake/bots.py) in its form."""
    return page.replace(_FORM_TIME, bots.form_timestamp(secret_key, post_id).encode())


def _article_page(post_id: str, template: str, **context) -> Response:
    """An article's comments and the "Leave a reply" form (or "Comments are closed."). The
    thread, the costly part, comes from the page cache. The form carries a freshly signed time
    for the bot trap, so this page's ETag is weak (the thread is the same, the bytes are not); a
    page with no notice for its reader is kept whole and stamped with that time per request
    (service/feed/early.py serves it so too), the others are rendered around the thread."""
    state = _conditional("page", post_id, weak=True)
    if state.unchanged is not None:
        return state.unchanged

    def render_thread() -> bytes:
        page = _store().published_for(post_id, 1, MAX_PER_PAGE)
        return render_template("_thread.html", threads=thread(page), total=page.total_roots,
                               closed=state.closed).encode()

    def render(reply_to: str, awaiting: bool, rendered_at: str) -> str:
        thread_html = feed_cache.cached(_pages(), feed_cache.key(post_id, state.tag),
                                        render_thread)
        return render_template(
            template, post_id=post_id, thread_html=Markup(thread_html.decode()),
            closed=state.closed, closed_message=articles.CLOSED_MESSAGE,
            awaiting=awaiting, status_link=_status_link() if awaiting else None,
            reply_to=reply_to, rendered_at=rendered_at, values={}, messages=[], **context)

    reply_to = request.args.get("replytocom", "")
    reply_to = reply_to if reply_to.isdigit() else ""
    awaiting = request.args.get("moderation") == "awaiting"
    secret_key = current_app.config["SECRET_KEY"]
    if reply_to or awaiting:  # this reader's own page: not for a shared cache
        return Response(render(reply_to, awaiting, bots.form_timestamp(secret_key, post_id)))
    key = page_key(post_id, state.tag, template, link_base(request))
    page = feed_cache.cached(_pages(), key, lambda: render("", False, FORM_TIME).encode())
    return Response(stamped(page, secret_key, post_id), mimetype="text/html")


def _status_link() -> str | None:
    """The commenter's private status link, when the "awaiting moderation" marker carries a
    token signed for the comment it names (service/readers/notices.py)."""
    token = request.args.get(notices.STATUS_TOKEN)
    comment_id = notices.comment_for(current_app.config["SECRET_KEY"], token)
    if comment_id is None or request.args.get("unapproved") != str(comment_id):
        return None
    return url_for("status.status_page", token=token)


@bp.get("/")
def article() -> Response:
    """The demo article with its published comments and the comment form, which tells the
    service the article's title and address as a news site's form can."""
    return _article_page(DEMO_POST_ID, "article.html",
                         permalink=url_for("feed.article", _external=True),
                         article_fields={"article_title": DEMO_TITLE})


@bp.get("/articles/<post_id>")
def article_thread(post_id: str) -> Response:
    """Any article's comments and form on this service's own page: where the embed's link
    leads a reader whose browser runs no scripts. Headed by the article's title, when known."""
    if len(post_id) > 64:  # the store's limit; no article has a longer id
        abort(404)
    return _article_page(post_id, "article_thread.html", article=_store().article(post_id))


def init_app(app: Flask) -> None:
    app.extensions["feed_pages"] = feed_cache.page_store(app.config["MODERATION_FEED_CACHE"])
    app.register_blueprint(bp)
