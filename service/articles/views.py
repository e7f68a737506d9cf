"""Blueprint: the moderators' article pages. `GET /review/articles` lists articles (search by
title, filter by section) with their commenting state and queue; `GET /review/articles/<id>`
shows one article's details, commenting rules and the history of their changes; `POST` there
changes them: close comments now, reopen, back to automatic, pre-moderate, the auto-close
override, title, address, section and publication time.

Views only parse the form and call `service.articles.records`; every change is a plain HTML form
(CSRF token, redirect back with a message), the same forms the queue's article bar shows.
"""

from __future__ import annotations

import re

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, url_for)
from werkzeug.exceptions import BadRequest, NotFound

from service.articles import records as articles
from service.articles import sections
from service.articles.records import Actor, ArticleError, Articles
from service.review.auth import login_required
from service.review.redirects import safe_target
from service.web.security_headers import no_store
from service.storage.tables import utcnow

bp = Blueprint("articles_admin", __name__, url_prefix="/review/articles")
bp.after_request(no_store)

# The one-click changes; `details` sends the form's fields instead.
QUICK = {"close": {"commenting": "closed"}, "open": {"commenting": "open"},
         "auto": {"commenting": "auto"}, "premoderate": {"premoderated": True},
         "postmoderate": {"premoderated": False}}
DETAILS = ("title", "permalink", "section", "published_at", "close_after_days", "close_from")
SAID = {"close": "Comments are closed on {}.", "open": "Comments are open on {} (kept open).",
        "auto": "{} follows the automatic rule again.",
        "premoderate": "Every new comment on {} now waits for a moderator.",
        "postmoderate": "{} is no longer pre-moderated.", "details": "Saved {}."}


def _articles() -> Articles:
    return current_app.extensions["articles"]


def form_changes(form) -> tuple[str, dict]:
    """The action a moderator's form asks for, and the article fields it sets (cleaned); raises
    ArticleError for a bad field, BadRequest for an unknown action."""
    action = form.get("action", "")
    if action in QUICK:
        return action, articles.clean_details(QUICK[action])
    if action != "details":
        raise BadRequest(f"Unknown action {action!r}.")
    given = {name: form.get(name, "").strip() for name in DETAILS if name in form}
    if given.get("published_at") and not _OFFSET.search(given["published_at"]):
        # The browser's datetime-local field has no offset; the page asks for UTC.
        given["published_at"] += "+00:00"
    given = {name: (value or None) for name, value in given.items()}
    if given.get("close_after_days") and given["close_after_days"].isascii() \
            and given["close_after_days"].isdigit():
        given["close_after_days"] = int(given["close_after_days"])  # else refused as it is
    return action, articles.clean_details(given)


_OFFSET = re.compile(r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})$")


def _post_id(post_id: str) -> str:
    if not 1 <= len(post_id) <= 64:
        raise NotFound("No article has such an id.")
    return post_id


@bp.get("/")
@login_required
def index():
    title = (request.args.get("q") or "").strip()[:200]
    section = (request.args.get("section") or "").strip() or None
    rule, now = articles.site_rule(current_app.config), utcnow()
    rows = [(article, waiting, articles.commenting_state(article, rule, now))
            for article, waiting in _articles().search(title or None, section)]
    return render_template("review/articles.html", rows=rows, q=title, section=section or "",
                           sections=sections.known(_articles().engine))


@bp.get("/<post_id>")
@login_required
def article(post_id: str):
    post_id = _post_id(post_id)
    found = _articles().get(post_id)
    rule = articles.site_rule(current_app.config)
    return render_template("review/article.html", post_id=post_id, article=found, rule=rule,
                           state=articles.commenting_state(found, rule, utcnow()),
                           history=_articles().history(post_id),
                           sections=sections.known(_articles().engine),
                           back=request.full_path.rstrip("?"))


@bp.post("/<post_id>")
@login_required
def change(post_id: str) -> Response:
    post_id = _post_id(post_id)
    try:
        action, values = form_changes(request.form)
    except ArticleError as error:
        flash(f"Nothing changed: {error.message}", "refused")
        return redirect(_back(post_id))
    changed = _articles().change(post_id, Actor(moderator=g.moderator.name), values)
    flash(SAID[action].format(f"\u201c{changed.title}\u201d" if changed.title else post_id), "ok")
    return redirect(_back(post_id))


def _back(post_id: str) -> str:
    """The page the form came from (a queue filtered on the article), else the article's."""
    return safe_target(request.form.get("back"), within="/review/") \
        or url_for("articles_admin.article", post_id=post_id)


def init_app(app) -> None:
    app.register_blueprint(bp)
