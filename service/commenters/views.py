"""Blueprint: the commenter page and e-mail-domain rules on the review page, and the forms that
act on them.

Thin, as the rest of the review page: parse the form, call `Commenters`, answer. Each action is
a plain HTML form (POST, CSRF token, redirect back with a message), so it works without
JavaScript; a client asking for JSON gets JSON.
"""

from __future__ import annotations

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from werkzeug.exceptions import NotFound

from service.review.auth import login_required, wants_json
from service.commenters.actions import Commenters, describe_standing
from service.review.queue import Refused, describe
from service.review.redirects import safe_target
from service.web.security_headers import no_store

bp = Blueprint("commenters", __name__, url_prefix="/review")
bp.after_request(no_store)


def commenters() -> Commenters:
    return current_app.extensions["commenters"]


def _back(default: str) -> str:
    # Only a path inside the review area: never an open redirect.
    return safe_target(request.form.get("back"), within=bp.url_prefix + "/") or default


def _refused(refused: Refused, back: str) -> Response:
    if wants_json():
        status = 404 if refused.code == "not_found" else 400
        return jsonify({"error": {"code": refused.code, "message": refused.message,
                                  "field": None}}), status
    flash(refused.message, "refused")
    return redirect(_back(back))


def _done(message: str, back: str, **answer) -> Response:
    if wants_json():
        return jsonify({"ok": True, "message": message, **answer})
    flash(message, "ok")
    return redirect(_back(back))


@bp.get("/commenters/<email_hash>")
@login_required
def page(email_hash: str):
    profile = commenters().profile(email_hash)
    if profile is None:
        raise NotFound("No comment of this commenter is stored.")
    return render_template("review/commenter.html", profile=profile,
                           back=request.full_path.rstrip("?"))


@bp.post("/commenters/<email_hash>/actions")
@login_required
def act(email_hash: str):
    back = url_for("commenters.page", email_hash=email_hash)
    try:
        result = commenters().act(
            email_hash, request.form.get("action", ""), g.moderator.name,
            reason=request.form.get("ban_reason") or None,
            comment_id=request.form.get("comment", type=int),
            reject_existing=request.form.get("reject_existing") == "1")
    except Refused as refused:
        return _refused(refused, back)
    # Comments a ban rejected: their commenter is told why, as for any rejection.
    current_app.extensions["commenter_notices"].after_decisions(result.rejected)
    return _done(result.message, back, action=result.action.action,
                 rejected=[comment.id for comment in result.rejected])


@bp.get("/domains")
@login_required
def domains():
    return render_template("review/domains.html", rules=commenters().domain_rules(),
                           domain=(request.args.get("domain") or "").strip()[:253],
                           back=request.full_path.rstrip("?"))


@bp.post("/domains")
@login_required
def set_domain_rule():
    back = url_for("commenters.domains")
    try:
        row, message = commenters().set_domain_rule(
            request.form.get("domain", ""), request.form.get("rule", ""), g.moderator.name)
    except Refused as refused:
        return _refused(refused, back)
    return _done(message, back, domain=row.domain, action=row.action)


def init_app(app) -> None:
    app.extensions["commenters"] = Commenters(app.extensions["store"].engine)
    app.register_blueprint(bp)
    app.add_template_filter(describe_standing, "standing_sentence")
    app.add_template_filter(describe, "comment_state")
