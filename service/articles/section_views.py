"""Blueprint: the moderators' Sections page (`/review/sections`): how many comments wait in each
section and for how long, and which moderators look after which sections (their queue shows
those first). Any moderator may change the assignments, as any may close an article; the
decisions are `service.articles.sections`'s.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import BadRequest

from service.articles import sections
from service.review.auth import login_required
from service.web.security_headers import no_store

bp = Blueprint("section_admin", __name__, url_prefix="/review/sections")
bp.after_request(no_store)


def _engine():
    return current_app.extensions["store"].engine


@bp.get("/")
@login_required
def page():
    engine = _engine()
    return render_template("review/sections.html", queues=sections.queue_by_section(engine),
                           assignments=sections.assignments(engine),
                           known=sections.known(engine))


@bp.post("/")
@login_required
def assign():
    name = request.form.get("name", "")
    chosen = [section for section in request.form.getlist("section") if section.strip()]
    wanted = sections.parse(",".join([*chosen, request.form.get("more", "")]))
    try:
        kept = sections.assign(_engine(), name, wanted, by=g.moderator.name)
    except LookupError:
        raise BadRequest(f"No moderator named {name!r}.") from None
    flash(f"{name} looks after {', '.join(kept)} first." if kept
          else f"{name} sees every section alike.", "ok")
    return redirect(url_for("section_admin.page"))


def init_app(app) -> None:
    app.register_blueprint(bp)
