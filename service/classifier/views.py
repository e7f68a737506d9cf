"""Blueprint: the moderators' model page (`GET /review/models`) and the reload switch
(`POST /admin/model/reload`).

The page lists the versions the model store holds (their cards and the promotion
history, `service.classifier.model_registry`) beside how often moderators overturned each version's
decisions (`service.classifier.overturns`), told per version in a newsroom's words
(`service.classifier.model_story`) and drawn as an inline SVG bar chart
(`service.classifier.bar_chart`); and, from the decided spot checks
(`service.decisions.spot_checks`), how much of what the policy publishes moderators would have
removed. The reload makes *this* worker read the model store's pointer at once; the other workers
follow at their next check (`MODERATION_MODEL_CHECK_SECONDS`). Promote and roll back
(`POST /admin/model/promote`, `/admin/model/rollback`) move the pointer of the configured store
(`model.model_store`), as `python -m model.promote` and `model.rollback` do: with the database
store, every host follows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from markupsafe import Markup, escape

from service.classifier import scoring
from service.decisions import spot_checks
from service.review.auth import login_required
from service.web.security_headers import no_store
from service.classifier.bar_chart import BarChart, bar_chart
from service.classifier.model_registry import (HistoryEntry, Registry, Version, registry_of,
                                               stem_time)
from service.classifier.model_story import missed, story, when
from service.classifier.overturns import Overturns, overturns_by_version

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


@dataclass(frozen=True)
class OnThisSite:
    """What the serving model does on this site's recent traffic, in shares of comments."""

    comments: int                      # the recent comments it scored (the budget's window)
    held: float                        # held for review by a score (not rejected)
    rejected: float                    # rejected by a score
    lines: dict[str, float]            # the hold line in force per label
    reject_lines: dict[str, float]
    caught: dict[str, float | None]    # share of labelled public comments at or above the line
    budget: float
    learning: bool = False             # too few scored comments yet: only confident scores hold


def on_this_site(thresholds: dict, scores, percentiles: dict, budget: float) -> OnThisSite:
    """``thresholds``: per label the lines in force (``Thresholds``); ``scores``: rows of (spam,
    abuse) the serving model gave this site's recent comments; ``percentiles``: the card's
    ``positive_score_percentiles``."""
    import numpy as np

    scores = np.asarray(scores, dtype=float).reshape(-1, 2)
    labels = ("spam", "abuse")
    hold = np.column_stack([scores[:, k] >= thresholds[label].hold for k, label in enumerate(labels)])
    reject = np.column_stack([scores[:, k] >= thresholds[label].reject
                              for k, label in enumerate(labels)])
    n = max(len(scores), 1)
    rejected = reject.any(axis=1)
    caught = {}
    for label in labels:
        points = percentiles.get(label)
        caught[label] = None if not points else float(
            1 - np.interp(thresholds[label].hold, points, np.arange(101)) / 100)
    return OnThisSite(len(scores), float((hold.any(axis=1) & ~rejected).sum() / n),
                      float(rejected.sum() / n), {l: thresholds[l].hold for l in labels},
                      {l: thresholds[l].reject for l in labels}, caught, budget)


def _on_this_site(holder) -> OnThisSite | None:
    from dataclasses import replace

    from service.decisions.hold_budget import MIN_COMMENTS, WINDOW
    from service.intake.views import policy_rules

    scorer = holder.scorer
    if scorer is None:
        return None
    card = getattr(scorer, "card", {}) or {}
    fitted = current_app.extensions["hold_budget"].thresholds(scorer.version, scorer.thresholds,
                                                               scored=0)
    rules = policy_rules(current_app.config, fitted)
    scores = current_app.extensions["store"].recent_scores(scorer.version, WINDOW)
    site = on_this_site(rules.thresholds, scores, card.get("positive_score_percentiles", {}),
                        current_app.config["MODERATION_HOLD_BUDGET"])
    return replace(site, learning=site.comments < MIN_COMMENTS)


def _site_layers() -> dict:
    """The serving site layer, each language's layer, and the last verdicts, in the gate's own
    words."""
    from model import site_store

    engine = current_app.extensions["store"].engine
    layers = site_store.by_language(engine)
    return {"serving": layers.get("en", {}).get("current"),
            "history": site_store.history(engine, limit=5),
            "languages": _languages(engine, layers),
            "every": current_app.config["MODERATION_SITE_LAYER_EVERY"]}


def _languages(engine, layers: dict) -> list[dict]:
    """A row per language the moderators decided comments in or that has a layer: decisions,
    the cross-validated ROC AUC per label of its newest layer, and its state."""
    from model.decisions import decided_languages
    from model.site_update import MIN_LANGUAGE_DECISIONS

    from service.decisions.language import name

    decided = decided_languages(engine)
    rows = []
    for code in ["en"] + sorted((set(decided) | set(layers)) - {"en"}):
        found = layers.get(code, {})
        latest, current = found.get("latest"), found.get("current")
        labels = (latest.card.get("labels") or {}) if latest else {}
        auc = {label: verdict["site"]["new"] for label, verdict in labels.items()
               if "site" in verdict}
        if current is not None:
            state = (f"serving {current.version} for "
                     f"{' and '.join(current.card.get('promoted_labels') or [])}")
            if latest is not current:
                state += f"; {latest.version} was refused"
        elif latest is not None:
            state = f"{latest.version} refused: not clearly better than " + (
                "the general model alone" if code == "en" else "chance")
        elif code != "en" and decided.get(code, 0) < MIN_LANGUAGE_DECISIONS:
            state = f"learning: a layer is fitted from {MIN_LANGUAGE_DECISIONS} decisions"
        else:
            state = "no layer yet"
        rows.append({"code": code, "name": name(code), "state": state, "auc": auc,
                     "serving": current is not None,
                     "decisions": latest.decisions if latest else decided.get(code, 0)})
    return rows


def _short(stem: str) -> str:
    """The chart's label for a version: the date and time its name holds, on two lines
    ("2026-11-24\n17:17"); a name without them as it is."""
    made = stem_time(stem)
    return f"{made:%Y-%m-%d}\n{made:%H:%M}" if made else stem


@bp.app_template_filter("utc")
def utc_time(value) -> Markup:
    """A card's or the history's ISO time as the other review pages show times: a <time>
    element reading "2026-11-24 17:17 UTC" (the exact value in its datetime attribute)."""
    if not value:
        return Markup("")
    return Markup('<time datetime="{}">{}</time>').format(escape(value), when(value))


@bp.get("/review/models")
@login_required
def page():
    holder = scoring.current()
    registry = registry_of(current_app.extensions["model_store"])
    stats = overturns_by_version(current_app.extensions["store"].engine)
    rows = model_rows(registry, stats, holder.version)
    stories = {row.stem: story(row.stem, row.version, row.current, registry, stats)
               for row in rows}
    return render_template("review/models.html", rows=list(reversed(rows)), stories=stories,
                           kept={v.stem for v in registry.versions},
                           chart=overturn_chart(rows), registry=registry, holder=holder,
                           site=_on_this_site(holder), site_layers=_site_layers(),
                           misses=missed(spot_checks.tally(current_app.extensions["store"].engine),
                                         current_app.config["MODERATION_SPOT_CHECK_SHARE"]),
                           check_seconds=current_app.config["MODERATION_MODEL_CHECK_SECONDS"],
                           pinned=holder.store is None,
                           previous=_previous(registry),
                           store_kind=current_app.extensions["model_store"].kind)


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
    code = "model_pinned" if holder.store is None else "model_not_loaded"
    body["error"] = {"code": code, "message": result.error}
    return jsonify(body), 409


def _previous(registry: Registry) -> str | None:
    """The kept version a rollback would go back to (as `model.artifact.previous_in` replays the
    history); None when there is none to offer."""
    from model.artifact import previous_in

    cards = {version.stem: version for version in registry.versions}
    entries = [{"action": e.action, "version": e.version, "previous": e.previous}
               for e in registry.history]
    target = previous_in(entries, registry.current,
                         lambda: getattr(cards.get(registry.current), "parent", None))
    return target if target in cards else None


@bp.post("/admin/model/promote")
@login_required
def promote() -> Response:
    from model.promote import promote_by_hand

    stem = (request.form.get("version") or "").strip()
    reason = f"promoted by hand on the models page by {g.moderator.name}"
    return _move_pointer(lambda store: (stem, promote_by_hand(store, stem, reason)))


@bp.post("/admin/model/rollback")
@login_required
def rollback() -> Response:
    reason = f"rolled back on the models page by {g.moderator.name}"
    return _move_pointer(lambda store: store.rollback(reason))


def _move_pointer(move: Callable[[object], tuple[str, str | None]]) -> Response:
    """Move the store's pointer with `move` (it returns (now current, was current)); then this
    worker loads the new version at once, and every other worker, on this host and the others
    following the same store, at its next check."""
    from model.artifact import ArtifactError

    holder = current_app.extensions["scorer"]
    if holder.store is None:
        return _refused("model_pinned", "MODERATION_MODEL_PATH names one artifact file, so that "
                                        "version is pinned and the pointer is not followed")
    try:
        now, was = move(current_app.extensions["model_store"])
    except ArtifactError as exc:
        return _refused("model_not_moved", str(exc))
    result = holder.reload_now()
    seconds = current_app.config["MODERATION_MODEL_CHECK_SECONDS"]
    if _prefers_html():
        flash(f"{now} is now current (was {was or 'none'}). This worker serves {result.version}"
              + (f" ({result.error})" if result.error else "")
              + f"; the others switch within {seconds:g} s.", "refused" if result.error else "ok")
        return redirect(url_for("models.page"))
    return jsonify({"current": now, "previous": was, "serving": result.version,
                    "error": result.error, "pid": os.getpid()})


def _refused(code: str, message: str) -> Response:
    # 409: the request is well formed, but the store's state refuses it; nothing changed.
    if _prefers_html():
        flash(f"Nothing changed: {message}", "refused")
        return redirect(url_for("models.page"))
    return jsonify({"error": {"code": code, "message": message}}), 409


def init_app(app) -> None:
    app.register_blueprint(bp)
