"""Blueprint: the moderators' model page (`GET /review/models`) and the reload switch
(`POST /admin/model/reload`).

The page lists the versions the artifact directory holds (their cards and the promotion
history, `service.model_registry`) beside how often moderators overturned each version's
decisions (`service.overturns`), as a table and an inline SVG bar chart (`service.bar_chart`).
The reload makes *this* worker read the `CURRENT` pointer at once; the other workers follow at
their next check (`MODERATION_MODEL_CHECK_SECONDS`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)

from service import scoring
from service.auth import login_required
from service.security_headers import no_store
from service.bar_chart import BarChart, bar_chart
from service.model_registry import (HistoryEntry, Registry, Version, artifacts_dir,
                                    read_registry)
from service.overturns import Overturns, overturns_by_version

bp = Blueprint("models", __name__)
bp.after_request(no_store)


@dataclass(frozen=True)
class ModelRow:
    stem: str
    version: Version | None  # None: comments name it, but its card is not in the directory
    overturns: Overturns | None  # None: it scored no stored comment
    made_current: HistoryEntry | None  # its latest promotion or rollback
    current: bool  # the pointer names it
    serving: bool  # this worker scores with it


def model_rows(registry: Registry, overturns: dict[str, Overturns],
               serving: str | None) -> list[ModelRow]:
    """Every version with a card (oldest first), then those only stored comments name."""
    cards = {version.stem: version for version in registry.versions}
    stems = list(cards) + sorted(set(overturns) - set(cards))
    return [ModelRow(stem, cards.get(stem), overturns.get(stem), registry.last_made_current(stem),
                     stem == registry.current, stem == serving) for stem in stems]


def overturn_chart(rows: list[ModelRow]) -> BarChart | None:
    """One bar per version that moderators decided comments of, oldest on the left."""
    shares = [(_short(row.stem), row.overturns.share,
               f"{row.overturns.share:.0%} of {row.overturns.decided}")
              for row in rows if row.overturns is not None and row.overturns.decided]
    return bar_chart(shares) if shares else None


def _short(stem: str) -> str:
    # Every shipped stem starts with the model's name; the date says which one it is.
    return stem.removeprefix("moderation-")


@bp.get("/review/models")
@login_required
def page():
    holder = scoring.current()
    registry = read_registry(artifacts_dir(current_app.config["MODERATION_MODEL_PATH"]))
    stats = overturns_by_version(current_app.extensions["store"].engine)
    rows = model_rows(registry, stats, holder.version)
    return render_template("review/models.html", rows=list(reversed(rows)),
                           chart=overturn_chart(rows), registry=registry, holder=holder,
                           check_seconds=current_app.config["MODERATION_MODEL_CHECK_SECONDS"],
                           pinned=holder.directory is None)


def _prefers_html() -> bool:
    # JSON unless a browser's form asked (scripts and curl send */* and get JSON).
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


@bp.post("/admin/model/reload")
@login_required
def reload() -> Response:
    holder = current_app.extensions["scorer"]
    result = holder.reload_now()
    if _prefers_html():
        if result.error:
            flash(f"Still serving {result.version}: {result.error}", "refused")
        elif result.changed:
            flash(f"This worker now serves {result.version} (was {result.previous}); the "
                  "others switch at their next check.", "ok")
        else:
            flash(f"This worker already serves {result.version}.", "ok")
        return redirect(url_for("models.page"))
    body = {"version": result.version, "previous": result.previous, "changed": result.changed,
            "pid": os.getpid()}
    if result.error is None:
        return jsonify(body)
    # 409 either way: the request is fine, but the model store's state refuses it (a pinned
    # file, or a pointer naming a version that does not load). Not a 500: nothing broke here,
    # and the version serving stays.
    code = "model_pinned" if holder.directory is None else "model_not_loaded"
    body["error"] = {"code": code, "message": result.error}
    return jsonify(body), 409


def init_app(app) -> None:
    app.register_blueprint(bp)
