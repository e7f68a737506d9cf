"""Blueprint: the moderators' review queue, decisions, undo, bulk actions and the audit log.

Views are thin: parse the request, call `service.review.queue`, render. Every action is a plain
HTML form (POST, CSRF token, redirect back), so the page works without JavaScript;
`static/review/queue.js` submits the same forms with `fetch` and swaps in the re-rendered items
(JSON answer) for in-place updates and the keyboard. Comment text, names and URLs only ever
pass through Jinja's autoescaping; the CSP forbids inline scripts on top of that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask import (Blueprint, Response, current_app, flash, g, jsonify, redirect,
                   render_template, request, url_for)
from werkzeug.exceptions import BadRequest, NotFound

from service.articles import records as articles
from service.decisions import language
from service.decisions import reasons
from service.classifier import scoring
from service.articles import sections
from service.review.auth import login_required, wants_json
from service.decisions.language import UNKNOWN
from service.review.queue import (LABELS, ORDERS, STATUS_FILTERS, BulkResult, Moderation,
                                  QueueQuery, Refused, awaits_moderator, describe, state_token,
                                  suggested_reason)
from service.readers import reports as reader_reports
from service.review.redirects import safe_target
from service.web.security_headers import no_store
from service.storage.tables import (DECISION_REASONS, RETURN_MARKS, Appeal, Article, Comment,
                                    CommenterStanding, Report, utcnow)

log = logging.getLogger(__name__)
bp = Blueprint("review", __name__, url_prefix="/review")
bp.after_request(no_store)

REASON_KEYS = {"1": "spam", "2": "abuse", "3": "off-topic", "4": "other"}


def moderation() -> Moderation:
    return current_app.extensions["moderation"]


# -- what an item shows -------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    comment: Comment
    token: str
    segments: list[tuple[str, str | None]]  # the text in pieces, each with a label to mark or None
    terms: dict[str, list[dict]]  # scorer.explain: per label, the words behind the score
    earlier: dict[str, int]  # the commenter's other comments: published / rejected
    held_by: str | None  # another moderator leasing it now
    awaiting: bool  # waiting for a moderator: held, an open spot check, or reported while up
    state: str
    reason: str | None  # the reject reason the form starts with; None: the moderator chooses
    standing: CommenterStanding | None  # what moderators set for its commenter, if anything
    article: Article | None  # its title, address and section, when the service knows them
    reports: list[Report]  # readers' open reports, oldest first
    appeal: Appeal | None  # the commenter's appeal, while no moderator has decided it


def highlight(text: str, explanation: dict[str, list[dict]]) -> list[tuple[str, str | None]]:
    """Split `text` into (piece, label) with label "spam"/"abuse" on exactly the character
    ranges `scorer.explain` gave as evidence, and None elsewhere. Where two pieces of evidence
    overlap, the heavier one marks the characters they share."""
    owner: list[tuple[float, str] | None] = [None] * len(text)
    for label, terms in explanation.items():
        for term in terms:
            for start, end in term.get("spans", ()):
                for i in range(max(start, 0), min(end, len(text))):
                    if owner[i] is None or term["weight"] > owner[i][0]:
                        owner[i] = (term["weight"], label)
    segments: list[tuple[str, str | None]] = []
    for i, char in enumerate(text):
        label = owner[i][1] if owner[i] else None
        if segments and segments[-1][1] == label:
            segments[-1] = (segments[-1][0] + char, label)
        else:
            segments.append((char, label))
    return segments


def _explain(text: str, language_: str | None) -> dict[str, list[dict]]:
    holder = scoring.current()
    scorer = holder.scorer
    # The English heads do not explain a comment in a language they have not learnt: their
    # "evidence" there would be noise marked up as if it meant something.
    if scorer is None or language_ not in (None, UNKNOWN, *holder.languages()):
        return {}
    try:
        return scorer.explain(text, top=5)
    except Exception:  # a broken explanation must not hide the queue; the scores still show
        log.exception("scorer.explain failed")
        return {}


def items_for(comments: list[Comment]) -> list[Item]:
    histories = moderation().histories(c.email_hash for c in comments)
    reported = current_app.extensions["reports"].open_for(c.id for c in comments)
    appealed = current_app.extensions["appeals"].open_for(c.id for c in comments)
    standings = current_app.extensions["commenters"].standings(c.email_hash for c in comments)
    known = current_app.extensions["articles"].many(c.post_id for c in comments)
    now = utcnow()
    items = []
    for comment in comments:
        earlier = dict(histories[comment.email_hash])
        if comment.status in earlier:
            earlier[comment.status] -= 1  # "earlier": not this comment itself
        terms = _explain(comment.text, comment.language)
        held_by = comment.lease_owner if comment.lease_owner not in (None, g.moderator.name) \
            and comment.lease_until and comment.lease_until > now else None
        open_reports = reported.get(comment.id, [])
        items.append(Item(comment, state_token(comment), highlight(comment.text, terms), terms,
                          earlier, held_by, awaits_moderator(comment), describe(comment),
                          suggested_reason(comment, reader_reports.agreed(open_reports)),
                          standings.get(comment.email_hash), known.get(comment.post_id),
                          open_reports, appealed.get(comment.id)))
    return items


# -- reading the request ------------------------------------------------------------------------

def _query_from(args) -> QueueQuery:
    try:
        return QueueQuery(status=args.get("status") or "pending",
                          post_id=(args.get("post") or "").strip() or None,
                          title=(args.get("title") or "").strip()[:200] or None,
                          section=(args.get("section") or "").strip()[:64] or None,
                          label=args.get("label") or None,
                          search=(args.get("q") or "").strip()[:200] or None,
                          order=args.get("order") or "risk",
                          language=(args.get("language") or "").strip().lower() or None,
                          mark=args.get("mark") or None,
                          copies_of=args.get("copies", type=int))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _back() -> str:
    # Only a path inside the review area: never an open redirect.
    return safe_target(request.form.get("back"), within=bp.url_prefix + "/") \
        or url_for("review.queue")


def _article_shown() -> str | None:
    """The article filter of the page the action came from (its `back` URL), so the counts sent
    back are the ones its tabs show."""
    post = parse_qs(urlsplit(_back()).query).get("post", [""])[0].strip()
    return post or None


def _answer(result: BulkResult, message: str, *, done: bool = False) -> Response:
    """JSON for the page script (re-rendered items to swap in, and the status tabs' new counts),
    or flash + redirect for a plain form. `done`: the items were just decided, so they come back
    with their controls off (a second click would re-decide them; undo is the way back)."""
    refusals = [refused.message for refused in result.refused.values()]
    if wants_json():
        html = {str(item.comment.id): render_template("review/_item.html", item=item, done=done,
                                                      back=_back())
                for item in items_for(result.decided)}
        return jsonify({"ok": not refusals, "message": message if result.decided else "",
                        "refused": refusals, "items": html,
                        "conflict": {str(k): v.code for k, v in result.refused.items()},
                        "counts": moderation().counts(_article_shown())},
                       ), (409 if refusals and not result.decided else 200)
    if result.decided:
        flash(message, "ok")
    for text in refusals:
        flash(text, "refused")
    return redirect(_back())


def _refused(refused: Refused) -> Response:
    return _answer(BulkResult(refused={0: refused}), "")


def _summary(action: str, reason: str | None, n: int) -> str:
    what = "Approved" if action == "approve" else f"Rejected ({reason})"
    return f"{what} {n} comment{'s' if n != 1 else ''}. Press u to undo."


def _after_decisions(decided: list[Comment]) -> None:
    """What follows decisions: the site layer's update, and the commenters' e-mail notices."""
    current_app.extensions["site_layer_update"].after_decisions()
    current_app.extensions["commenter_notices"].after_decisions(decided)


# -- views --------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def queue():
    query = _query_from(request.args)
    after = request.args.get("after") or None
    size = current_app.config["MODERATION_QUEUE_PAGE_SIZE"]
    engine = moderation().engine
    mine = sections.assigned(engine, g.moderator.id)
    try:
        page = moderation().queue(query, moderator=g.moderator.name, after=after, limit=size,
                                  first=mine)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    filters = {"status": query.status, "post": query.post_id or "", "title": query.title or "",
               "section": query.section or "", "label": query.label or "",
               "q": query.search or "", "order": query.order, "language": query.language or "",
               "mark": query.mark or "",
               "copies": query.copies_of if query.copies_of is not None else ""}
    kept = {k: v for k, v in filters.items() if v}
    return render_template(
        "review/queue.html", items=items_for(page.comments), query=query, filters=filters,
        article_bar=_article_bar(query.post_id), mine=mine, mine_ids=page.mine,
        section_queues=sections.queue_by_section(engine), known_sections=sections.known(engine),
        section_url=lambda name: url_for("review.queue", **{**kept, "section": name,
                                                           "status": "pending"}),
        counts=moderation().counts(query.post_id), statuses=STATUS_FILTERS, labels=LABELS,
        orders=ORDERS, reasons=DECISION_REASONS, reason_keys=REASON_KEYS, marks=RETURN_MARKS,
        languages=current_app.extensions["language"].languages + (UNKNOWN,),
        next_url=url_for("review.queue", **kept, after=page.next_cursor)
        if page.next_cursor else None,
        first_url=url_for("review.queue", **kept) if after else None,
        tab_url=lambda status: url_for("review.queue", **{**kept, "status": status}),
        back=request.full_path.rstrip("?"))


def _article_bar(post_id: str | None) -> dict | None:
    """The queue filtered on one article shows its title and commenting controls on top."""
    if post_id is None:
        return None
    article = current_app.extensions["articles"].get(post_id)
    return {"post_id": post_id, "article": article, "state": articles.commenting_state(
        article, articles.site_rule(current_app.config), utcnow())}


@bp.post("/comments/<int:comment_id>/decide")
@login_required
def decide(comment_id: int):
    action, reason = request.form.get("action", ""), request.form.get("reason") or None
    if action == "approve":
        reason = None
    try:
        comment = moderation().decide(comment_id, g.moderator.name, action, reason,
                                      seen=request.form.get("seen", ""))
    except Refused as refused:
        return _refused(refused)
    _after_decisions([comment])
    return _answer(BulkResult(decided=[comment]), _summary(action, reason, 1), done=True)


@bp.post("/bulk")
@login_required
def bulk():
    action, reason = request.form.get("action", ""), request.form.get("reason") or None
    if action == "approve":
        reason = None
    try:
        ids = sorted({int(value) for value in request.form.getlist("ids")})
    except ValueError:
        raise BadRequest("ids must be comment numbers") from None
    if not ids:
        return _refused(Refused("nothing_selected", "Select comments first (x, or the boxes)."))
    seen = {i: request.form.get(f"seen-{i}", "") for i in ids}
    try:
        result = moderation().decide_many(ids, g.moderator.name, action, reason, seen)
    except Refused as refused:
        return _refused(refused)
    _after_decisions(result.decided)
    return _answer(result, _summary(action, reason, len(result.decided)), done=True)


@bp.post("/undo")
@login_required
def undo():
    try:
        result = moderation().undo_last(g.moderator.name)
    except Refused as refused:
        return _refused(refused)
    n = len(result.decided)
    return _answer(result, f"Undone: {n} comment{'s' if n != 1 else ''} restored.")


@bp.get("/comments/<int:comment_id>")
@login_required
def comment(comment_id: int):
    found = moderation().get(comment_id)
    if found is None:
        raise NotFound(f"Comment {comment_id} does not exist.")
    moderation().claim(comment_id, g.moderator.name)
    found = moderation().get(comment_id)
    return render_template("review/comment.html", item=items_for([found])[0],
                           rows=[(entry, None) for entry in moderation().history(comment_id)],
                           back=request.full_path.rstrip("?"))


@bp.get("/audit")
@login_required
def audit():
    moderator = (request.args.get("moderator") or "").strip() or None
    post_id = (request.args.get("post") or "").strip() or None
    before = request.args.get("before", type=int)
    rows, more = moderation().audit(moderator=moderator, post_id=post_id, before=before)
    # Actions on commenters and e-mail domains (service.commenters), paged on their own.
    actions, more_actions = current_app.extensions["commenters"].recent_actions(
        moderator=moderator, before=request.args.get("actions_before", type=int))
    kept = {k: v for k, v in {"moderator": moderator, "post": post_id}.items() if v}
    return render_template("review/audit.html", rows=rows, moderator=moderator or "",
                           post=post_id or "", actions=actions,
                           next_url=url_for("review.audit", **kept, before=more) if more else None,
                           older_actions=url_for("review.audit", **kept,
                                                 actions_before=more_actions)
                           if more_actions else None)


def init_app(app) -> None:
    app.extensions["moderation"] = Moderation(app.extensions["store"].engine,
                                              app.config["MODERATION_LEASE_SECONDS"])
    app.register_blueprint(bp)
    app.jinja_env.globals["decision_reasons"] = DECISION_REASONS
    app.add_template_filter(reasons.sentence, "reason_sentence")
    app.add_template_filter(language.name, "language_name")
    app.add_template_filter(sections.waited, "waited")
