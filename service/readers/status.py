"""Blueprint: a commenter's private status link, and their appeal (the rules are in `notices` and
`appeals`).

- `GET /comments/status/<token>`: the status page: the comment, what happened to it and why,
  and the appeal form while it may be appealed; `POST .../appeal`: the form's answer.
- `GET /api/comments/status/<token>`, `POST /api/comments/status/<token>/appeal`: the same as
  JSON, for a site that shows the status on its own pages.

The token in the address is the only credential, so the pages are never cached and ask search
engines not to index them; the appeal needs nothing more. `CommenterNotices` is what intake and
the review page call (through `app.extensions["commenter_notices"]`): a new comment's status
link, and e-mail notices after decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import (Blueprint, Flask, Response, current_app, jsonify, redirect, render_template,
                   request, url_for)

from service.web import cors
from service.readers import appeals, notices
from service.readers.problems import Problem, Refused
from service.readers.views import article_url, json_fields, problems_json
from service.web.security_headers import no_store
from service.storage.tables import Comment

log = logging.getLogger(__name__)
bp = Blueprint("status", __name__)
bp.after_request(cors.allow_site_origin)
bp.after_request(no_store)


class CommenterNotices:
    """A comment's status link, and the e-mail notices that follow decisions."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def status_url(self, comment_id: int) -> str:
        """The comment's private status link (inside a request: on the host asked)."""
        token = notices.status_token(self.app.config["SECRET_KEY"], comment_id)
        return url_for("status.status_page", token=token, _external=True)

    def after_decisions(self, comments: Iterable[Comment]) -> int:
        """Queue an e-mail notice for each comment just decided that calls for one (rejected,
        or its appeal settled), when MODERATION_NOTIFY_COMMENTERS is on; how many."""
        if not self.app.config["MODERATION_NOTIFY_COMMENTERS"]:
            return 0
        store, texts = self.app.extensions["store"], notices.reason_texts(self.app.config)
        queued = 0
        for decided in comments:
            comment = store.get(decided.id)
            appeal = self.app.extensions["appeals"].for_comment(comment.id)
            said = notices.statement(comment, appeal, texts)
            settled_now = appeal is not None and appeal.decided_at is not None \
                and appeal.decided_at == comment.decided_at
            if said.status == "rejected" or (settled_now and said.appeal == "granted"):
                subject, text = notices.email_text(said, self.status_url(comment.id),
                                                   article_url(comment))
                notices.queue_email(store.engine, said, subject, text)
                queued += 1
        return queued


def _find(token: str) -> Comment | None:
    comment_id = notices.comment_for(current_app.config["SECRET_KEY"], token)
    return current_app.extensions["store"].get(comment_id) if comment_id else None


def _statement(comment: Comment) -> notices.Statement:
    return notices.statement(comment, current_app.extensions["appeals"].for_comment(comment.id),
                             notices.reason_texts(current_app.config))


def _appeal(comment: Comment, note: str) -> None:
    """Raises Refused (not_rejected, already_appealed)."""
    said = _statement(comment)
    current_app.extensions["appeals"].file(comment.id, note, said.reason)
    log.info("comment %d back in the queue: appealed by its commenter", comment.id)


# -- the page -------------------------------------------------------------------------------------

def _page(token: str, comment: Comment | None, *, status: int = 200,
          problems: list[Problem] = (), note: str = "") -> Response:
    said = _statement(comment) if comment is not None else None
    if said is not None and status == 200:
        notices.record_shown(current_app.extensions["store"].engine, comment.id, said)
    html = render_template(
        "status.html", token=token, comment=comment, said=said,
        sentences=notices.sentences(said) if said else [],
        messages=[each.message for each in problems], note=note,
        article_url=article_url(comment), max_note=appeals.MAX_NOTE)
    return Response(html, status=status)


@bp.get("/comments/status/<token>")
def status_page(token: str) -> Response:
    comment = _find(token)
    if comment is None:
        return _page(token, None, status=404, problems=[appeals.problem("not_found")])
    return _page(token, comment)


@bp.post("/comments/status/<token>/appeal")
def appeal_form(token: str) -> Response:
    comment = _find(token)
    if comment is None:
        return status_page(token)
    note = request.form.get("note", "")
    clean, problems = appeals.validate({"note": note})
    if not problems:
        try:
            _appeal(comment, clean)
        except Refused as refused:
            problems = [refused.problem]
    if problems:
        return _page(token, comment, status=problems[0].status, problems=problems, note=note)
    return redirect(url_for("status.status_page", token=token), 303)


# -- JSON -----------------------------------------------------------------------------------------

def _json(comment: Comment, status: int = 200) -> Response:
    said = _statement(comment)
    body = notices.as_json(said)
    body["status_url"] = url_for("status.status_page", token=notices.status_token(
        current_app.config["SECRET_KEY"], comment.id), _external=True)
    if said.status == "published":
        body["comment_url"] = article_url(comment)
    response = jsonify(body)
    response.status_code = status
    return response


@bp.get("/api/comments/status/<token>")
def status_api(token: str) -> Response:
    comment = _find(token)
    if comment is None:
        return problems_json([appeals.problem("not_found", status=404)])
    return _json(comment)


@bp.post("/api/comments/status/<token>/appeal")
def appeal_api(token: str) -> Response:
    comment = _find(token)
    if comment is None:
        return problems_json([appeals.problem("not_found", status=404)])
    clean, problems = appeals.validate(json_fields("note"))
    if problems:
        return problems_json(problems)
    try:
        _appeal(comment, clean)
    except Refused as refused:
        return problems_json([refused.problem])
    return _json(current_app.extensions["store"].get(comment.id), 201)


def init_app(app: Flask) -> None:
    app.extensions["appeals"] = appeals.Appeals(app.extensions["store"].engine)
    app.extensions["commenter_notices"] = CommenterNotices(app)
    app.register_blueprint(bp)
