"""Blueprint: what readers see. The published-comments feed for the news site
(`GET /api/articles/<post_id>/comments`) and a demo article page (`GET /`) with the site's
"Leave a reply" form, so a newcomer can watch the whole flow in a browser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from service import bots, cors
from service.store import FeedPage, Store
from service.tables import Comment

bp = Blueprint("feed", __name__)
bp.after_request(cors.allow_site_origin)

DEMO_POST_ID = "demo"
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
        "replies": [node_json(child) for child in node.replies],
    }


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole number in range, in ASCII digits: not "١٢" or "²", which str.isdigit() takes and
    the description's integer does not; present but empty is not a number either."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ValueError(name)
    return int(raw)


@bp.get("/api/articles/<post_id>/comments")
def article_comments(post_id: str) -> Response:
    """Published comments of one article, threaded, `per_page` top-level comments a page."""
    try:
        page = _int_arg("page", 1, 1, 10**6)
        per_page = _int_arg("per_page", current_app.config["MODERATION_FEED_PAGE_SIZE"], 1,
                            MAX_PER_PAGE)
    except ValueError as exc:
        response = jsonify({"error": {"code": "bad_page", "field": str(exc),
                                      "message": f"{exc} must be a whole number in range"}})
        response.status_code = 400
        return response
    store: Store = current_app.extensions["store"]
    result = store.published_for(post_id, page, per_page)
    return jsonify({
        "post_id": post_id, "page": result.page, "per_page": result.per_page,
        "pages": result.pages, "total": result.total_roots,
        "comments": [node_json(node) for node in thread(result)],
    })


@bp.get("/")
def article() -> str:
    """The demo article with its published comments and the comment form."""
    store: Store = current_app.extensions["store"]
    page = store.published_for(DEMO_POST_ID, 1, MAX_PER_PAGE)
    reply_to = request.args.get("replytocom", "")
    return render_template(
        "article.html", post_id=DEMO_POST_ID, threads=thread(page), total=page.total_roots,
        awaiting=request.args.get("moderation") == "awaiting",
        reply_to=reply_to if reply_to.isdigit() else "",
        rendered_at=bots.form_timestamp(current_app.config["SECRET_KEY"], DEMO_POST_ID),
        values={}, messages=[])
